using System;

namespace Ring;

/// <summary>A participant of a <see cref="SharedBarrier"/> died before it arrived: the barrier is broken for good.</summary>
public sealed class SharedBarrierBrokenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SharedBarrierBrokenException(string message, int processId)
        : base(message)
    {
        ProcessId = processId;
    }

    /// <summary>The pid of the participant that died.</summary>
    public int ProcessId { get; }
}
