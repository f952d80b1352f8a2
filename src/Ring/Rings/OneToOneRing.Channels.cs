using System;
using System.Threading;

namespace Ring;

/// <summary>The hooks the channel layer (src/Ring/Channels) uses to wait without consuming.</summary>
public sealed partial class OneToOneRing
{
    /// <summary>
    /// Waits until a frame can be read, without consuming it: <see cref="ReadStatus.Message"/> (a batch read will find
    /// something, possibly only padding), <see cref="ReadStatus.Completed"/>, <see cref="ReadStatus.WriterDied"/> (its
    /// committed messages all read; a torn claim it left is passed and counted) or <see cref="ReadStatus.TimedOut"/>.
    /// </summary>
    internal ReadStatus WaitToRead(long deadline, CancellationToken cancellationToken)
    {
        if (!_isReader)
        {
            AttachReader();
        }

        if (HasReadableFrame())
        {
            return ReadStatus.Message;
        }

        if (IsCompletedAndDrained())
        {
            return ReadStatus.Completed;
        }

        EnterBlocking();
        try
        {
            while (true)
            {
                WaitOutcome outcome = WaitForData(deadline, cancellationToken);
                ThrowIfDisposed();
                if (HasReadableFrame())
                {
                    return ReadStatus.Message;
                }

                if (IsCompletedAndDrained())
                {
                    return ReadStatus.Completed;
                }

                if (outcome == WaitOutcome.TimedOut)
                {
                    return ReadStatus.TimedOut;
                }

                if (outcome == WaitOutcome.PeerGone && !SkipTornClaimAtHead())
                {
                    return ReadStatus.WriterDied;
                }
            }
        }
        finally
        {
            ExitBlocking();
        }
    }

    /// <summary>Waits until a message of <paramref name="length"/> bytes fits; false at the deadline.</summary>
    /// <exception cref="RingPeerDeadException">The reader died while the ring was full.</exception>
    internal bool WaitToWrite(int length, long deadline, CancellationToken cancellationToken)
    {
        if (!_isWriter)
        {
            AttachWriter();
        }

        if (HasSpaceFor(length))
        {
            return true;
        }

        EnterBlocking();
        try
        {
            WaitOutcome outcome = WaitForSpace(length, deadline, cancellationToken);
            ThrowIfDisposed();
            if (HasSpaceFor(length))
            {
                return true;
            }

            if (outcome == WaitOutcome.PeerGone)
            {
                ThrowReaderDied();
            }

            return false;
        }
        finally
        {
            ExitBlocking();
        }
    }
}
