namespace Ring;

/// <summary>One writer attached to a <see cref="ManyToOneRing"/>, as its entry in the segment's writer table says.</summary>
/// <param name="Index">The entry's index in the writer table.</param>
/// <param name="ProcessId">The writer's pid.</param>
/// <param name="IsAlive">False if that process has died (pid and start time no longer match).</param>
/// <param name="MessagesWritten">Messages this writer committed.</param>
/// <param name="FullStalls">Times this writer found the ring full.</param>
public readonly record struct ManyToOneWriterInfo(int Index, int ProcessId, bool IsAlive, long MessagesWritten, long FullStalls);
