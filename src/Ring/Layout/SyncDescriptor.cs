namespace Ring.Layout;

/// <summary>
/// The part every synchronization-primitive segment (kinds 16 to 19) shares. One primitive per segment: the identity
/// header (capacity 0, maximum message length 0, header length 4096), the primitive's state on the 128-byte slot at
/// 128, and the futex on the slot at 256; the rest of the page belongs to the primitive.
/// <code>
///  offset  size  field
///  ------  ----  --------------------------------------------------------------------------------------------
///       0   128  identity header (SegmentHeaderDescriptor), kind 16 mutex, 17 semaphore, 18 event, 19 barrier
///     128   128  state: see SharedMutexDescriptor, SharedSemaphoreDescriptor, SharedEventDescriptor, SharedBarrierDescriptor
///     256     4  signal: futex word the waiters sleep on; a releaser adds 1 before FUTEX_WAKE
///     260     4  sleepers: waiters inside the sleep protocol (atomic +1/-1)
///     264     8  sleeps (atomic counter)
///     272     8  wake-ups issued (atomic counter)
///     384  3712  per-kind extension (the barrier's participant table), else zero
///    4096        end of file
/// </code>
/// Waiting follows the same protocol as the rings (docs/layout.md section 6): announce in sleepers, fence, read the
/// signal, re-check the state, FUTEX_WAIT; a releaser changes the state with an atomic instruction (a full fence),
/// then wakes only if sleepers is non-zero.
/// </summary>
public static class SyncDescriptor
{
    /// <summary>Offset of the primitive's state slot.</summary>
    public const int StateOffset = SegmentHeaderDescriptor.Length;

    /// <summary>Offset of the futex word.</summary>
    public const int SignalOffset = StateOffset + SegmentHeaderDescriptor.CacheLineSlot;

    /// <summary>Offset of the sleeper count.</summary>
    public const int SleepersOffset = SignalOffset + 4;

    /// <summary>Offset of the sleep counter.</summary>
    public const int SleepsOffset = SignalOffset + 8;

    /// <summary>Offset of the wake-up counter.</summary>
    public const int WakeupsOffset = SignalOffset + 16;

    /// <summary>Offset of the per-kind extension.</summary>
    public const int ExtensionOffset = SignalOffset + SegmentHeaderDescriptor.CacheLineSlot;

    /// <summary>Size of every primitive's segment (one page), which is also its header length.</summary>
    public const int SegmentLength = 4096;
}
