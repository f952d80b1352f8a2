using System;
using System.Numerics;

namespace Ring.Layout;

/// <summary>
/// The slot ring segments: kind 5 (one writer, one reader) and kind 6 (many writers, many readers), layout version 1.
/// A ring of <c>slot count</c> fixed-size slots, each an 8-byte stamp followed by one value of an unmanaged struct.
/// <code>
///  offset  size  written by  field
///  ------  ----  ----------  -----------------------------------------------------------------------------------
///       0   128  creator     identity header; capacity = slot count × slot stride, max message length = slot size
///     128     4  creator     slot count: a power of two, 2 or more
///     132     4  creator     slot size: bytes of one value (sizeof(T))
///     136     4  creator     slot stride: bytes from one slot to the next (<see cref="StrideFor"/>)
///     140     4  creator     writer table entries (1 for kind 5, 64 for kind 6)
///     144     4  creator     reader table entries (1 for kind 5, 64 for kind 6)
///     152     8  creator     type fingerprint: FNV-1a 64 of the value type's name; 0 = not recorded
///     160     4  creator     type name length in bytes (at most 92)
///     164    92  creator     type name, UTF-8, cut at 92 bytes (for error messages)
///     256     8  writers     enqueue position: the next position to claim; bit 63 set = closed (completed)
///     384     8  readers     dequeue position: the next position to take
///     512     4  writers     data signal: futex word readers sleep on
///     516     4  readers     reader sleepers
///     520     8  readers     reader sleeps
///     528     8  writers     reader wake-ups issued
///     640     4  readers     space signal: futex word writers sleep on
///     644     4  writers     writer sleepers
///     648     8  writers     writer sleeps
///     656     8  readers     writer wake-ups issued
///     768     8  any         abandoned claims: claims of dead or stuck writers that readers passed (kind 6)
///     776     8  any         skipped positions: positions that carried no message (abandoned, aborted, carried over)
///     784     8  writers     late commits: commits refused because the claim had been abandoned (the writer wrote again)
///     792     8  any         redeliveries: messages taken back from dead readers and delivered again
///     800     8  any         writer deaths: entries of dead writers recovered and freed
///     808     8  any         reader deaths: entries of dead readers recovered and freed
///    1024   W×128 writers    writer table (PartyTable): +0 identity, +8 messages written, +16 full stalls,
///                            +24 the dead identity last recovered
///  1024+W×128 R×128 readers  reader table: +0 identity, +8 messages read
///    data  cap   both        slots: slot k at data + k × stride; +0 stamp (i64), +8 the value
/// </code>
/// The data region starts at 4096 for kind 5 and at 20480 for kind 6 (page-aligned after the tables).
/// <para>
/// Stamp (i64), Vyukov's per-slot sequence, carrying the position's lap so a stale compare-and-swap always fails:
/// <code>
///   63                                        11 10  9  8  7            0
///  +--------------------------------------------+-----+--+---------------+
///  | lap = position / slot count (mod 2^53)     |state|A |    party      |
///  +--------------------------------------------+-----+--+---------------+
/// </code>
/// state 0 free (party = 1 + the reader that freed it, or 0), 1 being written (party = writer entry), 2 full (party
/// 0), 3 taken: A = 0 being read (party = reader entry), A = 1 abandoned claim (party = the writer that held it).
/// The rank <c>stamp >> 9 = lap × 4 + state</c> orders the stamps a slot goes through: for position p the slot
/// holds free(p) &lt; writing(p) &lt; full(p) &lt; taken(p) &lt; free(p + slot count). A zero-filled slot is free for
/// lap 0.
/// </para>
/// </summary>
public static class SlotRingDescriptor
{
    private const int Slot = SegmentHeaderDescriptor.CacheLineSlot;

    /// <summary>Offset of the slot count (i32).</summary>
    public const int SlotCountOffset = SegmentHeaderDescriptor.Length;

    /// <summary>Offset of the slot size (i32): the size of one value.</summary>
    public const int SlotSizeOffset = SlotCountOffset + 4;

    /// <summary>Offset of the slot stride (i32).</summary>
    public const int SlotStrideOffset = SlotCountOffset + 8;

    /// <summary>Offset of the number of writer table entries (i32).</summary>
    public const int WriterEntriesOffset = SlotCountOffset + 12;

    /// <summary>Offset of the number of reader table entries (i32).</summary>
    public const int ReaderEntriesOffset = SlotCountOffset + 16;

