namespace Ring.Layout;

/// <summary>
/// The broadcast ring segment (kind 3, layout version 1): one writer, up to <see cref="MaxReaders"/> readers that each
/// see every message. Counters that different processes write sit in different 128-byte slots; each reader has a slot
/// of its own in the reader table.
/// <code>
///  offset  size  written by  field
///  ------  ----  ----------  -----------------------------------------------------------------------
///       0   128  creator     identity header (SegmentHeaderDescriptor), kind = 3
///     128     8  writer      tail: position after the newest committed (or aborted) frame, stored after the commit
///     136     8  writer      messages committed (= the sequence number of the next message)
///     144     8  writer      latest: position of the newest committed message
///     152     8  writer      oldest: frames in [oldest, tail) are kept; the writer may overwrite anything below it,
///                            and stores it (release) before it overwrites a byte
///     160     4  writer      completed: 1 once the writer has completed the ring (never reset)
///     256     4  writer      data signal: futex word readers sleep on; the writer adds 1 before waking them
///     260     4  readers     reader sleepers (atomic +1/-1, any reader)
///     264     8  readers     reader sleeps (atomic)
///     272     8  writer      reader wake-ups issued
///     384     4  readers     space signal: futex word a gated writer sleeps on; a reader adds 1 before waking it
///     388     4  writer      writer sleepers
///     392     8  writer      writer sleeps
///     400     8  readers     writer wake-ups issued (atomic)
///     512     8  writer      writer identity (PartyTable entry: pid &lt;&lt; 32 | start time &amp; 0xFFFFFFFF; 0 = none)
///     520     8  writer      full stalls: times a gated write found no room
///     528     8  writer      torn claims: claims of a dead writer turned into padding by the writer that took over
///     536     8  writer      readers evicted: dead readers a gated writer detached
///     640     4  creator     mode: 1 gated, 2 lossy
///     644     4  creator     reader slots: 64 (<see cref="MaxReaders"/>)
///     648     4  readers     reader high-water mark: 1 + the highest slot index ever taken (atomic maximum)
///     768  3328  -           reserved, zero
///    4096  8192  readers     reader table: 64 slots of 128 bytes (PartyTable), slot i written by the reader holding it:
///                              +0  i64 identity (0 = free)
///                              +8  i64 position: the next frame it reads; -1 = not gating (free, or joining)
///                              +16 i64 next sequence: the number of the next message it reads
///                              +24 i64 messages read
///                              +32 i64 messages lost (lossy: overwritten before it read them)
///                              +40 i64 laps: times it found itself lapped (lossy)
///   12288   cap  both        data region: frames (BroadcastFrameDescriptor), capacity a power of two
/// </code>
/// Positions are byte counts since creation, multiples of 16; a frame at position p lives at data offset
/// <c>p &amp; (capacity - 1)</c>. Invariants: oldest &lt;= tail &lt;= oldest + capacity; in gated mode the writer never
/// overwrites a byte at or past a registered reader's position. Each reader's lag is <c>tail - position</c> bytes and
/// <c>messages committed - next sequence</c> messages.
/// </summary>
public static class BroadcastRingDescriptor
{
    private const int Slot = SegmentHeaderDescriptor.CacheLineSlot;

    /// <summary>How many readers a broadcast ring holds: a layout constant of version 1.</summary>
    public const int MaxReaders = 64;

    /// <summary>Position word of a reader slot that does not gate the writer (free, or a reader still joining).</summary>
    public const long NotGating = -1;

    /// <summary>Offset of the tail position (i64, writer).</summary>
    public const int TailOffset = SegmentHeaderDescriptor.Length;

    /// <summary>Offset of the count of committed messages (i64, writer).</summary>
    public const int MessagesWrittenOffset = TailOffset + 8;

    /// <summary>Offset of the position of the newest committed message (i64, writer).</summary>
    public const int LatestOffset = TailOffset + 16;

    /// <summary>Offset of the oldest kept position (i64, writer).</summary>
    public const int OldestOffset = TailOffset + 24;

    /// <summary>Offset of the completed flag (i32, writer).</summary>
    public const int CompletedOffset = TailOffset + 32;

    /// <summary>Offset of the data-signal futex word (i32).</summary>
    public const int DataSignalOffset = TailOffset + Slot;

    /// <summary>Offset of the number of sleeping readers (i32).</summary>
    public const int ReaderSleepersOffset = DataSignalOffset + 4;

    /// <summary>Offset of the count of reader sleeps (i64).</summary>
    public const int ReaderSleepsOffset = DataSignalOffset + 8;

    /// <summary>Offset of the count of reader wake-ups the writer issued (i64).</summary>
    public const int ReaderWakeupsOffset = DataSignalOffset + 16;

    /// <summary>Offset of the space-signal futex word (i32).</summary>
    public const int SpaceSignalOffset = DataSignalOffset + Slot;

    /// <summary>Offset of the number of sleeping writers (i32).</summary>
    public const int WriterSleepersOffset = SpaceSignalOffset + 4;

    /// <summary>Offset of the count of writer sleeps (i64).</summary>
    public const int WriterSleepsOffset = SpaceSignalOffset + 8;

    /// <summary>Offset of the count of writer wake-ups the readers issued (i64).</summary>
    public const int WriterWakeupsOffset = SpaceSignalOffset + 16;

    /// <summary>Offset of the writer's identity word: a one-entry PartyTable (i64).</summary>
    public const int WriterIdentityOffset = SpaceSignalOffset + Slot;

    /// <summary>Offset of the full-stall counter (i64).</summary>
    public const int FullStallsOffset = WriterIdentityOffset + 8;

    /// <summary>Offset of the count of torn claims repaired (i64).</summary>
    public const int TornClaimsOffset = WriterIdentityOffset + 16;

    /// <summary>Offset of the count of dead readers evicted (i64).</summary>
    public const int ReadersEvictedOffset = WriterIdentityOffset + 24;

    /// <summary>Offset of the mode (i32: 1 gated, 2 lossy).</summary>
    public const int ModeOffset = WriterIdentityOffset + Slot;

    /// <summary>Offset of the number of reader slots (i32).</summary>
    public const int ReaderSlotsOffset = ModeOffset + 4;

    /// <summary>Offset of the reader high-water mark (i32).</summary>
    public const int ReaderHighWaterOffset = ModeOffset + 8;

    /// <summary>Offset of the reader table.</summary>
    public const int ReaderTableOffset = 4096;

    /// <summary>Size of one reader slot.</summary>
    public const int ReaderEntryLength = Slot;

    /// <summary>Offset of the position within a reader slot (i64).</summary>
    public const int ReaderPositionOffset = 8;

    /// <summary>Offset of the next sequence within a reader slot (i64).</summary>
    public const int ReaderSequenceOffset = 16;

    /// <summary>Offset of the messages-read count within a reader slot (i64).</summary>
    public const int ReaderMessagesReadOffset = 24;

    /// <summary>Offset of the messages-lost count within a reader slot (i64).</summary>
    public const int ReaderMessagesLostOffset = 32;

    /// <summary>Offset of the lap count within a reader slot (i64).</summary>
    public const int ReaderLapsOffset = 40;

    /// <summary>Offset of the data region: after the reader table, page-aligned.</summary>
    public const int DataOffset = ReaderTableOffset + (MaxReaders * ReaderEntryLength);
}
