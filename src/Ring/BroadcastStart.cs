namespace Ring;

/// <summary>Where a reader that joins a broadcast ring starts reading.</summary>
public enum BroadcastStart
{
    /// <summary>
    /// At the oldest message the ring still keeps: in a gated ring, the oldest one the writer may not overwrite yet
    /// (the slowest reader's, or with no reader attached every message not yet overwritten); in a lossy ring, the oldest
    /// one not yet overwritten.
    /// </summary>
    Oldest = 0,

    /// <summary>
    /// At the newest message: the last one committed is the first one read (if the ring still keeps it); on a ring with
    /// no message yet, the first one written.
    /// </summary>
    Newest = 1,
}
