using System;

namespace Ring;

/// <summary>
/// Receives frames from a batch read. Implement it on a struct and pass it by reference for a call the JIT can inline;
/// the payload span is valid only during the call (it points into shared memory).
/// </summary>
public interface IFrameHandler
{
    /// <summary>Handles one message.</summary>
    /// <param name="type">The message type.</param>
    /// <param name="payload">The payload, in the ring; copy what must outlive the call.</param>
    void OnFrame(int type, ReadOnlySpan<byte> payload);
}

/// <summary>A delegate that receives frames from a batch read; the payload span is valid only during the call.</summary>
/// <param name="type">The message type.</param>
/// <param name="payload">The payload, in the ring; copy what must outlive the call.</param>
public delegate void FrameHandler(int type, ReadOnlySpan<byte> payload);
