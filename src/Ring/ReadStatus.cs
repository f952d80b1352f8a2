namespace Ring;

/// <summary>Outcome of a blocking read.</summary>
public enum ReadStatus
{
    /// <summary>A message was read.</summary>
    Message = 0,

    /// <summary>The timeout expired with no message.</summary>
    TimedOut = 1,

    /// <summary>The writer completed the ring and every message has been read: end of stream.</summary>
    Completed = 2,

    /// <summary>The writer process died without completing, and every message it committed has been read.</summary>
    WriterDied = 3,
}
