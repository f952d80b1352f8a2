namespace Ring.Layout;

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
