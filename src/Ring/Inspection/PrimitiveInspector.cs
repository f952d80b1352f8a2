using System.Collections.Generic;
using Ring.Layout;

namespace Ring;

/// <summary>What the four synchronization primitives share (<see cref="SyncDescriptor"/>): the futex counters.</summary>
internal abstract class PrimitiveInspector : SegmentInspector
{
    private readonly CounterDefinition[] _counters;

    protected PrimitiveInspector(params CounterDefinition[] own)
    {
        _counters =
        [
            .. own,
            new("ring.sleeps", "{sleep}", "Futex sleeps entered.", true, m => m.ReadInt64Acquire(SyncDescriptor.SleepsOffset), "waiter"),
            new("ring.wakeups", "{wakeup}", "Futex wake-ups issued to a sleeping party (the party tag names the sleeper).", true,
                m => m.ReadInt64Acquire(SyncDescriptor.WakeupsOffset), "waiter"),
        ];
    }

    internal override IReadOnlyList<CounterDefinition> Counters => _counters;

    internal override void AddParties(SharedMemory memory, List<RingParty> parties)
    {
        // Semaphores and events do not record who uses them: only their creator is known.
    }
}
