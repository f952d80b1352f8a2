using System;
using System.Collections.Generic;
using Ring.Layout;

namespace Ring;

/// <summary>Counters and parties of a slot ring, either kind (<see cref="SlotRingDescriptor"/>): <see cref="SlotRing{T}"/> or <see cref="ManyToManySlotRing{T}"/>.</summary>
internal sealed class SlotInspector : SegmentInspector
{
    private readonly RingKind _kind;
    private readonly int _parties;
    private readonly int _readerTable;
    private readonly CounterDefinition[] _counters;

    internal SlotInspector(RingKind kind)
    {
        _kind = kind;
        _parties = SlotRingDescriptor.PartiesOf(kind);
        _readerTable = SlotRingDescriptor.ReaderTableOffsetOf(kind);
        _counters =
        [
            new("ring.messages.written", "{message}", "Values committed by the writers.", true, MessagesWritten),
            new("ring.messages.read", "{message}", "Values taken by the readers.", true, MessagesRead),
            new("ring.messages.pending", "{message}", "Positions claimed and not yet taken (enqueue - dequeue position).", false, Pending),
            new("ring.slots", "{slot}", "Slots in the ring.", false, m => m.ReadInt32Plain(SlotRingDescriptor.SlotCountOffset)),
            new("ring.slot_size", "By", "Bytes of one value.", false, m => m.ReadInt32Plain(SlotRingDescriptor.SlotSizeOffset)),
            new("ring.full_stalls", "{stall}", "Writes that found the ring full.", true, m => Sum(m, SlotRingDescriptor.WriterTableOffset, SlotRingDescriptor.EntryFullStallsOffset)),
            new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true, m => m.ReadInt64Acquire(SlotRingDescriptor.ReaderSleepsOffset), "reader"),
            new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true, m => m.ReadInt64Acquire(SlotRingDescriptor.WriterSleepsOffset), "writer"),
            new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
                m => m.ReadInt64Acquire(SlotRingDescriptor.ReaderWakeupsOffset), "reader"),
            new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
                m => m.ReadInt64Acquire(SlotRingDescriptor.WriterWakeupsOffset), "writer"),
            new("ring.abandoned_claims", "{claim}", "Claims of dead or stuck writers passed by the readers.", true,
                m => m.ReadInt64Acquire(SlotRingDescriptor.AbandonedClaimsOffset)),
            new("ring.skipped_positions", "{position}", "Positions that carried no value.", true,
                m => m.ReadInt64Acquire(SlotRingDescriptor.SkippedPositionsOffset)),
            new("ring.late_commits", "{commit}", "Commits refused because the claim had been abandoned; the value was written again.", true,
                m => m.ReadInt64Acquire(SlotRingDescriptor.LateCommitsOffset)),
            new("ring.redeliveries", "{message}", "Values taken back from dead readers and delivered again.", true,
                m => m.ReadInt64Acquire(SlotRingDescriptor.RedeliveriesOffset)),
            new("ring.completed", "1", "1 once a writer has completed the stream, else 0.", false,
                m => m.ReadInt64Acquire(SlotRingDescriptor.EnqueueOffset) < 0 ? 1 : 0),
        ];
    }

    internal override RingKind Kind => _kind;

    internal override IReadOnlyList<CounterDefinition> Counters => _counters;

    internal override void AddParties(SharedMemory memory, List<RingParty> parties)
    {
        long pending = Pending(memory);
        for (int i = 0; i < _parties; i++)
        {
            AddIdentity(parties, "writer", memory.ReadInt64Acquire(SlotRingDescriptor.WriterTableOffset + ((long)i * SlotRingDescriptor.EntryLength)), null);
        }

        for (int i = 0; i < _parties; i++)
        {
            AddIdentity(parties, "reader", memory.ReadInt64Acquire(_readerTable + ((long)i * SlotRingDescriptor.EntryLength)), pending);
        }
    }

    /// <summary>Bytes of values claimed and not yet taken: pending positions times the value size.</summary>
    internal override long? BytesPending(SharedMemory memory) => Pending(memory) * memory.ReadInt32Plain(SlotRingDescriptor.SlotSizeOffset);

    private static void AddIdentity(List<RingParty> parties, string role, long identity, long? lag)
    {
        if (identity != 0)
        {
            parties.Add(new RingParty(role, ProcessLiveness.ProcessIdOf(identity), (uint)identity, ProcessLiveness.IsAlive(identity), lag));
        }
    }

    // The dequeue position first: the enqueue position read after it is at least as new. A many-to-many ring's
    // dequeue position may pass the enqueue position for a moment (a claim passed before its writer moved it).
    private static long Pending(SharedMemory m)
    {
        long dequeue = m.ReadInt64Acquire(SlotRingDescriptor.DequeueOffset);
        long enqueue = m.ReadInt64Acquire(SlotRingDescriptor.EnqueueOffset) & ~SlotRingDescriptor.ClosedMark;
        return Math.Max(0, enqueue - dequeue);
    }

    /// <summary>A one-to-one slot ring keeps no counts in its entries: its positions are its counts.</summary>
    private long MessagesWritten(SharedMemory m) => _kind == RingKind.SlotOneToOne
        ? m.ReadInt64Acquire(SlotRingDescriptor.EnqueueOffset) & ~SlotRingDescriptor.ClosedMark
        : Sum(m, SlotRingDescriptor.WriterTableOffset, SlotRingDescriptor.EntryMessagesOffset);

    private long MessagesRead(SharedMemory m) => _kind == RingKind.SlotOneToOne
        ? m.ReadInt64Acquire(SlotRingDescriptor.DequeueOffset)
        : Sum(m, _readerTable, SlotRingDescriptor.EntryMessagesOffset);

    private long Sum(SharedMemory m, int table, int field)
    {
        long sum = 0;
        for (int i = 0; i < _parties; i++)
        {
            sum += m.ReadInt64Acquire(table + ((long)i * SlotRingDescriptor.EntryLength) + field);
        }

        return sum;
    }
}
