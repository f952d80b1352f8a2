using System;
using System.Collections.Generic;
using System.IO;
using Ring.Layout;

namespace Ring;

/// <summary>Operations on segment files by name, whatever ring they hold.</summary>
public static class RingSegment
{
    /// <summary>
    /// Deletes the segment's file. Processes that have it mapped keep their mapping and go on working; new opens fail.
    /// Returns false if there was no such file.
    /// </summary>
    /// <param name="name">The segment name, or a full path.</param>
    /// <param name="directory">Directory of a name that is not a full path; default <c>/dev/shm</c>.</param>
    /// <exception cref="System.ArgumentException">The name breaks a naming rule.</exception>
    public static bool Remove(string name, string? directory = null)
    {
        string path = SegmentName.ToPath(name, directory ?? RingOptions.DefaultDirectory);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>True if a file exists under the segment's name (whether or not it is a valid segment).</summary>
    /// <param name="name">The segment name, or a full path.</param>
    /// <param name="directory">Directory of a name that is not a full path; default <c>/dev/shm</c>.</param>
    public static bool Exists(string name, string? directory = null) =>
        File.Exists(SegmentName.ToPath(name, directory ?? RingOptions.DefaultDirectory));

    /// <summary>
    /// Reads a segment's header, the processes it records (with their liveness) and its counters, without taking
    /// part: the file is mapped read-only, no role is taken, nothing is written, nothing waits. What the <c>ring</c>
    /// tool's <c>list</c> and <c>stat</c> show.
    /// </summary>
    /// <param name="name">The segment name, or a full path.</param>
    /// <param name="directory">Directory of a name that is not a full path; default <c>/dev/shm</c>.</param>
    /// <exception cref="ArgumentException">The name breaks a naming rule.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is a symbolic link, or this process may not read it.</exception>
    /// <exception cref="RingFormatException">The file is not a finished Ring segment (the message says why).</exception>
    public static RingSegmentInfo Inspect(string name, string? directory = null)
    {
        string path = SegmentName.ToPath(name, directory ?? RingOptions.DefaultDirectory);
        using Segment segment = Segment.OpenForInspection(name, path);
        SharedMemory m = segment.Memory;
        SegmentInspector? inspector = SegmentInspector.For(segment.Kind);
        var parties = new List<RingParty>
        {
            new("creator", segment.CreatorProcessId, segment.CreatorStartTime, ProcessLiveness.IsAlive(segment.CreatorProcessId, segment.CreatorStartTime), null),
        };
        var counters = new List<RingCounter>();
        long? pending = null;
        if (inspector is not null)
        {
            inspector.AddParties(m, parties);
            pending = inspector.BytesPending(m);
            foreach (CounterDefinition c in inspector.Counters)
            {
                counters.Add(new RingCounter(c.Name, c.Party, c.Read(m), c.Unit, c.IsCumulative, c.Description));
            }
        }

        return new RingSegmentInfo(
            name,
            path,
            segment.Kind,
            inspector is not null,
            m.ReadInt32Plain(SegmentHeaderDescriptor.LayoutVersionOffset),
            segment.Capacity,
            segment.MaxMessageLength,
            segment.Length,
            CreatedAtOrEpoch(m),
            pending,
            parties,
            counters);
    }

    // A garbage time (a header written by a buggy peer) must not throw: it shows as the Unix epoch.
    private static DateTimeOffset CreatedAtOrEpoch(SharedMemory m)
    {
        long ms = m.ReadInt64Plain(SegmentHeaderDescriptor.CreatedUnixMsOffset);
        return ms >= 0 && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.UnixEpoch;
    }
}
