using System;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed partial class ManyToOneRing
{
    /// <summary>
    /// Writes one message and waits until the reader has consumed it (a synchronous send), all within
    /// <paramref name="timeout"/>: <see cref="DeliveryStatus.Consumed"/>, <see cref="DeliveryStatus.NotSent"/> (no room
    /// in time), <see cref="DeliveryStatus.Unconfirmed"/> (sent, not consumed in time) or
    /// <see cref="DeliveryStatus.ReaderDied"/> (sent, the reader died first). "Consumed" means the reader's head passed
    /// the message: a copying read returned it, or the handler of a batch read returned from it. Other writers'
    /// messages do not count: the wait is for this message's own frame.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled; the message may have been sent.</exception>
    /// <exception cref="RingPeerDeadException">The reader died while the ring was full (nothing sent).</exception>
    public DeliveryStatus WriteConfirmed(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        long deadline = WaitLoop.Deadline(timeout);
        if (!TryWrite(message, type) && !TryWrite(message, type, WaitLoop.Remaining(deadline), cancellationToken))
        {
            return DeliveryStatus.NotSent;
        }

        long end = _lastClaimEnd;
        if (IsConsumed(end))
        {
            return DeliveryStatus.Consumed;
        }

        EnterBlocking();
        try
        {
            // The reader publishes its head, then frees space and wakes the space site's sleepers (W1-W3 of the
            // protocol in WaitLoop), so a writer waiting for consumption sleeps where writers wait for room.
            var condition = new ConsumedCondition(this, end);
            WaitOutcome outcome = WaitLoop.Wait(ref condition, _waitPolicy, _spaceSite, deadline, backOff: true, cancellationToken);
            ThrowIfDisposed();
            return IsConsumed(end) ? DeliveryStatus.Consumed
                : outcome == WaitOutcome.PeerGone ? DeliveryStatus.ReaderDied
                : DeliveryStatus.Unconfirmed;
        }
        finally
        {
            ExitBlocking();
        }
    }

    /// <summary>True if a reader is attached and its process is alive (reads /proc: slow).</summary>
    internal bool HasLiveReader => _readerTable.IsHeldByLiveParty(0);

    /// <summary>Pid of the attached reader, 0 if none.</summary>
    internal int ReaderProcessId => ProcessLiveness.ProcessIdOf(_readerTable.IdentityAt(0));

    /// <summary>True once the reader's head has passed <paramref name="position"/>.</summary>
    private bool IsConsumed(long position) => _memory.ReadInt64Acquire(ManyToOneRingDescriptor.HeadOffset) >= position;

    private readonly struct ConsumedCondition(ManyToOneRing ring, long position) : IWaitCondition
    {
        public bool IsSatisfied() => ring._gate.IsClosed || ring.IsConsumed(position);

        public bool IsPeerGone() => ring._readerTable.IsHeldByDeadParty(0);
    }
}
