using System.Collections.Generic;

namespace Ring;

/// <summary>A snapshot of a <see cref="ManyToOneRing"/>'s positions and counters, read from its segment.</summary>
/// <param name="Head">Byte position of the next frame to read.</param>
/// <param name="Tail">Byte position after the last claimed frame.</param>
/// <param name="Free">Byte position before which everything was read and zeroed; writers may claim up to Free + capacity.</param>
/// <param name="MessagesWritten">Messages committed by every writer, attached or gone.</param>
/// <param name="MessagesRead">Messages read.</param>
/// <param name="FullStalls">Times a write found the ring full.</param>
/// <param name="TornClaims">Claims of dead writers the reader turned into padding.</param>
/// <param name="RevokedClaims">Claims of live writers revoked after <see cref="RingOptions.StuckWriterTimeout"/>.</param>
/// <param name="ReaderSleeps">Futex sleeps of the reader.</param>
/// <param name="ReaderWakeups">Futex wake-ups writers issued to the reader.</param>
/// <param name="WriterSleeps">Futex sleeps of writers waiting for room.</param>
/// <param name="WriterWakeups">Futex wake-ups the reader issued to writers.</param>
/// <param name="ReaderProcessId">The reader's pid, 0 if none is attached.</param>
/// <param name="IsWriterCompleted">True once a writer completed the ring.</param>
/// <param name="Writers">Every entry of the writer table that is held, live or dead.</param>
public sealed record ManyToOneRingStatistics(
    long Head,
    long Tail,
    long Free,
    long MessagesWritten,
    long MessagesRead,
    long FullStalls,
    long TornClaims,
    long RevokedClaims,
    long ReaderSleeps,
    long ReaderWakeups,
    long WriterSleeps,
    long WriterWakeups,
    int ReaderProcessId,
    bool IsWriterCompleted,
    IReadOnlyList<ManyToOneWriterInfo> Writers)
{
    /// <summary>Bytes claimed and not yet read.</summary>
    public long BytesPending => Tail - Head;
}