    /// <summary>Offset of the type fingerprint (u64).</summary>
    public const int TypeFingerprintOffset = SlotCountOffset + 24;

    /// <summary>Offset of the type name's length in bytes (i32).</summary>
    public const int TypeNameLengthOffset = SlotCountOffset + 32;

    /// <summary>Offset of the type name (UTF-8).</summary>
    public const int TypeNameOffset = SlotCountOffset + 36;

    /// <summary>Room for the type name.</summary>
    public const int TypeNameCapacity = Slot - 36;

    /// <summary>Offset of the enqueue position (i64); bit 63 is the closed mark.</summary>
    public const int EnqueueOffset = SlotCountOffset + Slot;

    /// <summary>Offset of the dequeue position (i64).</summary>
    public const int DequeueOffset = EnqueueOffset + Slot;

    /// <summary>Offset of the data-signal futex word (i32).</summary>
    public const int DataSignalOffset = DequeueOffset + Slot;

    /// <summary>Offset of the number of sleeping readers (i32).</summary>
    public const int ReaderSleepersOffset = DataSignalOffset + 4;

    /// <summary>Offset of the count of reader sleeps (i64).</summary>
    public const int ReaderSleepsOffset = DataSignalOffset + 8;

    /// <summary>Offset of the count of reader wake-ups issued (i64).</summary>
    public const int ReaderWakeupsOffset = DataSignalOffset + 16;

    /// <summary>Offset of the space-signal futex word (i32).</summary>
    public const int SpaceSignalOffset = DataSignalOffset + Slot;

    /// <summary>Offset of the number of sleeping writers (i32).</summary>
    public const int WriterSleepersOffset = SpaceSignalOffset + 4;

    /// <summary>Offset of the count of writer sleeps (i64).</summary>
    public const int WriterSleepsOffset = SpaceSignalOffset + 8;

    /// <summary>Offset of the count of writer wake-ups issued (i64).</summary>
    public const int WriterWakeupsOffset = SpaceSignalOffset + 16;

    /// <summary>Offset of the count of abandoned claims (i64).</summary>
    public const int AbandonedClaimsOffset = SpaceSignalOffset + Slot;

    /// <summary>Offset of the count of skipped positions (i64).</summary>
    public const int SkippedPositionsOffset = AbandonedClaimsOffset + 8;

    /// <summary>Offset of the count of late commits (i64).</summary>
    public const int LateCommitsOffset = AbandonedClaimsOffset + 16;

    /// <summary>Offset of the count of redeliveries (i64).</summary>
    public const int RedeliveriesOffset = AbandonedClaimsOffset + 24;

    /// <summary>Offset of the count of dead writers recovered (i64).</summary>
    public const int WriterDeathsOffset = AbandonedClaimsOffset + 32;

    /// <summary>Offset of the count of dead readers recovered (i64).</summary>
    public const int ReaderDeathsOffset = AbandonedClaimsOffset + 40;

    /// <summary>Offset of the writer table.</summary>
    public const int WriterTableOffset = 1024;

    /// <summary>Bytes per party table entry: one 128-byte slot, so parties never share a line pair.</summary>
    public const int EntryLength = Slot;

    /// <summary>Offset in an entry of the count of messages written or read (i64, written by the holder, kept across holders).</summary>
    public const int EntryMessagesOffset = 8;

    /// <summary>Offset in a writer entry of the count of full stalls (i64).</summary>
    public const int EntryFullStallsOffset = 16;

    /// <summary>Offset in a writer entry of the identity whose death was last recovered (i64): the death is counted once.</summary>
    public const int EntryRecoveredOffset = 24;

    /// <summary>Writer and reader table entries of a one-to-one slot ring (kind 5).</summary>
    public const int OneToOneParties = 1;

    /// <summary>Writer and reader table entries of a many-to-many slot ring (kind 6): at most this many writers and this many readers attached at once.</summary>
    public const int ManyToManyParties = 64;

    /// <summary>Offset of the data region of a one-to-one slot ring.</summary>
    public const int OneToOneDataOffset = 4096;

    /// <summary>Offset of the data region of a many-to-many slot ring: the page after the two tables.</summary>
    public const int ManyToManyDataOffset = 20480;

    /// <summary>Offset of the stamp within a slot (i64).</summary>
    public const int StampOffset = 0;

    /// <summary>Offset of the value within a slot.</summary>
    public const int ValueOffset = 8;

    /// <summary>Smallest slot count.</summary>
    public const int MinSlotCount = 2;

