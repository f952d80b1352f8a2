namespace Ring.Layout;

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
