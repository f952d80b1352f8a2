namespace Ring;

/// <summary>A snapshot of a <see cref="ManyToManyRing"/>'s cursors and counters, read from its segment.</summary>
/// <param name="EnqueuePosition">Slot position of the next message to be claimed by a writer.</param>
/// <param name="DequeuePosition">Slot position of the next message to be taken by a reader.</param>
/// <param name="SlotCount">The number of 64-byte slots.</param>
/// <param name="MessagesWritten">Messages committed by every writer, attached or gone.</param>
/// <param name="MessagesRead">Messages taken and read to the end by every reader, attached or gone.</param>
/// <param name="FullStalls">Times a write found the ring full.</param>
/// <param name="TornClaims">Claims of dead writers turned into padding.</param>
/// <param name="RevokedClaims">Claims of live writers revoked after <see cref="RingOptions.StuckWriterTimeout"/>.</param>
/// <param name="LostMessages">Messages taken by a reader that died before it finished with them.</param>
/// <param name="ReaderSleeps">Futex sleeps of readers.</param>
/// <param name="ReaderWakeups">Futex wake-ups writers issued to readers.</param>
/// <param name="WriterSleeps">Futex sleeps of writers waiting for room.</param>
/// <param name="WriterWakeups">Futex wake-ups readers issued to writers.</param>
/// <param name="WritersAttached">Entries of the writer table held (live or dead).</param>
/// <param name="ReadersAttached">Entries of the reader table held (live or dead).</param>
/// <param name="IsWriterCompleted">True once a writer completed the ring.</param>
public sealed record ManyToManyRingStatistics(
    long EnqueuePosition,
    long DequeuePosition,
    long SlotCount,
    long MessagesWritten,
    long MessagesRead,
    long FullStalls,
    long TornClaims,
    long RevokedClaims,
    long LostMessages,
    long ReaderSleeps,
    long ReaderWakeups,
    long WriterSleeps,
    long WriterWakeups,
    int WritersAttached,
    int ReadersAttached,
    bool IsWriterCompleted);
