using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Channels;

public sealed partial class LaneMailbox
{
    // Starvation policy state (receiver side, this object only). _waitingSince[L] is the receive count at which lane L
    // was first passed over while it held a message (-1: not waiting); _streak counts consecutive messages taken by
    // priority while some less urgent lane held one.
    private readonly long[] _waitingSince;
    private long _received;
    private int _streak;
    private bool _isReceiver;

    /// <summary>
    /// Receives the next message of the most urgent lane that holds one (subject to <see cref="StarvationLimit"/>), if
    /// any; never blocks.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is smaller than the next message; nothing is consumed.</exception>
    public bool TryReceive(Span<byte> destination, out LaneMessage message) =>
        TryReceiveCore(0, _lanes.Length - 1, destination, out message);

    /// <summary>Receives the next message of <paramref name="lane"/> only (receive-by-type, SysV <c>msgtyp &gt; 0</c>), if any; never blocks.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The lane does not exist.</exception>
    public bool TryReceive(int lane, Span<byte> destination, out LaneMessage message)
    {
        CheckLane(lane);
        return TryReceiveCore(lane, lane, destination, out message);
    }

    /// <summary>
    /// Receives the next message of the most urgent of lanes 0 to <paramref name="lane"/> that holds one (SysV
    /// <c>msgtyp &lt; 0</c>: the most urgent message with type at most |msgtyp|), if any; never blocks.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The lane does not exist.</exception>
    public bool TryReceiveUpTo(int lane, Span<byte> destination, out LaneMessage message)
    {
        CheckLane(lane);
        return TryReceiveCore(0, lane, destination, out message);
    }

    /// <summary>
    /// Receives the next message of the most urgent lane that holds one, sleeping on the doorbell (no CPU) while every
    /// lane is empty, up to <paramref name="timeout"/>. Returns <see cref="ReadStatus.Message"/> with the message, or why
    /// there is none: <see cref="ReadStatus.TimedOut"/>, <see cref="ReadStatus.Completed"/> (completed and every lane
    /// drained) or <see cref="ReadStatus.WriterDied"/> (every sender died without completing, and every lane drained).
    /// While waiting, the receiver recovers the claims of dead senders in every lane.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (nothing consumed).</exception>
    public ReadStatus Receive(Span<byte> destination, out LaneMessage message, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ReceiveCore(0, _lanes.Length - 1, destination, out message, timeout, cancellationToken);

    /// <summary>Receives the next message of <paramref name="lane"/> only, waiting up to <paramref name="timeout"/>; the outcomes are those of <see cref="Receive(Span{byte}, out LaneMessage, TimeSpan, CancellationToken)"/>, for that lane.</summary>
    public ReadStatus Receive(int lane, Span<byte> destination, out LaneMessage message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        CheckLane(lane);
        return ReceiveCore(lane, lane, destination, out message, timeout, cancellationToken);
    }

    /// <summary>Receives the next message of the most urgent of lanes 0 to <paramref name="lane"/>, waiting up to <paramref name="timeout"/>.</summary>
    public ReadStatus ReceiveUpTo(int lane, Span<byte> destination, out LaneMessage message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        CheckLane(lane);
        return ReceiveCore(0, lane, destination, out message, timeout, cancellationToken);
    }

    /// <summary>
    /// Waits until a message can be received from some lane: true when one can, false when the mailbox was completed
    /// and every lane drained. The wait runs on a dedicated background thread; one such wait at a time per object.
    /// </summary>
    /// <exception cref="RingPeerDeadException">Every sender died without completing; every lane was drained.</exception>
    public ValueTask<bool> WaitToReceiveAsync(CancellationToken cancellationToken = default) =>
        WaitToReceiveAsync(0, _lanes.Length - 1, cancellationToken);

    /// <summary>Receives the next message of the most urgent lane that holds one, waiting asynchronously.</summary>
    /// <exception cref="RingCompletedException">The mailbox was completed and every lane drained.</exception>
    /// <exception cref="RingPeerDeadException">Every sender died without completing; every lane was drained.</exception>
    public ValueTask<LaneMessage> ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken = default) =>
        ReceiveAsyncCore(0, _lanes.Length - 1, destination, cancellationToken);

    /// <summary>Receives the next message of <paramref name="lane"/> only, waiting asynchronously.</summary>
    public ValueTask<LaneMessage> ReceiveAsync(int lane, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        CheckLane(lane);
        return ReceiveAsyncCore(lane, lane, destination, cancellationToken);
    }

