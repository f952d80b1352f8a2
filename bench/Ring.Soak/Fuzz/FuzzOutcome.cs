namespace Ring.Soak;

/// <summary>
/// What a round of the fuzz victim saw after the hostile process wrote into its segment. Everything but
/// <see cref="Bug"/> is a documented outcome; each one other than <see cref="Benign"/> ends the ring's generation (the
/// victim discards the ring and makes a new one, as an application would).
/// </summary>
internal enum FuzzOutcome
{
    /// <summary>Nothing observable: the bytes were not read, or held a value that did no harm.</summary>
    Benign = 0,

    /// <summary>The ring raised <see cref="RingCorruptedException"/> (a position, frame or checksum no correct writer produces).</summary>
    Detected = 1,

    /// <summary>Opening the segment again was refused (<see cref="RingFormatException"/>, or a timeout for a zeroed magic).</summary>
    RefusedOnOpen = 2,

    /// <summary>
    /// Attaching was refused (a forged pid of a live process holds the role), writing was refused (a forged completion),
    /// or a commit was refused (a many-to-one reader revoked the claim as stuck).
    /// </summary>
    Refused = 3,

    /// <summary>Nothing could be written or read for two rounds (a length word zeroed at the head looks like an empty ring, a forged head like a full one).</summary>
    Stalled = 4,

    /// <summary>Messages were missing (a message turned into padding, or a forged head let the writer overwrite them).</summary>
    Skipped = 5,

    /// <summary>An older message came again (a forged length word led the reader into the previous lap).</summary>
    Repeated = 6,

    /// <summary>A message with damaged bytes was delivered: without frame checksums, or through a zero-copy path where the bytes are shared.</summary>
    CorruptDelivered = 7,

    /// <summary>Anything else: an unexpected exception, damage on a path frame checksums protect, a hang or a crash.</summary>
    Bug = 8,
}