    /// <summary>Largest value size: 1 MiB.</summary>
    public const int MaxSlotSize = 1 << 20;

    /// <summary>Cache line the stride rule keeps slots within.</summary>
    public const int CacheLine = 64;

    /// <summary>Bits 63..11 of a stamp: the lap.</summary>
    public const int StampLapShift = 11;

    /// <summary>Bits 10..9 of a stamp: the state.</summary>
    public const int StampStateShift = 9;

    /// <summary>Bit 8 of a stamp: with state 3, an abandoned claim rather than a read in progress.</summary>
    public const long StampAbandonedFlag = 1L << 8;

    /// <summary>Bits 7..0 of a stamp: the party.</summary>
    public const long StampPartyMask = 0xFF;

    /// <summary>Stamp state: free for the writers of its lap.</summary>
    public const int StateFree = 0;

    /// <summary>Stamp state: claimed by a writer, being written.</summary>
    public const int StateWriting = 1;

    /// <summary>Stamp state: committed, waiting for a reader.</summary>
    public const int StateFull = 2;

    /// <summary>Stamp state: taken by a reader (or, with the abandoned flag, a claim given up).</summary>
    public const int StateTaken = 3;

    /// <summary>Bit 63 of the enqueue position: set once the ring is completed.</summary>
    public const long ClosedMark = long.MinValue;

    /// <summary>Offset of the data region for a slot ring kind.</summary>
    public static int DataOffsetOf(RingKind kind) => kind == RingKind.SlotOneToOne ? OneToOneDataOffset : ManyToManyDataOffset;

    /// <summary>Party table entries (per side) for a slot ring kind.</summary>
    public static int PartiesOf(RingKind kind) => kind == RingKind.SlotOneToOne ? OneToOneParties : ManyToManyParties;

    /// <summary>Offset of the reader table for a slot ring kind.</summary>
    public static int ReaderTableOffsetOf(RingKind kind) => WriterTableOffset + (PartiesOf(kind) * EntryLength);

    /// <summary>
    /// The stride for values of <paramref name="slotSize"/> bytes. A slot is the 8-byte stamp plus the value, rounded
    /// up to 8; up to 64 bytes it is rounded up to a power of two (8, 16, 32 or 64), so that slots tile cache lines and
    /// none crosses a line; above 64 it is rounded up to a multiple of 64, so that every slot starts a line and touches
    /// the fewest lines its size allows. The data region starts page-aligned.
    /// </summary>
    public static int StrideFor(int slotSize)
    {
        CheckSlotSize(slotSize);
        int record = (ValueOffset + slotSize + 7) & ~7;
        return record <= CacheLine ? (int)BitOperations.RoundUpToPowerOf2((uint)record) : (record + CacheLine - 1) & ~(CacheLine - 1);
    }

    /// <summary>The largest slot count for values of <paramref name="slotSize"/> bytes: the data region stays within <see cref="SegmentHeaderDescriptor.MaxCapacity"/>.</summary>
    public static int MaxSlotCountFor(int slotSize) =>
        (int)Math.Min(1 << 30, 1L << BitOperations.Log2((ulong)(SegmentHeaderDescriptor.MaxCapacity / StrideFor(slotSize))));

    /// <summary>Checks the value size rule: 1 to <see cref="MaxSlotSize"/> bytes.</summary>
    public static void CheckSlotSize(int slotSize)
    {
        if (slotSize < 1 || slotSize > MaxSlotSize)
        {
            throw new ArgumentOutOfRangeException(nameof(slotSize), slotSize,
                $"Slot size {slotSize} is invalid: a value must be between 1 and {MaxSlotSize} bytes.");
        }
    }

    /// <summary>Checks the slot count rule: a power of two from <see cref="MinSlotCount"/> to <see cref="MaxSlotCountFor"/>.</summary>
    public static void CheckSlotCount(int slotCount, int slotSize)
    {
        int max = MaxSlotCountFor(slotSize);
        if (slotCount < MinSlotCount || slotCount > max || !BitOperations.IsPow2(slotCount))
        {
            throw new ArgumentOutOfRangeException(nameof(slotCount), slotCount,
                $"Slot count {slotCount} is invalid: it must be a power of two between {MinSlotCount} and {max} (for {slotSize}-byte values, whose slots take {StrideFor(slotSize)} bytes, the data region holds at most {SegmentHeaderDescriptor.MaxCapacity} bytes).");
        }
    }
}
