namespace Ring;

/// <summary>The outcome of a send with delivery confirmation (<see cref="OneToOneRing.WriteConfirmed"/> and its kin).</summary>
public enum DeliveryStatus
{
    /// <summary>The reader consumed the message: a copying read returned it, or a batch read's handler returned from it.</summary>
    Consumed = 1,

    /// <summary>The timeout expired before the ring had room: nothing was sent.</summary>
    NotSent = 2,

    /// <summary>The message was sent, but the reader had not consumed it when the timeout expired. It stays in the ring and may still be read.</summary>
    Unconfirmed = 3,

    /// <summary>
    /// The message was sent, but the reader died before consuming it. It stays in the ring: a reader that takes over
    /// the dead one's role reads it.
    /// </summary>
    ReaderDied = 4,
}
