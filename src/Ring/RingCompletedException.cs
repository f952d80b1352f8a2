using System;

namespace Ring;

/// <summary>A read was asked of a ring whose writer completed it and whose every message has been read.</summary>
public sealed class RingCompletedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public RingCompletedException(string message)
        : base(message)
    {
    }
}
