using System.Collections.Generic;
using Ring.Layout;

namespace Ring;

/// <summary>Progress and participants of a <see cref="SharedBarrier"/> (<see cref="SharedBarrierDescriptor"/>).</summary>
internal sealed class BarrierInspector : PrimitiveInspector
{
    internal BarrierInspector()
        : base(
            new CounterDefinition("ring.barrier.phase", "{phase}", "Phases completed.", true,
                m => (long)((ulong)m.ReadInt64Acquire(SharedBarrierDescriptor.ProgressOffset) >> 32)),
            new CounterDefinition("ring.barrier.arrived", "{participant}", "Participants that have arrived in the current phase.", false,
                m => (uint)m.ReadInt64Acquire(SharedBarrierDescriptor.ProgressOffset)),
            new CounterDefinition("ring.barrier.participants", "{participant}", "Participants each phase waits for.", false,
                m => m.ReadInt32Acquire(SharedBarrierDescriptor.ParticipantsOffset)),
            new CounterDefinition("ring.barrier.broken", "1", "1 once a participant died before it arrived (the barrier stays broken), else 0.", false,
                m => m.ReadInt32Acquire(SharedBarrierDescriptor.BrokenOffset) != 0 ? 1 : 0))
    {
    }

    internal override RingKind Kind => RingKind.Barrier;

    internal override void AddParties(SharedMemory memory, List<RingParty> parties)
    {
        // The participant count bounds the table; a count outside the rule (garbage) reads no entry at all.
        int count = memory.ReadInt32Acquire(SharedBarrierDescriptor.ParticipantsOffset);
        if (count < 1 || count > SharedBarrierDescriptor.MaxParticipants)
        {
            return;
        }

        for (int slot = 0; slot < count; slot++)
        {
            int entry = SharedBarrierDescriptor.TableOffset + (slot * SharedBarrierDescriptor.EntryLength);
            AddParty(parties, "participant", memory.ReadInt32Acquire(entry), memory.ReadInt64Acquire(entry + 8));
        }
    }
}
