using System;
using System.Collections.Generic;

namespace Ring;

/// <summary>
/// A snapshot of a segment read by <see cref="RingSegment.Inspect"/>: its header, the parties it records with their
/// liveness, and its counters. Taking it attaches to nothing.
/// </summary>
public sealed class RingSegmentInfo
{
    internal RingSegmentInfo(
        string name,
        string path,
        RingKind kind,
        bool canInspectKind,
        int layoutVersion,
        long capacity,
        int maxMessageLength,
        long length,
        DateTimeOffset createdAt,
        long? bytesPending,
        IReadOnlyList<RingParty> parties,
        IReadOnlyList<RingCounter> counters)
    {
        Name = name;
        Path = path;
        Kind = kind;
        CanInspectKind = canInspectKind;
        LayoutVersion = layoutVersion;
        Capacity = capacity;
        MaxMessageLength = maxMessageLength;
        Length = length;
        CreatedAt = createdAt;
        BytesPending = bytesPending;
        Parties = parties;
        Counters = counters;
    }

    /// <summary>The segment's name (as given to <see cref="RingSegment.Inspect"/>).</summary>
    public string Name { get; }

    /// <summary>The segment's file.</summary>
    public string Path { get; }

    /// <summary>The kind in the header; it may be a value <see cref="RingKind"/> does not define (a kind a later library writes).</summary>
    public RingKind Kind { get; }

    /// <summary>True if this library knows the kind's layout: then <see cref="Parties"/> and <see cref="Counters"/> are complete; otherwise they hold only the creator and nothing.</summary>
    public bool CanInspectKind { get; }

    /// <summary>The header's layout version.</summary>
    public int LayoutVersion { get; }

    /// <summary>Bytes in the data region (0 for the synchronization primitives).</summary>
    public long Capacity { get; }

    /// <summary>Largest payload a message may have (0 for the synchronization primitives).</summary>
    public int MaxMessageLength { get; }

    /// <summary>Size of the file.</summary>
    public long Length { get; }

    /// <summary>When the segment was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Bytes written and not yet read, for kinds with a data region; null for the others.</summary>
    public long? BytesPending { get; }

    /// <summary>The processes the segment records, the creator first, each with its liveness.</summary>
    public IReadOnlyList<RingParty> Parties { get; }

    /// <summary>The kind's counters and gauges, as read (empty for a kind this library cannot inspect).</summary>
    public IReadOnlyList<RingCounter> Counters { get; }

    /// <summary>
    /// True when every process the segment records is dead: its creator and every attached party. Kinds that do not
    /// record their users (<see cref="SharedSemaphore"/>, <see cref="SharedEvent"/>) are stale as soon as their
    /// creator is gone, even if other processes still use them.
    /// </summary>
    public bool IsStale
    {
        get
        {
            foreach (RingParty party in Parties)
            {
                if (party.IsAlive)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
