using System;

namespace Ring;

/// <summary>The process on the other side of a ring died (by pid and start time) while this side waited for it.</summary>
public sealed class RingPeerDeadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RingPeerDeadException(string message, int processId)
        : base(message)
    {
        ProcessId = processId;
    }

    /// <summary>The pid of the dead process.</summary>
    public int ProcessId { get; }
}
