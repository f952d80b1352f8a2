using System;

namespace Ring.Layout;

/// <summary>
/// The segments of a <see cref="Channels.LaneMailbox"/> named NAME, and what its doorbell holds.
/// <code>
///  NAME.lane0 ... NAME.lane{K-1}   one ManyToOneRing segment per lane (kind 2, ManyToOneRingDescriptor): any number
///                                  of sender processes, one receiver; lane 0 is the most urgent
///  NAME.bell                       an event segment (kind 18, SharedEventDescriptor), auto-reset, made last (an
///                                  opener that finds it finds every lane); its state word stays 0: only its futex is
///                                  used, as the doorbell the receiver sleeps on for all lanes at once
///
///  NAME.bell, after the sync part (SyncDescriptor):
///  offset  size  field
///  ------  ----  --------------------------------------------------------------------------------------------
///     256     4  signal: the doorbell; a sender that finds sleepers != 0 adds 1, then FUTEX_WAKE
///     260     4  sleepers: 1 while the receiver is inside the sleep protocol
///     264     8  sleeps of the receiver (atomic counter)
///     272     8  wake-ups senders issued (atomic counter)
///     384     4  magic 0x454E414C ("LANE" in little-endian bytes)
///     388     4  layout version (1)
///     392     4  lane count K, 1 to 16
/// </code>
/// A sender publishes its frame in the lane (the ring's release store), fences, and reads the doorbell's sleeper count;
/// the receiver announces itself in sleepers, fences, reads the signal, re-checks every lane, then sleeps: the protocol
/// of docs/layout.md section 6, with the lanes' heads as the state (docs/channels/lanes.md).
/// </summary>
public static class LaneMailboxDescriptor
{
    /// <summary>The most lanes a mailbox has.</summary>
    public const int MaxLanes = 16;

    /// <summary>The magic number at <see cref="MagicOffset"/> of the doorbell segment ("LANE").</summary>
    public const int Magic = 0x454E414C;

    /// <summary>The layout version this library writes and reads.</summary>
    public const int Version = 1;

    /// <summary>Offset of the magic number (i32) in the doorbell segment: the event's per-kind extension.</summary>
    public const int MagicOffset = SyncDescriptor.ExtensionOffset;

    /// <summary>Offset of the layout version (i32).</summary>
    public const int VersionOffset = MagicOffset + 4;

    /// <summary>Offset of the lane count (i32).</summary>
    public const int LaneCountOffset = VersionOffset + 4;

    /// <summary>What the doorbell segment's name adds to the mailbox's name.</summary>
    public const string BellSuffix = ".bell";

    /// <summary>What a lane segment's name adds to the mailbox's name, before the lane number.</summary>
    public const string LaneSuffix = ".lane";

    /// <summary>The doorbell segment's name.</summary>
    public static string BellName(string name) => name + BellSuffix;

    /// <summary>The segment name of lane <paramref name="lane"/>.</summary>
    public static string LaneName(string name, int lane) => name + LaneSuffix + lane.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Refuses a lane count outside 1 to <see cref="MaxLanes"/>.</summary>
    public static void CheckLaneCount(int lanes)
    {
        if (lanes is < 1 or > MaxLanes)
        {
            throw new ArgumentOutOfRangeException(nameof(lanes), lanes, $"A lane mailbox has 1 to {MaxLanes} lanes; {lanes} were asked for.");
        }
    }
}