    /// <summary>Receives the next message of the most urgent of lanes 0 to <paramref name="lane"/>, waiting asynchronously.</summary>
    public ValueTask<LaneMessage> ReceiveUpToAsync(int lane, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        CheckLane(lane);
        return ReceiveAsyncCore(0, lane, destination, cancellationToken);
    }

    private bool TryReceiveCore(int first, int last, Span<byte> destination, out LaneMessage message)
    {
        ThrowIfDisposed();
        if (!_isReceiver)
        {
            AttachReceiver();
        }

        if (_starvationLimit > 0 && first != last)
        {
            return TryReceiveFair(first, last, destination, out message);
        }

        for (int lane = first; lane <= last; lane++)
        {
            if (_lanes[lane].TryRead(destination, out RingMessage m))
            {
                message = new LaneMessage(lane, m.Length, m.Type);
                return true;
            }
        }

        message = default;
        return false;
    }

    /// <summary>
    /// Priority with a bound on starvation: after <see cref="StarvationLimit"/> consecutive messages taken by priority
    /// while a less urgent lane held one, take one from the lane that has waited longest (the more urgent on a tie).
    /// Lanes are looked at, not read, to decide; a lane whose head turns out to hold only padding is passed.
    /// </summary>
    private bool TryReceiveFair(int first, int last, Span<byte> destination, out LaneMessage message)
    {
        if (_streak >= _starvationLimit)
        {
            int oldest = -1;
            long since = long.MaxValue;
            for (int lane = first; lane <= last; lane++)
            {
                long s = _waitingSince[lane];
                if (s >= 0 && s < since && _lanes[lane].HasReadableMessageAtHead)
                {
                    oldest = lane;
                    since = s;
                }
            }

            if (oldest >= 0 && _lanes[oldest].TryRead(destination, out RingMessage m))
            {
                _waitingSince[oldest] = -1;
                _streak = 0;
                _received++;
                message = new LaneMessage(oldest, m.Length, m.Type);
                return true;
            }
        }

        for (int lane = first; lane <= last; lane++)
        {
            if (_lanes[lane].TryRead(destination, out RingMessage m))
            {
                // Every lane from first to this one has now been served or is empty; those after it wait if they hold a message.
                bool passedOver = false;
                for (int other = first; other <= last; other++)
                {
                    if (other > lane && _lanes[other].HasReadableMessageAtHead)
                    {
                        passedOver = true;
                        if (_waitingSince[other] < 0)
                        {
                            _waitingSince[other] = _received;
                        }
                    }
                    else
                    {
                        _waitingSince[other] = -1;
                    }
                }

                _streak = passedOver ? _streak + 1 : 0;
                _received++;
                message = new LaneMessage(lane, m.Length, m.Type);
                return true;
            }
        }

        message = default;
        return false;
    }

