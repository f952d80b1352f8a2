using System;

namespace Ring;

/// <summary>
/// One counter or gauge a segment kind keeps in its shared memory: how to read it, and how it is named and measured
/// (the same name, unit and description serve <see cref="RingSegment.Inspect"/>, the <c>ring</c> tool and the
/// "Ring" meter). Reading it never writes to the segment.
/// </summary>
internal sealed class CounterDefinition
{
    internal CounterDefinition(string name, string unit, string description, bool isCumulative, Func<SharedMemory, long> read, string? party = null)
    {
        Name = name;
        Unit = unit;
        Description = description;
        IsCumulative = isCumulative;
        Read = read;
        Party = party;
    }

    /// <summary>Instrument name, e.g. <c>ring.messages.written</c>.</summary>
    internal string Name { get; }

    /// <summary>UCUM unit as OpenTelemetry writes it: <c>By</c>, <c>{message}</c>, <c>1</c>.</summary>
    internal string Unit { get; }

    internal string Description { get; }

    /// <summary>True for a count that only grows (an observable counter); false for a level (an up-down counter).</summary>
    internal bool IsCumulative { get; }

    /// <summary>The party the value belongs to (the <c>ring.party</c> tag: reader, writer, waiter), or null.</summary>
    internal string? Party { get; }

    /// <summary>Reads the value from a mapping of the segment (acquire loads only).</summary>
    internal Func<SharedMemory, long> Read { get; }
}
