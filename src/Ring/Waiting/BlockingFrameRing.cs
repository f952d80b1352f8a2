using System;
using System.Threading;

namespace Ring;

/// <summary>
/// What the shared blocking loops of <see cref="BlockingFrameRing"/> need from a frame ring with several parties: the
/// non-blocking operations, the states a wait ends on, and the ring's own waits (its conditions and futex sites).
/// </summary>
internal interface IBlockingFrameRing
{
    string Name { get; }

    bool TryWrite(ReadOnlySpan<byte> message, int type);

    bool TryRead(Span<byte> destination, out RingMessage message);

    /// <summary>True if a message can be read (or a frame passed) at the reader's position now.</summary>
    bool HasReadableMessage();

    /// <summary>True if a message of <paramref name="length"/> payload bytes fits now (or the ring is completed, so that the write fails at once).</summary>
    bool HasSpaceFor(int length);

    bool IsCompletedAndDrained();

    /// <summary>True if nothing is left to read and every attached writer has died.</summary>
    bool IsDrainedAndOrphaned();

    WaitOutcome WaitForData(long deadline, CancellationToken cancellationToken);

    WaitOutcome WaitForSpace(int length, long deadline, CancellationToken cancellationToken);

    void EnterBlocking();

    void ExitBlocking();

    void ThrowIfDisposed();

    /// <summary>Throws <see cref="RingPeerDeadException"/>: the reader (or every reader) died while the ring was full.</summary>
    void ThrowReadersDied();
}

/// <summary>
/// The blocking halves of a frame ring's operations, after its non-blocking attempt failed: wait with the ring's
/// strategy, retry, and map the way the wait ended (timeout, dead peer, completion) to the operation's result. One
/// copy for the rings with several parties (<see cref="ManyToOneRing"/>, <see cref="ManyToManyRing"/>); not on any
/// path that does not wait, so the interface calls cost nothing that matters.
/// </summary>
internal static class BlockingFrameRing
{
    /// <summary>Waits for room and writes; false if the deadline passed first.</summary>
    internal static bool WaitAndWrite<TRing>(TRing ring, ReadOnlySpan<byte> message, int type, long deadline, CancellationToken cancellationToken)
        where TRing : IBlockingFrameRing
    {
        ring.EnterBlocking();
        try
        {
            while (true)
            {
                WaitOutcome outcome = ring.WaitForSpace(message.Length, deadline, cancellationToken);
                ring.ThrowIfDisposed();
                if (ring.TryWrite(message, type))
                {
                    return true;
                }

                if (outcome == WaitOutcome.TimedOut)
                {
                    return false;
                }

                if (outcome == WaitOutcome.PeerGone)
                {
                    ring.ThrowReadersDied();
                }
            }
        }
        finally
        {
            ring.ExitBlocking();
        }
    }

    /// <summary>Waits for a message and reads it; or why there is none (timed out, completed, every writer dead).</summary>
    internal static ReadStatus WaitAndRead<TRing>(TRing ring, Span<byte> destination, out RingMessage message, long deadline, CancellationToken cancellationToken)
        where TRing : IBlockingFrameRing
    {
        ring.EnterBlocking();
        try
        {
            while (true)
            {
                WaitOutcome outcome = ring.WaitForData(deadline, cancellationToken);
                ring.ThrowIfDisposed();
                if (ring.TryRead(destination, out message))
                {
                    return ReadStatus.Message;
                }

                if (ring.IsCompletedAndDrained())
                {
                    return ReadStatus.Completed;
                }

                if (outcome == WaitOutcome.TimedOut)
                {
                    return ReadStatus.TimedOut;
                }

                if (outcome == WaitOutcome.PeerGone && ring.IsDrainedAndOrphaned())
                {
                    return ReadStatus.WriterDied;
                }
            }
        }
        finally
        {
            ring.ExitBlocking();
        }
    }

    /// <summary>The body of an asynchronous wait to read (on the ring's dedicated waiting thread): true when a message is there, false at the end of the stream.</summary>
    internal static bool WaitToRead<TRing>(TRing ring, CancellationToken cancellationToken)
        where TRing : IBlockingFrameRing
    {
        ring.EnterBlocking();
        try
        {
            while (true)
            {
                if (ring.HasReadableMessage())
                {
                    return true;
                }

                if (ring.IsCompletedAndDrained())
                {
                    return false;
                }

                WaitOutcome outcome = ring.WaitForData(long.MaxValue, cancellationToken);
                ring.ThrowIfDisposed();
                if (outcome == WaitOutcome.PeerGone && !ring.HasReadableMessage() && !ring.IsCompletedAndDrained() && ring.IsDrainedAndOrphaned())
                {
                    throw new RingPeerDeadException($"Every writer of ring '{ring.Name}' died without completing it; every message they committed has been read.", 0);
                }
            }
        }
        finally
        {
            ring.ExitBlocking();
        }
    }

    /// <summary>The body of an asynchronous wait for room (on the ring's dedicated waiting thread).</summary>
    internal static bool WaitToWrite<TRing>(TRing ring, int length, CancellationToken cancellationToken)
        where TRing : IBlockingFrameRing
    {
        ring.EnterBlocking();
        try
        {
            while (!ring.HasSpaceFor(length))
            {
                WaitOutcome outcome = ring.WaitForSpace(length, long.MaxValue, cancellationToken);
                ring.ThrowIfDisposed();
                if (outcome == WaitOutcome.PeerGone && !ring.HasSpaceFor(length))
                {
                    ring.ThrowReadersDied();
                }
            }

            return true;
        }
        finally
        {
            ring.ExitBlocking();
        }
    }
}