    private ReadStatus ReceiveCore(int first, int last, Span<byte> destination, out LaneMessage message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        WaitLoop.CheckTimeout(timeout);
        if (TryReceiveCore(first, last, destination, out message))
        {
            return ReadStatus.Message;
        }

        if (IsEnded(first, last))
        {
            return ReadStatus.Completed;
        }

        long deadline = WaitLoop.Deadline(timeout);
        EnterBlocking();
        try
        {
            while (true)
            {
                WaitOutcome outcome = WaitForArrival(first, last, deadline, cancellationToken);
                ThrowIfDisposed();
                if (TryReceiveCore(first, last, destination, out message))
                {
                    return ReadStatus.Message;
                }

                if (IsEnded(first, last))
                {
                    return ReadStatus.Completed;
                }

                if (outcome == WaitOutcome.TimedOut)
                {
                    return ReadStatus.TimedOut;
                }

                if (outcome == WaitOutcome.PeerGone && IsOrphaned(first, last))
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

    private ValueTask<LaneMessage> ReceiveAsyncCore(int first, int last, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (TryReceiveCore(first, last, destination.Span, out LaneMessage message))
        {
            return new ValueTask<LaneMessage>(message);
        }

        return ReceiveAsyncSlow(first, last, destination, cancellationToken);
    }

    private async ValueTask<LaneMessage> ReceiveAsyncSlow(int first, int last, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!await WaitToReceiveAsync(first, last, cancellationToken).ConfigureAwait(false))
            {
                throw new RingCompletedException($"LaneMailbox '{Name}' was completed and every message has been received.");
            }

            if (TryReceiveCore(first, last, destination.Span, out LaneMessage message))
            {
                return message;
            }
        }
    }

    private ValueTask<bool> WaitToReceiveAsync(int first, int last, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (!_isReceiver)
        {
            AttachReceiver();
        }

        if (AnyReadable(first, last))
        {
            return new ValueTask<bool>(true);
        }

        if (IsEnded(first, last))
        {
            return new ValueTask<bool>(false);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        _receiveWaiter ??= new DedicatedAsyncWaiter((range, ct) => WaitToReceive((int)(range & 0xFF), (int)(range >> 8), ct), $"LaneMailbox '{Name}' receiver");
        return _receiveWaiter.WaitAsync((long)((uint)first | ((uint)last << 8)), cancellationToken);
    }

    /// <summary>The body of an asynchronous wait (on the dedicated thread): true when a message is there, false at the end of the stream.</summary>
    private bool WaitToReceive(int first, int last, CancellationToken cancellationToken)
    {
        EnterBlocking();
        try
        {
            while (true)
            {
                if (AnyReadable(first, last))
                {
                    return true;
                }

                if (IsEnded(first, last))
                {
                    return false;
                }

                WaitOutcome outcome = WaitForArrival(first, last, long.MaxValue, cancellationToken);
                ThrowIfDisposed();
                if (outcome == WaitOutcome.PeerGone && !AnyReadable(first, last) && !IsEnded(first, last) && IsOrphaned(first, last))
                {
                    throw new RingPeerDeadException($"Every sender of LaneMailbox '{Name}' died without completing it; every message they sent has been received.", 0);
                }
            }
        }
        finally
        {
            ExitBlocking();
        }
    }

    /// <summary>
    /// Sleeps on the doorbell until a lane in [first, last] holds a message, those lanes ended, the deadline passed or
    /// every sender died. WaitLoop.Sleep is the receiver's half of the protocol: sleepers + 1 (S1), the heavy fence (S2),
    /// load of the signal (S3), a re-scan of the lanes (S4), FUTEX_WAIT on the signal (S5); see <see cref="RingBell"/>.
    /// </summary>
    private WaitOutcome WaitForArrival(int first, int last, long deadline, CancellationToken cancellationToken)
    {
        var condition = new ArrivalCondition(this, first, last);
        return WaitLoop.Wait(ref condition, _policy, _bellSite, deadline, backOff: false, cancellationToken);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachReceiver()
    {
        try
        {
            foreach (ManyToOneRing lane in _lanes)
            {
                lane.EnsureReader();
            }
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"LaneMailbox '{Name}' takes one receiver at a time: {e.Message}", e);
        }

        _isReceiver = true;
    }

    private bool AnyReadable(int first, int last)
    {
        for (int lane = first; lane <= last; lane++)
        {
            if (_lanes[lane].HasReadableMessageAtHead)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True if every lane in [first, last] was completed and drained: the mailbox is completed for good there.</summary>
    private bool IsEnded(int first, int last)
    {
        for (int lane = first; lane <= last; lane++)
        {
            if (!_lanes[lane].IsCompletedAndDrainedNow)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True if every lane in [first, last] is drained and every sender attached to it died. Senders attach to every
    /// lane, so one that died is seen dead on every lane; a lane no sender ever attached to is never orphaned.
    /// </summary>
    private bool IsOrphaned(int first, int last)
    {
        for (int lane = first; lane <= last; lane++)
        {
            if (!_lanes[lane].IsDrainedAndOrphanedNow)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Recovers dead senders' claims at the head of each lane; true if some lane can now be read or passed.</summary>
    private bool RecoverLanes(int first, int last)
    {
        bool any = false;
        for (int lane = first; lane <= last; lane++)
        {
            any |= _lanes[lane].RecoverAtHead();
        }

        return any;
    }

    private readonly struct ArrivalCondition(LaneMailbox mailbox, int first, int last) : IWaitCondition
    {
        // Completed counts only once drained: claims made before the completion may still be in progress.
        public bool IsSatisfied() => mailbox._gate.IsClosed || mailbox.AnyReadable(first, last) || mailbox.IsEnded(first, last);

        // Once per liveness interval: recover dead senders' claims, and tell whether every sender is gone.
        public bool IsPeerGone() => mailbox.RecoverLanes(first, last) || mailbox.IsOrphaned(first, last);
    }
}
