namespace Ring.Layout;

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
