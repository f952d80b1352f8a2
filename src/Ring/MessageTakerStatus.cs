namespace Ring;

/// <summary>What <see cref="ManyToManyRing.TryGetTaker"/> knows about who took a message.</summary>
public enum MessageTakerStatus
{
    /// <summary>Not known: the sequence was never written, its claim was revoked, or its slot has been reused since.</summary>
    Unknown = 0,

    /// <summary>The message is being written or waits for a reader.</summary>
    NotYetTaken = 1,

    /// <summary>The reader given was reading it or has read it.</summary>
    Taken = 2,

    /// <summary>The reader given took it and died before it finished: the message was lost (at-most-once delivery).</summary>
    Lost = 3,
}
