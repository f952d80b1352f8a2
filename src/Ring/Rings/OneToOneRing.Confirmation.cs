using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;

namespace Ring;

public sealed partial class OneToOneRing
{
    private DedicatedAsyncWaiter? _confirmWaiter;

    /// <summary>
    /// Writes one message and waits until the reader has consumed it (a synchronous send), all within
    /// <paramref name="timeout"/>: <see cref="DeliveryStatus.Consumed"/>, <see cref="DeliveryStatus.NotSent"/> (no room
    /// in time), <see cref="DeliveryStatus.Unconfirmed"/> (sent, not consumed in time) or
    /// <see cref="DeliveryStatus.ReaderDied"/> (sent, the reader died first). "Consumed" means the reader's head passed
    /// the message: a copying read returned it, or the handler of a batch read returned from it.
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

        return WaitUntilConsumed(_tail, deadline, cancellationToken);
    }

    /// <summary>Writes one message and waits asynchronously until the reader has consumed it; see <see cref="WriteConfirmed"/>.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled; the message may have been sent.</exception>
    /// <exception cref="RingPeerDeadException">The reader died while the ring was full (nothing sent).</exception>
    public async ValueTask<DeliveryStatus> WriteConfirmedAsync(ReadOnlyMemory<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        using var timer = new CancellationTokenSource();
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            timer.CancelAfter(timeout);
        }

        try
        {
            while (!TryWrite(message.Span, type))
            {
                await WaitToWriteAsync(message.Length, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryStatus.NotSent;
        }

        if (IsConsumed(_tail))
        {
            return DeliveryStatus.Consumed;
        }

        _confirmWaiter ??= new DedicatedAsyncWaiter(WaitConsumedBlocking, $"Ring '{Name}' confirmation");
        try
        {
            return await _confirmWaiter.WaitAsync(_tail, linked.Token).ConfigureAwait(false) ? DeliveryStatus.Consumed : DeliveryStatus.ReaderDied;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryStatus.Unconfirmed;
        }
    }

    /// <summary>Attaches this process as the writer now rather than at its first write, so that the reader can tell from the start when it dies.</summary>
    internal void AttachAsWriter()
    {
        if (!_isWriter)
        {
            AttachWriter();
        }
    }

    /// <summary>Attaches this process as the reader now rather than at its first read, so that writers can tell from the start when it dies.</summary>
    internal void AttachAsReader()
    {
        if (!_isReader)
        {
            AttachReader();
        }
    }

    /// <summary>True if the attached writer is known dead (reads /proc: slow).</summary>
    internal bool IsWriterDead =>
        IsPeerDead(OneToOneRingDescriptor.WriterPidOffset, OneToOneRingDescriptor.WriterStartTimeOffset);

    /// <summary>True if the attached reader is known dead (reads /proc: slow).</summary>
    internal bool IsReaderDead =>
        IsPeerDead(OneToOneRingDescriptor.ReaderPidOffset, OneToOneRingDescriptor.ReaderStartTimeOffset);

    /// <summary>Pid of the attached writer, 0 if none.</summary>
    internal int WriterProcessId => _memory.ReadInt32Acquire(OneToOneRingDescriptor.WriterPidOffset);

    /// <summary>Pid of the attached reader, 0 if none.</summary>
    internal int ReaderProcessId => _memory.ReadInt32Acquire(OneToOneRingDescriptor.ReaderPidOffset);

    /// <summary>True once the reader's head has passed <paramref name="position"/> (acquire: what it read is behind it).</summary>
    private bool IsConsumed(long position) => _memory.ReadInt64Acquire(OneToOneRingDescriptor.HeadOffset) >= position;

    /// <summary>
    /// Sleeps on the space site until the head passes <paramref name="position"/>: the reader publishes its head and then
    /// wakes space sleepers (W1-W3 of the protocol in WaitLoop), so a writer waiting for room and a writer waiting for
    /// consumption wait for the same event.
    /// </summary>
    private DeliveryStatus WaitUntilConsumed(long position, long deadline, CancellationToken cancellationToken)
    {
        if (IsConsumed(position))
        {
            return DeliveryStatus.Consumed;
        }

        EnterBlocking();
        try
        {
            var condition = new ConsumedCondition(this, position);
            WaitOutcome outcome = WaitLoop.Wait(ref condition, _waitPolicy, _spaceSite, deadline, backOff: true, cancellationToken);
            ThrowIfDisposed();
            return IsConsumed(position) ? DeliveryStatus.Consumed
                : outcome == WaitOutcome.PeerGone ? DeliveryStatus.ReaderDied
                : DeliveryStatus.Unconfirmed;
        }
        finally
        {
            ExitBlocking();
        }
    }

    private bool WaitConsumedBlocking(long position, CancellationToken cancellationToken) =>
        WaitUntilConsumed(position, long.MaxValue, cancellationToken) == DeliveryStatus.Consumed;

    private readonly struct ConsumedCondition(OneToOneRing ring, long position) : IWaitCondition
    {
        public bool IsSatisfied() => ring._gate.IsClosed || ring.IsConsumed(position);

        public bool IsPeerGone() => ring.IsReaderDead;
    }
}
