using System;

namespace Ring.Layout;

/// <summary>
/// The many-to-many ring segment (kind 4, layout version 1): any number of writer processes and of competing reader
/// processes (up to <see cref="MaxWriters"/> and <see cref="MaxReaders"/> attached at once); each message goes to
/// exactly one reader. The data region is an array of 64-byte slots with one 8-byte stamp per slot (Vyukov's bounded
/// MPMC queue); a message takes as many consecutive slots as it needs.
/// <code>
///  offset  size  written by  field
///  ------  ----  ----------  -----------------------------------------------------------------------
///       0   128  creator     identity header (SegmentHeaderDescriptor), kind = 4
///     128     8  writers     enqueue cursor: slot position of the next message to claim, CAS; bit 63 = completed
///     136     4  writers     pid of the writer that completed the ring (0 while open)
///     256     8  readers     dequeue cursor: slot position of the next message to take, CAS
///     384     4  writers     data signal: futex word readers sleep on
///     388     4  readers     reader sleepers (atomic)
///     392     8  readers     reader sleeps (atomic add)
///     400     8  writers     reader wake-ups issued (atomic add)
///     512     4  readers     space signal: futex word writers sleep on
///     516     4  writers     writer sleepers (atomic)
///     520     8  writers     writer sleeps (atomic add)
///     528     8  readers     writer wake-ups issued (atomic add)
///     640     8  any         torn claims: claims of dead writers turned into padding (atomic add)
///     648     8  any         revoked claims: claims of live writers held past the stuck-writer timeout (atomic add)
///     656     8  any         lost messages: taken by a reader that died before it finished (atomic add)
///     664     8  any         messages written by writers no longer attached (atomic add)
///     672     8  any         messages read by readers no longer attached (atomic add)
///     680     8  any         full stalls of writers no longer attached (atomic add)
///    1024  7168  writers     writer table: 56 entries of 128 bytes
///    8192  7168  readers     reader table: 56 entries of 128 bytes
///   16384   cap  all         data region: n stamps of 8 bytes, padding to 64, then n slots of 64 bytes
///
///  party entry (128 bytes, written by its holder, or by whoever recovers its claim after it died)
///      +0     8  identity of the holder, 0 = free (PartyTable)
///      +8     8  intent position: the slot position of the claim this party is making or last made; -1 = none
///     +16     8  intent slots: how many slots that claim covers
///     +24     8  messages committed (writer) or taken (reader)
///     +32     8  full stalls (writer)
///
///  stamp (i64), one per slot; CAS moves a head slot's stamp through the states, always naming its position
///    bit 63     0
///    bits 60-62 state: 0 free for position, 1 writing, 2 committed, 3 reading, 4 revoked
///    bits 53-59 party: writer index, or 64 + reader index (0 when free or committed)
///    bits 0-52  position (slot positions since creation)
///
///  message head slot (the message's first slot; the payload runs on into the following slots)
///      +0     4  payload length
///      +4     4  type (-1 = padding: the rest of the slot array before the wrap, or a recovered torn claim)
///      +8     8  taker: state 5 (taken) or 6 (lost with its reader), reader party and position, as a stamp
///     +16     -  payload
/// </code>
/// A message of L bytes takes <c>ceil((16 + L) / 64)</c> slots; it never wraps (a padding message fills the end of
/// the slot array first). Slot position p lives in slot <c>p % n</c>. Interior slots of a message keep the stamp
/// "free for p" while the message is in flight and are freed together with its head slot.
/// </summary>
public static class ManyToManyRingDescriptor
{
    private const int Slot = SegmentHeaderDescriptor.CacheLineSlot;

    /// <summary>The most writers attached at once.</summary>
    public const int MaxWriters = 56;

    /// <summary>The most readers attached at once.</summary>
    public const int MaxReaders = 56;

    /// <summary>The length of one party entry.</summary>
    public const int EntryLength = Slot;

    /// <summary>The length of one slot of the data region.</summary>
    public const int SlotLength = 64;

    /// <summary>The length of a message's header in its head slot (length, type, taker).</summary>
    public const int MessageHeaderLength = 16;

    /// <summary>Bit 63 of the enqueue cursor: set once by <c>Complete</c>; no claim succeeds afterwards.</summary>
    public const long CompletedMark = long.MinValue;

    /// <summary>The party number of reader index 0 in a stamp (writers are 0 to 63).</summary>
    public const int ReaderPartyBase = 64;

    /// <summary>Stamp state: the slot is free for the position in the stamp.</summary>
    public const int Free = 0;

    /// <summary>Stamp state: a writer (the party) has claimed the message at the position and is writing it.</summary>
    public const int Writing = 1;

    /// <summary>Stamp state: the message at the position is committed and waits for a reader.</summary>
    public const int Committed = 2;

    /// <summary>Stamp state: a reader (the party) has taken the message and is reading it.</summary>
    public const int Reading = 3;

    /// <summary>Stamp state: the claim of a live writer (the party) was revoked; readers pass it, its slots wait for the writer.</summary>
    public const int Revoked = 4;

    /// <summary>Taker state: the reader in the taker word read the message.</summary>
    public const int Taken = 5;

