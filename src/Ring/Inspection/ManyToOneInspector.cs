using System.Collections.Generic;
using Ring.Layout;

namespace Ring;

/// <summary>Counters and parties of a <see cref="ManyToOneRing"/> (<see cref="ManyToOneRingDescriptor"/>).</summary>
internal sealed class ManyToOneInspector : SegmentInspector
{
    private static readonly CounterDefinition[] s_counters =
    [
        new("ring.messages.written", "{message}", "Messages committed by the writer.", true, MessagesWritten),
        new("ring.messages.read", "{message}", "Messages consumed by the reader.", true,
            m => m.ReadInt64Acquire(ManyToOneRingDescriptor.MessagesReadOffset)),
        new("ring.bytes.written", "By", "Bytes of frames claimed by the writer: payloads, 8-byte frame headers, alignment and wrap padding (the tail position).", true, Tail),
        new("ring.bytes.read", "By", "Bytes of frames consumed by the reader (the head position).", true,
            m => m.ReadInt64Acquire(ManyToOneRingDescriptor.HeadOffset)),
        new("ring.bytes.pending", "By", "Bytes of frames written and not yet read (tail - head).", false, Pending),
        new("ring.capacity", "By", "Bytes in the data region.", false,
            m => m.ReadInt64Acquire(SegmentHeaderDescriptor.CapacityOffset)),
        new("ring.full_stalls", "{stall}", "Writes that found the ring full.", true, FullStalls),
        new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true,
            m => m.ReadInt64Acquire(ManyToOneRingDescriptor.ReaderSleepsOffset), "reader"),
        new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true,
            m => m.ReadInt64Acquire(ManyToOneRingDescriptor.WriterSleepsOffset), "writer"),
        new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
            m => m.ReadInt64Acquire(ManyToOneRingDescriptor.ReaderWakeupsOffset), "reader"),
        new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
            m => m.ReadInt64Acquire(ManyToOneRingDescriptor.WriterWakeupsOffset), "writer"),
        new("ring.torn_claims", "{claim}", "Claims a dead writer left uncommitted: skipped by the reader, or repaired by a later writer.", true,
            m => m.ReadInt64Acquire(ManyToOneRingDescriptor.TornClaimsOffset), "reader"),
        new("ring.revoked_claims", "{claim}", "Claims of live writers held past the stuck-writer timeout and revoked by the reader.", true,
            m => m.ReadInt64Acquire(ManyToOneRingDescriptor.RevokedClaimsOffset)),
        new("ring.completed", "1", "1 once the writer has completed the stream, else 0.", false,
            m => m.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset) < 0 ? 1 : 0),
    ];

    internal override RingKind Kind => RingKind.ManyToOne;

    internal override IReadOnlyList<CounterDefinition> Counters => s_counters;

    internal override void AddParties(SharedMemory memory, List<RingParty> parties)
    {
        for (int i = 0; i < ManyToOneRingDescriptor.MaxWriters; i++)
        {
            AddIdentity(parties, "writer", memory.ReadInt64Acquire(WriterEntry(i)), null);
        }

        // The reader's lag: bytes of frames it has yet to read.
        AddIdentity(parties, "reader", memory.ReadInt64Acquire(ManyToOneRingDescriptor.ReaderEntryOffset), Pending(memory));
    }

    internal override long? BytesPending(SharedMemory memory) => Pending(memory);

    private static long WriterEntry(int index) => ManyToOneRingDescriptor.WriterTableOffset + ((long)index * ManyToOneRingDescriptor.WriterEntryLength);

    /// <summary>A party entry holds an identity word: pid in the high half, the low 32 bits of its start time below.</summary>
    private static void AddIdentity(List<RingParty> parties, string role, long identity, long? lag)
    {
        if (identity != 0)
        {
            parties.Add(new RingParty(role, ProcessLiveness.ProcessIdOf(identity), (uint)identity, ProcessLiveness.IsAlive(identity), lag));
        }
    }

    private static long Tail(SharedMemory m) => m.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset) & ~ManyToOneRingDescriptor.CompletedMark;

    // The head first: the tail read after it is at least as new, so a live ring never shows a negative fill.
    private static long Pending(SharedMemory m)
    {
        long head = m.ReadInt64Acquire(ManyToOneRingDescriptor.HeadOffset);
        return Tail(m) - head;
    }

    /// <summary>Writers that left added their counts to the retired total; attached writers keep theirs in their entry.</summary>
    private static long MessagesWritten(SharedMemory m) => Sum(m, ManyToOneRingDescriptor.RetiredMessagesWrittenOffset, ManyToOneRingDescriptor.MessagesWrittenField);

    private static long FullStalls(SharedMemory m) => Sum(m, ManyToOneRingDescriptor.RetiredFullStallsOffset, ManyToOneRingDescriptor.FullStallsField);

    private static long Sum(SharedMemory m, int retiredOffset, int field)
    {
        long total = m.ReadInt64Acquire(retiredOffset);
        for (int i = 0; i < ManyToOneRingDescriptor.MaxWriters; i++)
        {
            if (m.ReadInt64Acquire(WriterEntry(i)) != 0)
            {
                total += m.ReadInt64Acquire(WriterEntry(i) + field);
            }
        }

        return total;
    }
}
