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

/// <summary>
/// <see cref="SharedMutex"/> state (kind 16), in the slot at <see cref="SyncDescriptor.StateOffset"/>.
/// <code>
///  128  i64  owner: 0 = free; else (pid &lt;&lt; 32) | (start time &amp; 0xFFFFFFFF) of the owning process, set and
///            cleared by compare-and-swap, so that the owner's identity is part of the lock word itself
///  136  i64  abandonments: times an acquirer took the mutex from a dead owner (atomic counter)
/// </code>
/// </summary>
public static class SharedMutexDescriptor
{
    /// <summary>Offset of the owner word (i64).</summary>
    public const int OwnerOffset = SyncDescriptor.StateOffset;

    /// <summary>Offset of the abandonment counter (i64).</summary>
    public const int AbandonmentsOffset = OwnerOffset + 8;
}

/// <summary>
/// <see cref="SharedSemaphore"/> state (kind 17).
/// <code>
///  128  i32  count: permits available, 0 &lt;= count &lt;= maximum, changed only by compare-and-swap
///  132  i32  maximum: fixed at creation, at least 1
/// </code>
/// </summary>
public static class SharedSemaphoreDescriptor
{
    /// <summary>Offset of the count (i32).</summary>
    public const int CountOffset = SyncDescriptor.StateOffset;

    /// <summary>Offset of the maximum (i32).</summary>
    public const int MaximumOffset = CountOffset + 4;
}

/// <summary>
/// <see cref="SharedEvent"/> state (kind 18).
/// <code>
///  128  i32  state: 1 set, 0 reset
///  132  i32  mode: 0 auto-reset (a waiter that sees it set resets it by compare-and-swap: exactly one passes),
///            1 manual-reset (stays set until reset: every waiter passes); fixed at creation
/// </code>
/// </summary>
public static class SharedEventDescriptor
{
    /// <summary>Offset of the state (i32).</summary>
    public const int StateOffset = SyncDescriptor.StateOffset;

    /// <summary>Offset of the mode (i32).</summary>
    public const int ModeOffset = StateOffset + 4;
}

/// <summary>
/// <see cref="SharedBarrier"/> state (kind 19).
/// <code>
///  128  i64  progress: (phase &lt;&lt; 32) | arrived, changed only by compare-and-swap
///  136  i32  participants: fixed at creation, 1 to 200
///  140  i32  broken: 0, or the pid of a participant found dead before it arrived (never reset)
///  384  16 × participants: the participant table, one entry per participant slot:
///         +0 i32 pid (0 = free), +4 i32 the phase it last arrived in plus 1 (0 = never), +8 i64 start time
/// </code>
/// A participant writes its entry's arrival before it counts itself in; the last to arrive starts the next phase.
/// A waiter that finds a registered participant dead that has not arrived in this phase marks the barrier broken and
/// wakes everyone: all waiters then fail.
/// </summary>
public static class SharedBarrierDescriptor
{
    /// <summary>Offset of the progress word (i64).</summary>
    public const int ProgressOffset = SyncDescriptor.StateOffset;

    /// <summary>Offset of the participant count (i32).</summary>
    public const int ParticipantsOffset = ProgressOffset + 8;

    /// <summary>Offset of the broken mark (i32).</summary>
    public const int BrokenOffset = ProgressOffset + 12;

    /// <summary>Offset of the participant table.</summary>
    public const int TableOffset = SyncDescriptor.ExtensionOffset;

    /// <summary>Size of one participant entry.</summary>
    public const int EntryLength = 16;

    /// <summary>Largest participant count a barrier segment holds.</summary>
    public const int MaxParticipants = 200;
}
