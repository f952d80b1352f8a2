namespace Ring.Layout;

/// <summary>
/// The many-to-one framed ring segment (kind 2, layout version 1): any number of writer processes (up to
/// <see cref="MaxWriters"/> attached at once), one reader process. Frames are those of <see cref="FrameDescriptor"/>,
/// plus one reserved type: <see cref="RevokedType"/>.
/// <code>
///  offset  size  written by  field
///  ------  ----  ----------  -----------------------------------------------------------------------
///       0   128  creator     identity header (SegmentHeaderDescriptor), kind = 2
///     128     8  writers     tail: byte position after the last claimed frame, advanced by CAS; bit 63 = completed
///     136     4  writers     pid of the writer that completed the ring (0 while open)
///     256     8  reader      head: byte position of the next frame to read (monotonic)
///     264     8  reader      free: every byte before it has been read and zeroed; writers may claim up to free + capacity
///     272     8  reader      free target: end of the zeroing in progress (free &lt;= target &lt;= head)
///     280     8  reader      messages read
///     288     8  reader      torn claims: claims of dead writers turned into padding
///     296     8  reader      revoked claims: claims of live writers held past the stuck-writer timeout
///     384     4  writers     data signal: futex word the reader sleeps on; a writer adds 1 before waking it
///     388     4  reader      reader sleepers (0 or 1)
///     392     8  reader      reader sleeps
///     400     8  writers     reader wake-ups issued (atomic add)
///     512     4  reader      space signal: futex word writers sleep on; the reader adds 1 before waking them
///     516     4  writers     writer sleepers (atomic)
///     520     8  writers     writer sleeps (atomic add)
///     528     8  reader      writer wake-ups issued
///     640     8  writers     messages written by writers that have detached or died (atomic add)
///     648     8  writers     full stalls of writers that have detached or died (atomic add)
///     768   128  reader      reader entry: identity (pid &lt;&lt; 32 | start time low 32 bits), 0 = none
///    1024  7168  writers     writer table: 56 entries of 128 bytes (below)
///    8192   cap  all         data region: frames, capacity a power of two
///
///  writer entry (128 bytes, written only by its holder; read by the reader during recovery)
///      +0     8  identity of the holder, 0 = free (taken and given back by CAS)
///      +8     8  intent position: the tail this writer is claiming or last claimed; -1 = none
///     +16     8  intent length: the bytes that claim covers (padding to the end included)
///     +24     8  messages committed
///     +32     8  full stalls
/// </code>
/// Positions are byte counts since creation; a frame at position p lives at data offset <c>p &amp; (capacity - 1)</c>.
/// Invariants checked before positions are used together: free &lt;= target &lt;= head &lt;= tail &lt;= free + capacity,
/// all multiples of 8. Every byte in [tail, free + capacity) is zero: the reader zeroes what it has read before it
/// moves free, so a zero length word means "not written yet", never "a frame of the previous lap".
/// </summary>
public static class ManyToOneRingDescriptor
{
    private const int Slot = SegmentHeaderDescriptor.CacheLineSlot;

    /// <summary>The most writers attached at once.</summary>
    public const int MaxWriters = 56;

    /// <summary>The length of one writer entry.</summary>
    public const int WriterEntryLength = Slot;

    /// <summary>Bit 63 of the tail: set once by <c>Complete</c>; no claim succeeds afterwards.</summary>
    public const long CompletedMark = long.MinValue;

    /// <summary>
    /// The type of a claim the reader revoked (length negative): readers skip it, but its space is not reused until its
    /// writer has seen the revocation (its commit or abort turns it into padding) or has died.
    /// </summary>
    public const int RevokedType = -2;

    /// <summary>Offset of the tail position (i64, CAS by writers).</summary>
    public const int TailOffset = SegmentHeaderDescriptor.Length;

    /// <summary>Offset of the pid of the writer that completed the ring (i32).</summary>
    public const int CompletedByOffset = TailOffset + 8;

    /// <summary>Offset of the head position (i64, reader).</summary>
    public const int HeadOffset = TailOffset + Slot;

    /// <summary>Offset of the free position (i64, reader).</summary>
    public const int FreeOffset = HeadOffset + 8;

    /// <summary>Offset of the free target (i64, reader).</summary>
    public const int FreeTargetOffset = HeadOffset + 16;

    /// <summary>Offset of the count of messages read (i64, reader).</summary>
    public const int MessagesReadOffset = HeadOffset + 24;

    /// <summary>Offset of the count of torn claims recovered (i64, reader).</summary>
    public const int TornClaimsOffset = HeadOffset + 32;

    /// <summary>Offset of the count of revoked claims (i64, reader).</summary>
    public const int RevokedClaimsOffset = HeadOffset + 40;

    /// <summary>Offset of the data-signal futex word (i32).</summary>
    public const int DataSignalOffset = HeadOffset + Slot;

    /// <summary>Offset of the number of sleeping readers (i32).</summary>
    public const int ReaderSleepersOffset = DataSignalOffset + 4;

    /// <summary>Offset of the count of reader sleeps (i64).</summary>
    public const int ReaderSleepsOffset = DataSignalOffset + 8;

    /// <summary>Offset of the count of reader wake-ups issued by writers (i64).</summary>
    public const int ReaderWakeupsOffset = DataSignalOffset + 16;

    /// <summary>Offset of the space-signal futex word (i32).</summary>
    public const int SpaceSignalOffset = DataSignalOffset + Slot;

    /// <summary>Offset of the number of sleeping writers (i32).</summary>
    public const int WriterSleepersOffset = SpaceSignalOffset + 4;

    /// <summary>Offset of the count of writer sleeps (i64).</summary>
    public const int WriterSleepsOffset = SpaceSignalOffset + 8;

    /// <summary>Offset of the count of writer wake-ups issued by the reader (i64).</summary>
    public const int WriterWakeupsOffset = SpaceSignalOffset + 16;

    /// <summary>Offset of the messages written by writers no longer attached (i64).</summary>
    public const int RetiredMessagesWrittenOffset = SpaceSignalOffset + Slot;

    /// <summary>Offset of the full stalls of writers no longer attached (i64).</summary>
    public const int RetiredFullStallsOffset = RetiredMessagesWrittenOffset + 8;

    /// <summary>Offset of the reader entry (a one-entry party table).</summary>
    public const int ReaderEntryOffset = RetiredMessagesWrittenOffset + Slot;

    /// <summary>Offset of the writer table.</summary>
    public const int WriterTableOffset = 1024;

    /// <summary>Offset of a writer's intent position within its entry (i64).</summary>
    public const int IntentPositionField = 8;

    /// <summary>Offset of a writer's intent length within its entry (i64).</summary>
    public const int IntentLengthField = 16;

    /// <summary>Offset of a writer's committed-message count within its entry (i64).</summary>
    public const int MessagesWrittenField = 24;

    /// <summary>Offset of a writer's full-stall count within its entry (i64).</summary>
    public const int FullStallsField = 32;

    /// <summary>Offset of the data region (two pages).</summary>
    public const int DataOffset = WriterTableOffset + (MaxWriters * WriterEntryLength);
}
