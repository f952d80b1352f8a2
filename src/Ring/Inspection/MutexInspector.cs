using System.Collections.Generic;
using Ring.Layout;

namespace Ring;

/// <summary>Counters and owner of a <see cref="SharedMutex"/> (<see cref="SharedMutexDescriptor"/>).</summary>
internal sealed class MutexInspector : PrimitiveInspector
{
    internal MutexInspector()
        : base(
            new CounterDefinition("ring.mutex.held", "1", "1 while a process holds the mutex, else 0.", false,
                m => m.ReadInt64Acquire(SharedMutexDescriptor.OwnerOffset) != 0 ? 1 : 0),
            new CounterDefinition("ring.mutex.abandonments", "{abandonment}", "Times an acquirer took the mutex over from a dead owner.", true,
                m => m.ReadInt64Acquire(SharedMutexDescriptor.AbandonmentsOffset)))
    {
    }

    internal override RingKind Kind => RingKind.Mutex;

    internal override void AddParties(SharedMemory memory, List<RingParty> parties)
    {
        // The owner word is the owner's identity: pid in the high half, the low 32 bits of its start time below.
        long owner = memory.ReadInt64Acquire(SharedMutexDescriptor.OwnerOffset);
        if (owner != 0)
        {
            parties.Add(new RingParty("owner", ProcessLiveness.ProcessIdOf(owner), (uint)owner, ProcessLiveness.IsAlive(owner), null));
        }
    }
}
