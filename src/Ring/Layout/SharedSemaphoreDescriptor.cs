namespace Ring.Layout;

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
