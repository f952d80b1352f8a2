using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Channels;

public sealed partial class LaneMailbox
{
    /// <summary>Sends one message on <paramref name="lane"/> if it fits now; never blocks.</summary>
    /// <param name="lane">The lane, 0 (most urgent) to <see cref="LaneCount"/> - 1.</param>
    /// <param name="message">The payload: at most the lane's maximum message length.</param>
    /// <param name="type">The message's 32-bit type, 0 or more, delivered with it.</param>
    /// <returns>True if sent; false if the lane is full (nothing written).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The lane does not exist, or the message is too long.</exception>
    /// <exception cref="InvalidOperationException">The mailbox was completed.</exception>
    public bool TrySend(int lane, ReadOnlySpan<byte> message, int type = 0)
    {
        ManyToOneRing ring = SenderLane(lane);
        if (!ring.TryWrite(message, type))
        {
            return false;
        }

        RingBell();
        return true;
    }

    /// <summary>
    /// Sends one message on <paramref name="lane"/>, waiting up to <paramref name="timeout"/> for room in that lane (the
    /// other lanes are not involved). Returns false if the timeout expired (nothing written).
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (nothing written).</exception>
    /// <exception cref="RingPeerDeadException">The receiver died while the lane was full.</exception>
    /// <exception cref="InvalidOperationException">The mailbox was completed.</exception>
    public bool TrySend(int lane, ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ManyToOneRing ring = SenderLane(lane);
        if (!ring.TryWrite(message, type, timeout, cancellationToken))
        {
            return false;
        }

        RingBell();
        return true;
    }

    /// <summary>Sends one message on <paramref name="lane"/>, waiting as long as it takes for room (or until cancelled); see <see cref="TrySend(int, ReadOnlySpan{byte}, int, TimeSpan, CancellationToken)"/>.</summary>
    public void Send(int lane, ReadOnlySpan<byte> message, int type = 0, CancellationToken cancellationToken = default) =>
        TrySend(lane, message, type, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Sends one message on <paramref name="lane"/>, waiting asynchronously for room (on the lane's dedicated waiting thread).</summary>
    /// <exception cref="RingPeerDeadException">The receiver died while the lane was full.</exception>
    public ValueTask SendAsync(int lane, ReadOnlyMemory<byte> message, int type = 0, CancellationToken cancellationToken = default)
    {
        ManyToOneRing ring = SenderLane(lane);
        if (ring.TryWrite(message.Span, type))
        {
            RingBell();
            return default;
        }

        return SendAsyncCore(ring, message, type, cancellationToken);
    }

    /// <summary>
    /// Completes the mailbox: every lane is completed (no send succeeds afterwards), and the receiver, once it has
    /// received every message sent before, sees <see cref="ReadStatus.Completed"/>. A sender's operation: any sender
    /// object, in any process, may complete (this object becomes a sender if it was not). Idempotent.
    /// </summary>
    public void Complete()
    {
        ThrowIfDisposed();
        AttachSender();
        foreach (ManyToOneRing lane in _lanes)
        {
            lane.Complete();
        }

        // Rare: ring unconditionally. The completion marks were set by compare-and-swap (full fences) before the
        // signal's increment, so a receiver that read the signal before it is woken, and one that reads it after sees them.
        _bellSite.Wake();
    }

    private async ValueTask SendAsyncCore(ManyToOneRing ring, ReadOnlyMemory<byte> message, int type, CancellationToken cancellationToken)
    {
        await ring.WriteAsync(message, type, cancellationToken).ConfigureAwait(false);
        RingBell();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ManyToOneRing SenderLane(int lane)
    {
        ThrowIfDisposed();
        CheckLane(lane);
        if (!_isSender)
        {
            AttachSender();
        }

        return _lanes[lane];
    }

    /// <summary>
    /// Attaches this object as a writer of every lane, not only those it sends on: each lane then knows every sender,
    /// so "every sender died" reads the same on every lane and a receiver of any lane notices it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachSender()
    {
        foreach (ManyToOneRing lane in _lanes)
        {
            lane.EnsureWriter();
        }

        _isSender = true;
    }

    /// <summary>
    /// The waking half of the doorbell protocol (WaitLoop.Sleep proves it): the lane's TryWrite published the frame
    /// with a release store or compare-and-swap (W1); the fence here (W2) orders that store before the load of the
    /// doorbell's sleeper count (W3), against the receiver's increment of sleepers (S1), its fence (S2) and its re-scan
    /// of every lane (S4). So either the receiver's scan sees the frame, or this load sees the receiver and wakes it.
    /// Without the fence the load could pass the store (x86 store buffering) and both sides miss each other.
    /// No system call while the receiver is awake.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RingBell()
    {
        AsymmetricFence.Light();
        if (_bellSite.HasSleepers)
        {
            _bellSite.Wake();
        }
    }
}
