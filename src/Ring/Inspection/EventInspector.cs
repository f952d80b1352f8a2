using Ring.Layout;

namespace Ring;

/// <summary>State of a <see cref="SharedEvent"/> (<see cref="SharedEventDescriptor"/>).</summary>
internal sealed class EventInspector : PrimitiveInspector
{
    internal EventInspector()
        : base(
            new CounterDefinition("ring.event.set", "1", "1 while the event is set, else 0.", false,
                m => m.ReadInt32Acquire(SharedEventDescriptor.StateOffset) != 0 ? 1 : 0),
            new CounterDefinition("ring.event.manual_reset", "1", "1 for a manual-reset event, 0 for auto-reset.", false,
                m => m.ReadInt32Acquire(SharedEventDescriptor.ModeOffset) != 0 ? 1 : 0))
    {
    }

    internal override RingKind Kind => RingKind.Event;
}
