namespace Ring;

/// <summary>A snapshot of a slot ring's positions and counters, as the segment holds them.</summary>
/// <param name="SlotCount">The number of slots.</param>
/// <param name="EnqueuePosition">The next position writers claim (without the closed mark).</param>
/// <param name="DequeuePosition">The next position readers take.</param>
/// <param name="IsCompleted">Whether a writer completed the ring.</param>
/// <param name="MessagesWritten">Messages committed, over every writer that ever attached.</param>
/// <param name="MessagesRead">Messages read, over every reader that ever attached (redelivered messages count once, where delivered).</param>
/// <param name="FullStalls">Times a write found the ring full.</param>
/// <param name="ReaderSleeps">Times a reader slept on the futex.</param>
/// <param name="ReaderWakeups">Futex wake-ups issued to sleeping readers.</param>
/// <param name="WriterSleeps">Times a writer slept on the futex.</param>
/// <param name="WriterWakeups">Futex wake-ups issued to sleeping writers.</param>
/// <param name="AbandonedClaims">Claims of dead or stuck writers that readers passed (their positions carry no message).</param>
/// <param name="SkippedPositions">Positions that carried no message: abandoned and aborted claims, and the laps a stuck writer's slot was passed over.</param>
/// <param name="LateCommits">Commits refused because the claim had been abandoned; the writer wrote the message again.</param>
/// <param name="Redeliveries">Messages taken back from readers that died while reading them, and delivered again.</param>
/// <param name="WriterDeaths">Dead writers whose entries were recovered.</param>
/// <param name="ReaderDeaths">Dead readers whose entries were recovered.</param>
/// <param name="Writers">Writer table entries held now (by live or not yet recovered dead processes).</param>
/// <param name="Readers">Reader table entries held now.</param>
public readonly record struct SlotRingStatistics(
    int SlotCount,
    long EnqueuePosition,
    long DequeuePosition,
    bool IsCompleted,
    long MessagesWritten,
    long MessagesRead,
    long FullStalls,
    long ReaderSleeps,
    long ReaderWakeups,
    long WriterSleeps,
    long WriterWakeups,
    long AbandonedClaims,
    long SkippedPositions,
    long LateCommits,
    long Redeliveries,
    long WriterDeaths,
    long ReaderDeaths,
    int Writers,
    int Readers);
