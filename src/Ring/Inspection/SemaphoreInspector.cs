using Ring.Layout;

namespace Ring;

/// <summary>Counters of a <see cref="SharedSemaphore"/> (<see cref="SharedSemaphoreDescriptor"/>).</summary>
internal sealed class SemaphoreInspector : PrimitiveInspector
{
    internal SemaphoreInspector()
        : base(
            new CounterDefinition("ring.semaphore.count", "{permit}", "Permits available.", false,
                m => m.ReadInt32Acquire(SharedSemaphoreDescriptor.CountOffset)),
            new CounterDefinition("ring.semaphore.maximum", "{permit}", "Most permits the semaphore holds.", false,
                m => m.ReadInt32Acquire(SharedSemaphoreDescriptor.MaximumOffset)))
    {
    }

    internal override RingKind Kind => RingKind.Semaphore;
}
