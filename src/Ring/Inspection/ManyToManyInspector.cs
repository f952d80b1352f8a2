using System;
using System.Collections.Generic;
using Ring.Layout;

namespace Ring;

/// <summary>Counters and parties of a <see cref="ManyToManyRing"/> (<see cref="ManyToManyRingDescriptor"/>): the writer and reader tables.</summary>
internal sealed class ManyToManyInspector : SegmentInspector
{
    private static readonly CounterDefinition[] s_counters =
    [
        new("ring.messages.written", "{message}", "Messages committed by the writers.", true,
            m => Sum(m, ManyToManyRingDescriptor.RetiredMessagesWrittenOffset, ManyToManyRingDescriptor.WriterTableOffset, ManyToManyRingDescriptor.MaxWriters, ManyToManyRingDescriptor.MessagesField)),
        new("ring.messages.read", "{message}", "Messages taken by the readers (each message goes to one of them).", true,
            m => Sum(m, ManyToManyRingDescriptor.RetiredMessagesReadOffset, ManyToManyRingDescriptor.ReaderTableOffset, ManyToManyRingDescriptor.MaxReaders, ManyToManyRingDescriptor.MessagesField)),
        new("ring.messages.lost", "{message}", "Messages taken by a reader that died before it finished reading them.", true,
            m => m.ReadInt64Acquire(ManyToManyRingDescriptor.LostMessagesOffset)),
        new("ring.bytes.pending", "By", "Bytes of slots claimed and not yet taken: (enqueue - dequeue cursor) times 64, headers and padding included.", false, Pending),
        new("ring.capacity", "By", "Bytes in the data region (stamps and slots).", false,
            m => m.ReadInt64Acquire(SegmentHeaderDescriptor.CapacityOffset)),
        new("ring.full_stalls", "{stall}", "Writes that found the ring full.", true,
            m => Sum(m, ManyToManyRingDescriptor.RetiredFullStallsOffset, ManyToManyRingDescriptor.WriterTableOffset, ManyToManyRingDescriptor.MaxWriters, ManyToManyRingDescriptor.FullStallsField)),
        new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true,
            m => m.ReadInt64Acquire(ManyToManyRingDescriptor.ReaderSleepsOffset), "reader"),
        new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true,
            m => m.ReadInt64Acquire(ManyToManyRingDescriptor.WriterSleepsOffset), "writer"),
        new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
            m => m.ReadInt64Acquire(ManyToManyRingDescriptor.ReaderWakeupsOffset), "reader"),
        new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
            m => m.ReadInt64Acquire(ManyToManyRingDescriptor.WriterWakeupsOffset), "writer"),
        new("ring.torn_claims", "{claim}", "Claims a dead writer left uncommitted, turned into padding.", true,
            m => m.ReadInt64Acquire(ManyToManyRingDescriptor.TornClaimsOffset), "writer"),
        new("ring.revoked_claims", "{claim}", "Claims of live writers held past the stuck-writer timeout and revoked by a reader.", true,
            m => m.ReadInt64Acquire(ManyToManyRingDescriptor.RevokedClaimsOffset)),
        new("ring.completed", "1", "1 once a writer has completed the stream, else 0.", false,
            m => m.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset) < 0 ? 1 : 0),
    ];

    internal override RingKind Kind => RingKind.ManyToMany;

    internal override IReadOnlyList<CounterDefinition> Counters => s_counters;

    internal override void AddParties(SharedMemory memory, List<RingParty> parties)
    {
        for (int i = 0; i < ManyToManyRingDescriptor.MaxWriters; i++)
        {
            AddIdentity(parties, "writer", memory.ReadInt64Acquire(Entry(ManyToManyRingDescriptor.WriterTableOffset, i)), null);
        }

        // Competing readers share one dequeue cursor: each one's lag is what the ring holds for all of them.
        long pending = Pending(memory);
        for (int i = 0; i < ManyToManyRingDescriptor.MaxReaders; i++)
        {
            AddIdentity(parties, "reader", memory.ReadInt64Acquire(Entry(ManyToManyRingDescriptor.ReaderTableOffset, i)), pending);
        }
    }

    internal override long? BytesPending(SharedMemory memory) => Pending(memory);

    private static long Entry(int table, int index) => table + ((long)index * ManyToManyRingDescriptor.EntryLength);

    private static void AddIdentity(List<RingParty> parties, string role, long identity, long? lag)
    {
        if (identity != 0)
        {
            parties.Add(new RingParty(role, ProcessLiveness.ProcessIdOf(identity), (uint)identity, ProcessLiveness.IsAlive(identity), lag));
        }
    }

    // The dequeue cursor first: the enqueue cursor read after it is at least as new. Cursors are moved on after the
    // stamps (by any party), so the two may disagree for a moment, and garbage may be anything: masked and clamped at 0.
    private static long Pending(SharedMemory m)
    {
        long dequeue = m.ReadInt64Acquire(ManyToManyRingDescriptor.DequeueOffset) & ManyToManyRingDescriptor.PositionMask;
        long enqueue = m.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset) & ManyToManyRingDescriptor.PositionMask;
        return Math.Max(0, enqueue - dequeue) * ManyToManyRingDescriptor.SlotLength;
    }

    /// <summary>Parties that left added their counts to the retired total; attached ones (dead ones too, until reclaimed) keep theirs in their entry.</summary>
    private static long Sum(SharedMemory m, int retiredOffset, int table, int entries, int field)
    {
        long total = m.ReadInt64Acquire(retiredOffset);
        for (int i = 0; i < entries; i++)
        {
            if (m.ReadInt64Acquire(Entry(table, i)) != 0)
            {
                total += m.ReadInt64Acquire(Entry(table, i) + field);
            }
        }

        return total;
    }
}
