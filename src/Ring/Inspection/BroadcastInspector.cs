using System;
using System.Collections.Generic;
using Ring.Layout;

namespace Ring;

/// <summary>Counters and parties of a broadcast ring (<see cref="BroadcastRingDescriptor"/>): the writer and every attached reader with its lag.</summary>
internal sealed class BroadcastInspector : SegmentInspector
{
    private static readonly CounterDefinition[] s_counters =
    [
        new("ring.messages.written", "{message}", "Messages committed by the writer.", true,
            m => m.ReadInt64Acquire(BroadcastRingDescriptor.MessagesWrittenOffset)),
        new("ring.messages.read", "{message}", "Messages read by the readers attached now, added up (each reader reads every message).", false,
            m => SumOverReaders(m, BroadcastRingDescriptor.ReaderMessagesReadOffset)),
        new("ring.messages.lost", "{message}", "Messages the readers attached now lost to the writer (lossy mode), added up.", false,
            m => SumOverReaders(m, BroadcastRingDescriptor.ReaderMessagesLostOffset)),
        new("ring.bytes.written", "By", "Bytes of frames committed by the writer: payloads, 16-byte frame headers, alignment and wrap padding (the tail position).", true, Tail),
        new("ring.bytes.pending", "By", "Bytes of frames the slowest attached reader has yet to read (tail - its position).", false, Pending),
        new("ring.capacity", "By", "Bytes in the data region.", false,
            m => m.ReadInt64Acquire(SegmentHeaderDescriptor.CapacityOffset)),
        new("ring.readers", "{reader}", "Readers attached.", false, Readers),
        new("ring.readers.evicted", "{reader}", "Dead readers a gated writer detached so that they stopped gating it.", true,
            m => m.ReadInt64Acquire(BroadcastRingDescriptor.ReadersEvictedOffset)),
        new("ring.full_stalls", "{stall}", "Gated writes that found no room.", true,
            m => m.ReadInt64Acquire(BroadcastRingDescriptor.FullStallsOffset)),
        new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true,
            m => m.ReadInt64Acquire(BroadcastRingDescriptor.ReaderSleepsOffset), "reader"),
        new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true,
            m => m.ReadInt64Acquire(BroadcastRingDescriptor.WriterSleepsOffset), "writer"),
        new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
            m => m.ReadInt64Acquire(BroadcastRingDescriptor.ReaderWakeupsOffset), "reader"),
        new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
            m => m.ReadInt64Acquire(BroadcastRingDescriptor.WriterWakeupsOffset), "writer"),
        new("ring.torn_claims", "{claim}", "Claims a dead writer left uncommitted, turned into padding by the writer that took over.", true,
            m => m.ReadInt64Acquire(BroadcastRingDescriptor.TornClaimsOffset), "writer"),
        new("ring.completed", "1", "1 once the writer has completed the stream, else 0.", false,
            m => m.ReadInt32Acquire(BroadcastRingDescriptor.CompletedOffset) != 0 ? 1 : 0),
    ];

    internal override RingKind Kind => RingKind.Broadcast;

    internal override IReadOnlyList<CounterDefinition> Counters => s_counters;

    internal override void AddParties(SharedMemory memory, List<RingParty> parties)
    {
        AddIdentity(parties, "writer", memory.ReadInt64Acquire(BroadcastRingDescriptor.WriterIdentityOffset), null);
        long tail = Tail(memory);
        for (int i = 0; i < BroadcastRingDescriptor.MaxReaders; i++)
        {
            long slot = BroadcastCore.ReaderSlotOffset(i);
            long position = memory.ReadInt64Acquire(slot + BroadcastRingDescriptor.ReaderPositionOffset);

            // Each reader's lag: bytes of frames it has yet to read (0 while it joins).
            AddIdentity(parties, "reader", memory.ReadInt64Acquire(slot), position < 0 ? 0 : tail - position);
        }
    }

    internal override long? BytesPending(SharedMemory memory) => Pending(memory);

    private static void AddIdentity(List<RingParty> parties, string role, long identity, long? lag)
    {
        if (identity != 0)
        {
            parties.Add(new RingParty(role, ProcessLiveness.ProcessIdOf(identity), (uint)identity, ProcessLiveness.IsAlive(identity), lag));
        }
    }

    private static long Tail(SharedMemory m) => m.ReadInt64Acquire(BroadcastRingDescriptor.TailOffset);

    private static long Readers(SharedMemory m)
    {
        long count = 0;
        for (int i = 0; i < BroadcastRingDescriptor.MaxReaders; i++)
        {
            if (m.ReadInt64Acquire(BroadcastCore.ReaderSlotOffset(i)) != 0)
            {
                count++;
            }
        }

        return count;
    }

    // The positions first: the tail read after them is at least as new, so a live ring never shows a negative fill.
    private static long Pending(SharedMemory m)
    {
        long slowest = long.MaxValue;
        for (int i = 0; i < BroadcastRingDescriptor.MaxReaders; i++)
        {
            long slot = BroadcastCore.ReaderSlotOffset(i);
            long position = m.ReadInt64Acquire(slot + BroadcastRingDescriptor.ReaderPositionOffset);
            if (position >= 0 && m.ReadInt64Acquire(slot) != 0)
            {
                slowest = Math.Min(slowest, position);
            }
        }

        long tail = Tail(m);
        return slowest == long.MaxValue ? 0 : tail - slowest;
    }

    private static long SumOverReaders(SharedMemory m, int field)
    {
        long sum = 0;
        for (int i = 0; i < BroadcastRingDescriptor.MaxReaders; i++)
        {
            long slot = BroadcastCore.ReaderSlotOffset(i);
            if (m.ReadInt64Acquire(slot) != 0)
            {
                sum += m.ReadInt64Acquire(slot + field);
            }
        }

        return sum;
    }
}
