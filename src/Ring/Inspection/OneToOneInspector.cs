using System.Collections.Generic;
using Ring.Layout;

namespace Ring;

/// <summary>Counters and parties of a <see cref="OneToOneRing"/> (<see cref="OneToOneRingDescriptor"/>).</summary>
internal sealed class OneToOneInspector : SegmentInspector
{
    private static readonly CounterDefinition[] s_counters =
    [
        new("ring.messages.written", "{message}", "Messages committed by the writer.", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.MessagesWrittenOffset)),
        new("ring.messages.read", "{message}", "Messages consumed by the reader.", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.MessagesReadOffset)),
        new("ring.bytes.written", "By", "Bytes of frames claimed by the writer: payloads, 8-byte frame headers, alignment and wrap padding (the tail position).", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.TailOffset)),
        new("ring.bytes.read", "By", "Bytes of frames consumed by the reader (the head position).", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.HeadOffset)),
        new("ring.bytes.pending", "By", "Bytes of frames written and not yet read (tail - head).", false, Pending),
        new("ring.capacity", "By", "Bytes in the data region.", false,
            m => m.ReadInt64Acquire(SegmentHeaderDescriptor.CapacityOffset)),
        new("ring.full_stalls", "{stall}", "Writes that found the ring full.", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.FullStallsOffset)),
        new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.ReaderSleepsOffset), "reader"),
        new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.WriterSleepsOffset), "writer"),
        new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.ReaderWakeupsOffset), "reader"),
        new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.WriterWakeupsOffset), "writer"),
        new("ring.torn_claims", "{claim}", "Claims a dead writer left uncommitted: skipped by the reader, or repaired by a later writer.", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.ReaderTornClaimsOffset), "reader"),
        new("ring.torn_claims", "{claim}", "Claims a dead writer left uncommitted: skipped by the reader, or repaired by a later writer.", true,
            m => m.ReadInt64Acquire(OneToOneRingDescriptor.WriterTornClaimsOffset), "writer"),
        new("ring.completed", "1", "1 once the writer has completed the stream, else 0.", false,
            m => m.ReadInt32Acquire(OneToOneRingDescriptor.CompletedOffset) != 0 ? 1 : 0),
    ];

    internal override RingKind Kind => RingKind.OneToOne;

    internal override IReadOnlyList<CounterDefinition> Counters => s_counters;

    internal override void AddParties(SharedMemory memory, List<RingParty> parties)
    {
        AddParty(parties, "writer",
            memory.ReadInt32Acquire(OneToOneRingDescriptor.WriterPidOffset), memory.ReadInt64Acquire(OneToOneRingDescriptor.WriterStartTimeOffset));

        // The reader's lag: bytes of frames it has yet to read.
        AddParty(parties, "reader",
            memory.ReadInt32Acquire(OneToOneRingDescriptor.ReaderPidOffset), memory.ReadInt64Acquire(OneToOneRingDescriptor.ReaderStartTimeOffset),
            Pending(memory));
    }

    internal override long? BytesPending(SharedMemory memory) => Pending(memory);

    // The head first: the tail read after it is at least as new, so a live ring never shows a negative fill.
    private static long Pending(SharedMemory m)
    {
        long head = m.ReadInt64Acquire(OneToOneRingDescriptor.HeadOffset);
        long tail = m.ReadInt64Acquire(OneToOneRingDescriptor.TailOffset);
        return tail - head;
    }
}
