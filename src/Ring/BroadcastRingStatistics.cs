using System.Collections.Generic;

namespace Ring;

/// <summary>A snapshot of a broadcast ring's positions, counters and readers, as the segment holds them.</summary>
/// <param name="Mode">Gated or lossy.</param>
/// <param name="Tail">Byte position after the newest committed frame.</param>
/// <param name="Oldest">Byte position of the oldest frame the ring keeps.</param>
/// <param name="MessagesWritten">Messages committed (the sequence number of the next message).</param>
/// <param name="FullStalls">Times a gated write found no room.</param>
/// <param name="TornClaims">Claims left by a dead writer and turned into padding by the writer that took over.</param>
/// <param name="ReadersEvicted">Dead readers a gated writer detached so that they stopped gating it.</param>
/// <param name="ReaderSleeps">Times readers slept on the futex.</param>
/// <param name="ReaderWakeups">Futex wake-ups the writer issued to sleeping readers.</param>
/// <param name="WriterSleeps">Times the writer slept on the futex.</param>
/// <param name="WriterWakeups">Futex wake-ups readers issued to a sleeping writer.</param>
/// <param name="WriterProcessId">The attached writer's pid, or 0.</param>
/// <param name="IsWriterAlive">Whether the attached writer's process is alive (false when none is attached).</param>
/// <param name="IsWriterCompleted">Whether the writer completed the ring.</param>
/// <param name="Readers">Every attached reader, by slot.</param>
public readonly record struct BroadcastRingStatistics(
    BroadcastMode Mode,
    long Tail,
    long Oldest,
    long MessagesWritten,
    long FullStalls,
    long TornClaims,
    long ReadersEvicted,
    long ReaderSleeps,
    long ReaderWakeups,
    long WriterSleeps,
    long WriterWakeups,
    int WriterProcessId,
    bool IsWriterAlive,
    bool IsWriterCompleted,
    IReadOnlyList<BroadcastReaderStatistics> Readers)
{
    /// <summary>Messages read by all readers together.</summary>
    public long MessagesRead
    {
        get
        {
            long sum = 0;
            foreach (BroadcastReaderStatistics r in Readers)
            {
                sum += r.MessagesRead;
            }

            return sum;
        }
    }
}
