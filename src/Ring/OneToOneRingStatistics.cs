namespace Ring;

/// <summary>A snapshot of a one-to-one ring's positions and counters, as the segment holds them.</summary>
/// <param name="Head">Byte position of the next frame to read.</param>
/// <param name="Tail">Byte position after the last claimed frame.</param>
/// <param name="MessagesWritten">Messages committed.</param>
/// <param name="MessagesRead">Messages read.</param>
/// <param name="FullStalls">Times a write found the ring full.</param>
/// <param name="ReaderWakeups">Futex wake-ups the writer issued to a sleeping reader.</param>
/// <param name="WriterWakeups">Futex wake-ups the reader issued to a sleeping writer.</param>
/// <param name="ReaderSleeps">Times the reader slept on the futex.</param>
/// <param name="WriterSleeps">Times the writer slept on the futex.</param>
/// <param name="TornClaims">Claims left by a dead writer and turned into padding.</param>
/// <param name="WriterProcessId">The attached writer's pid, or 0.</param>
/// <param name="ReaderProcessId">The attached reader's pid, or 0.</param>
/// <param name="IsWriterCompleted">Whether the writer completed the ring.</param>
public readonly record struct OneToOneRingStatistics(
    long Head,
    long Tail,
    long MessagesWritten,
    long MessagesRead,
    long FullStalls,
    long ReaderWakeups,
    long WriterWakeups,
    long ReaderSleeps,
    long WriterSleeps,
    long TornClaims,
    int WriterProcessId,
    int ReaderProcessId,
    bool IsWriterCompleted)
{
    /// <summary>Bytes claimed but not yet read.</summary>
    public long BytesPending => Tail - Head;
}
