using System;
using System.Collections.Generic;

namespace Ring;

/// <summary>
/// What one segment kind lets an outsider see: its counters (<see cref="CounterDefinition"/>), the parties it records
/// (pid and start time of each attached process) and how full it is. An inspector only reads, with acquire loads, the
/// control words its layout descriptor names, all inside the header the segment was validated against; it never
/// takes a role, never touches the data region, and tolerates any value it finds there (a garbage pid is a dead
/// party, a garbage position a strange number, never an exception or a read outside the mapping).
/// </summary>
/// <remarks>
/// A new kind plugs in with one class deriving from this one and one entry in <see cref="s_all"/>; the <c>ring</c>
/// tool's <c>list</c> and <c>stat</c>, <see cref="RingSegment.Inspect"/> and the "Ring" meter
/// (<see cref="RingMetrics"/>) then show it. A kind without an inspector still lists, with its header fields.
/// </remarks>
internal abstract class SegmentInspector
{
    private static readonly SegmentInspector[] s_all =
    [
        new OneToOneInspector(),
        new ManyToOneInspector(),
        new BroadcastInspector(),
        new ManyToManyInspector(),
        new SlotInspector(RingKind.SlotOneToOne),
        new SlotInspector(RingKind.SlotManyToMany),
        new MutexInspector(),
        new SemaphoreInspector(),
        new EventInspector(),
        new BarrierInspector(),
    ];

    /// <summary>Every inspector this library has.</summary>
    internal static ReadOnlySpan<SegmentInspector> All => s_all;

    /// <summary>The kind this inspector reads.</summary>
    internal abstract RingKind Kind { get; }

    /// <summary>The kind's counters and gauges, in display order.</summary>
    internal abstract IReadOnlyList<CounterDefinition> Counters { get; }

    /// <summary>The inspector of <paramref name="kind"/>, or null for a kind this library cannot inspect.</summary>
    internal static SegmentInspector? For(RingKind kind)
    {
        foreach (SegmentInspector inspector in s_all)
        {
            if (inspector.Kind == kind)
            {
                return inspector;
            }
        }

        return null;
    }

    /// <summary>Adds the parties the segment records (not the creator, which every header names), with their liveness.</summary>
    internal abstract void AddParties(SharedMemory memory, List<RingParty> parties);

    /// <summary>Bytes written and not yet read, for kinds with a data region; null for the others.</summary>
    internal virtual long? BytesPending(SharedMemory memory) => null;

    /// <summary>A party recorded as a pid and a start time; pid 0 means none is attached (nothing is added).</summary>
    protected static void AddParty(List<RingParty> parties, string role, int pid, long startTime, long? lag = null)
    {
        if (pid != 0)
        {
            parties.Add(new RingParty(role, pid, startTime, ProcessLiveness.IsAlive(pid, startTime), lag));
        }
    }
}
