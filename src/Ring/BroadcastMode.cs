namespace Ring;

/// <summary>What a broadcast ring's writer does when the ring is full, chosen when the ring is created.</summary>
public enum BroadcastMode
{
    /// <summary>
    /// The writer never overwrites a frame that a registered reader has not read: a full ring makes writes fail or wait
    /// (back-pressure to the slowest reader). A reader that dies is detected (pid and start time) and stops gating.
    /// </summary>
    Gated = 1,

    /// <summary>
    /// The writer never waits: it overwrites the oldest frames. A reader that falls more than a ring behind finds that it
    /// was lapped, counts exactly how many messages it lost, and resumes at the oldest message still intact.
    /// </summary>
    Lossy = 2,
}
