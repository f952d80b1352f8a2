namespace Ring.Layout;

/// <summary>
/// The one-to-one framed ring segment (kind 1, layout version 1). Every counter lives on its own 128-byte slot, grouped
/// by the process that writes it, so the writer and the reader never write to the same cache line on the fast path.
/// <code>
///  offset  size  written by  field
///  ------  ----  ----------  -----------------------------------------------------------------------
///       0   128  creator     identity header (SegmentHeaderDescriptor), kind = 1
///     128     8  writer      tail: byte position after the last claimed frame (monotonic, never wraps)
///     136     8  writer      messages committed
///     256     8  reader      head: byte position of the next frame to read (monotonic)
///     264     8  reader      messages read
///     384     4  writer      data signal: futex word the reader sleeps on; the writer adds 1 before waking it
///     388     4  reader      reader sleepers: readers inside the sleep protocol (0 or 1)
///     512     4  reader      space signal: futex word the writer sleeps on; the reader adds 1 before waking it
///     516     4  writer      writer sleepers
///     640     4  writer      writer pid (0 = no writer attached)
///     644     4  writer      completed: 1 once the writer has completed the ring (never reset)
///     648     8  writer      writer start time (/proc/PID/stat field 22)
///     656     8  writer      full stalls: times a write found the ring full
///     664     8  writer      reader wake-ups issued (futex wakes)
///     672     8  writer      writer sleeps (futex waits entered)
///     680     8  writer      torn claims repaired by the writer (a dead writer's claims turned into padding)
///     768     4  reader      reader pid (0 = no reader attached)
///     776     8  reader      reader start time
///     784     8  reader      reader sleeps
///     792     8  reader      writer wake-ups issued
///     800     8  reader      torn claims skipped by the reader (the writer died between claim and commit)
///     896  3200  -           reserved, zero
///    4096   cap  both        data region: frames (FrameDescriptor), capacity a power of two
/// </code>
/// Positions are byte counts since creation; a frame at position p lives at data offset <c>p &amp; (capacity - 1)</c>.
/// Invariants checked before a head and a tail are used together: 0 &lt;= tail - head &lt;= capacity, both multiples
/// of 8. The writer keeps the length word just after its newest frame at 0, so the reader, which follows length
/// words from its head and stops at the first one that is not positive, never needs the tail and never reads a stale
/// frame of the previous lap; 8 bytes of room are reserved for that word.
/// </summary>
public static class OneToOneRingDescriptor
{
    private const int Slot = SegmentHeaderDescriptor.CacheLineSlot;

    /// <summary>Offset of the tail position (i64, writer).</summary>
    public const int TailOffset = SegmentHeaderDescriptor.Length;

    /// <summary>Offset of the count of committed messages (i64, writer).</summary>
    public const int MessagesWrittenOffset = TailOffset + 8;

    /// <summary>Offset of the head position (i64, reader).</summary>
    public const int HeadOffset = TailOffset + Slot;

    /// <summary>Offset of the count of messages read (i64, reader).</summary>
    public const int MessagesReadOffset = HeadOffset + 8;

    /// <summary>Offset of the data-signal futex word (i32).</summary>
    public const int DataSignalOffset = HeadOffset + Slot;

    /// <summary>Offset of the number of sleeping readers (i32).</summary>
    public const int ReaderSleepersOffset = DataSignalOffset + 4;

    /// <summary>Offset of the space-signal futex word (i32).</summary>
    public const int SpaceSignalOffset = DataSignalOffset + Slot;

    /// <summary>Offset of the number of sleeping writers (i32).</summary>
    public const int WriterSleepersOffset = SpaceSignalOffset + 4;

    /// <summary>Offset of the writer's pid (i32).</summary>
    public const int WriterPidOffset = SpaceSignalOffset + Slot;

    /// <summary>Offset of the completed flag (i32).</summary>
    public const int CompletedOffset = WriterPidOffset + 4;

    /// <summary>Offset of the writer's start time (i64).</summary>
    public const int WriterStartTimeOffset = WriterPidOffset + 8;

    /// <summary>Offset of the full-stall counter (i64).</summary>
    public const int FullStallsOffset = WriterPidOffset + 16;

    /// <summary>Offset of the count of reader wake-ups the writer issued (i64).</summary>
    public const int ReaderWakeupsOffset = WriterPidOffset + 24;

    /// <summary>Offset of the count of writer sleeps (i64).</summary>
    public const int WriterSleepsOffset = WriterPidOffset + 32;

    /// <summary>Offset of the count of torn claims the writer repaired (i64).</summary>
    public const int WriterTornClaimsOffset = WriterPidOffset + 40;

    /// <summary>Offset of the reader's pid (i32).</summary>
    public const int ReaderPidOffset = WriterPidOffset + Slot;

    /// <summary>Offset of the reader's start time (i64).</summary>
    public const int ReaderStartTimeOffset = ReaderPidOffset + 8;

    /// <summary>Offset of the count of reader sleeps (i64).</summary>
    public const int ReaderSleepsOffset = ReaderPidOffset + 16;

    /// <summary>Offset of the count of writer wake-ups the reader issued (i64).</summary>
    public const int WriterWakeupsOffset = ReaderPidOffset + 24;

    /// <summary>Offset of the count of torn claims the reader skipped (i64).</summary>
    public const int ReaderTornClaimsOffset = ReaderPidOffset + 32;

    /// <summary>Offset of the data region: one page, so the data starts page-aligned.</summary>
    public const int DataOffset = 4096;
}