    /// <summary>Taker state: the reader in the taker word died while reading the message; it was lost.</summary>
    public const int Lost = 6;

    /// <summary>The mask of the position bits of a stamp.</summary>
    public const long PositionMask = (1L << 53) - 1;

    /// <summary>Offset of the enqueue cursor (i64).</summary>
    public const int EnqueueOffset = SegmentHeaderDescriptor.Length;

    /// <summary>Offset of the pid of the writer that completed the ring (i32).</summary>
    public const int CompletedByOffset = EnqueueOffset + 8;

    /// <summary>Offset of the dequeue cursor (i64).</summary>
    public const int DequeueOffset = EnqueueOffset + Slot;

    /// <summary>Offset of the data-signal futex word (i32).</summary>
    public const int DataSignalOffset = DequeueOffset + Slot;

    /// <summary>Offset of the number of sleeping readers (i32).</summary>
    public const int ReaderSleepersOffset = DataSignalOffset + 4;

    /// <summary>Offset of the count of reader sleeps (i64).</summary>
    public const int ReaderSleepsOffset = DataSignalOffset + 8;

    /// <summary>Offset of the count of reader wake-ups (i64).</summary>
    public const int ReaderWakeupsOffset = DataSignalOffset + 16;

    /// <summary>Offset of the space-signal futex word (i32).</summary>
    public const int SpaceSignalOffset = DataSignalOffset + Slot;

    /// <summary>Offset of the number of sleeping writers (i32).</summary>
    public const int WriterSleepersOffset = SpaceSignalOffset + 4;

    /// <summary>Offset of the count of writer sleeps (i64).</summary>
    public const int WriterSleepsOffset = SpaceSignalOffset + 8;

    /// <summary>Offset of the count of writer wake-ups (i64).</summary>
    public const int WriterWakeupsOffset = SpaceSignalOffset + 16;

    /// <summary>Offset of the count of torn claims (i64).</summary>
    public const int TornClaimsOffset = SpaceSignalOffset + Slot;

    /// <summary>Offset of the count of revoked claims (i64).</summary>
    public const int RevokedClaimsOffset = TornClaimsOffset + 8;

    /// <summary>Offset of the count of messages lost with their reader (i64).</summary>
    public const int LostMessagesOffset = TornClaimsOffset + 16;

    /// <summary>Offset of the messages written by writers no longer attached (i64).</summary>
    public const int RetiredMessagesWrittenOffset = TornClaimsOffset + 24;

    /// <summary>Offset of the messages read by readers no longer attached (i64).</summary>
    public const int RetiredMessagesReadOffset = TornClaimsOffset + 32;

    /// <summary>Offset of the full stalls of writers no longer attached (i64).</summary>
    public const int RetiredFullStallsOffset = TornClaimsOffset + 40;

    /// <summary>Offset of the writer table.</summary>
    public const int WriterTableOffset = 1024;

    /// <summary>Offset of the reader table.</summary>
    public const int ReaderTableOffset = WriterTableOffset + (MaxWriters * EntryLength);

    /// <summary>Offset of a party's intent position within its entry (i64).</summary>
    public const int IntentPositionField = 8;

    /// <summary>Offset of a party's intent slot count within its entry (i64).</summary>
    public const int IntentSlotsField = 16;

    /// <summary>Offset of a party's message count within its entry (i64).</summary>
    public const int MessagesField = 24;

    /// <summary>Offset of a writer's full-stall count within its entry (i64).</summary>
    public const int FullStallsField = 32;

    /// <summary>Offset of the data region.</summary>
    public const int DataOffset = 16384;

    /// <summary>The number of slots a data region of <paramref name="capacity"/> bytes holds (stamps included).</summary>
    public static long SlotCountFor(long capacity)
    {
        long n = capacity / (SlotLength + 8);
        while (n > 0 && SlotsOffsetFor(n) + (n * SlotLength) > capacity)
        {
            n--;
        }

        return n;
    }

    /// <summary>Offset of the first slot within the data region: after <paramref name="slotCount"/> stamps, rounded up to 64.</summary>
    public static long SlotsOffsetFor(long slotCount) => ((slotCount * 8) + SlotLength - 1) & ~(long)(SlotLength - 1);

    /// <summary>How many slots a message of <paramref name="length"/> payload bytes takes.</summary>
    public static long SlotsFor(int length) => (MessageHeaderLength + (long)length + SlotLength - 1) / SlotLength;

    /// <summary>Checks that a message of the maximum length fits in the slot array; the message names the values.</summary>
    public static void CheckSizes(long capacity, int maxMessageLength)
    {
        long n = SlotCountFor(capacity);
        long needed = SlotsFor(maxMessageLength);
        if (needed > n)
        {
            throw new ArgumentOutOfRangeException(nameof(maxMessageLength), maxMessageLength,
                $"MaxMessageLength {maxMessageLength} is invalid for a many-to-many ring of capacity {capacity}: a message takes ceil((16 + length) / 64) slots = {needed}, and the capacity holds {n} slots of 64 bytes (plus an 8-byte stamp each).");
        }
    }
}
