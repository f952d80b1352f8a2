namespace Ring.Tests;

/// <summary>The counters the contract checks through any ring kind: futex sleeps and wake-ups, and messages read.</summary>
public readonly record struct WakeCounters(long ReaderSleeps, long ReaderWakeups, long WriterWakeups, long MessagesRead);
