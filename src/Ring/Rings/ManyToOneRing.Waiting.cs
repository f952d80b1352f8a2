using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;

namespace Ring;

public sealed partial class ManyToOneRing : IBlockingFrameRing
{
    private DedicatedAsyncWaiter? _readWaiter;
    private DedicatedAsyncWaiter? _writeWaiter;

    /// <summary>
    /// Writes one message, waiting up to <paramref name="timeout"/> for room with the ring's <see cref="WaitStrategy"/>.
    /// Returns false if the timeout expired (nothing written).
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (nothing written).</exception>
    /// <exception cref="RingPeerDeadException">The reader died while the ring was full.</exception>
    public bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        if (TryWrite(message, type))
        {
            return true;
        }

        return BlockingFrameRing.WaitAndWrite(this, message, type, WaitLoop.Deadline(timeout), cancellationToken);
    }

    /// <summary>Writes one message, waiting without a timeout; see <see cref="TryWrite(ReadOnlySpan{byte}, int, TimeSpan, CancellationToken)"/>.</summary>
    public void Write(ReadOnlySpan<byte> message, int type = 0, CancellationToken cancellationToken = default) =>
        TryWrite(message, type, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// Reads the next message, waiting up to <paramref name="timeout"/>. Returns <see cref="ReadStatus.Message"/> with
    /// the message, or why there is none: <see cref="ReadStatus.TimedOut"/>, <see cref="ReadStatus.Completed"/> (end
    /// of stream), or <see cref="ReadStatus.WriterDied"/> (every attached writer died; everything they committed was
    /// read). While waiting, the reader recovers claims of dead writers and revokes claims held past
    /// <see cref="RingOptions.StuckWriterTimeout"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (nothing consumed).</exception>
    public ReadStatus Read(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        if (TryRead(destination, out message))
        {
            return ReadStatus.Message;
        }

        if (IsCompletedAndDrained())
        {
            return ReadStatus.Completed;
        }

        return BlockingFrameRing.WaitAndRead(this, destination, out message, WaitLoop.Deadline(timeout), cancellationToken);
    }

    /// <summary>
    /// Waits until a message can be read. Returns true when one can, false when the ring was completed and everything
    /// was read (closed for good). The wait runs on a dedicated background thread, never on a thread-pool thread; one
    /// such wait at a time per ring object.
    /// </summary>
    /// <exception cref="RingPeerDeadException">Every attached writer died; everything they committed was read.</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (!_isReader)
        {
            AttachReader();
        }

        if (HasReadableFrame())
        {
            return new ValueTask<bool>(true);
        }

        if (IsCompletedAndDrained())
        {
            return new ValueTask<bool>(false);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        _readWaiter ??= new DedicatedAsyncWaiter((_, ct) => BlockingFrameRing.WaitToRead(this, ct), $"Ring '{Name}' reader");
        return _readWaiter.WaitAsync(0, cancellationToken);
    }

    /// <summary>Reads the next message into <paramref name="destination"/>, waiting asynchronously.</summary>
    /// <exception cref="RingCompletedException">The ring was completed and everything was read.</exception>
    /// <exception cref="RingPeerDeadException">Every attached writer died; everything they committed was read.</exception>
    public async ValueTask<RingMessage> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryRead(destination.Span, out RingMessage message))
            {
                return message;
            }

            if (!await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new RingCompletedException($"Ring '{Name}' was completed and every message has been read.");
            }
        }
    }

    /// <summary>Waits asynchronously until a message of <paramref name="length"/> bytes fits (on a dedicated thread, as <see cref="WaitToReadAsync"/>).</summary>
    /// <exception cref="RingPeerDeadException">The reader died while the ring was full.</exception>
    public ValueTask WaitToWriteAsync(int length, CancellationToken cancellationToken = default)
    {
        if (!_isWriter)
        {
            AttachWriter();
        }

        if ((uint)length > (uint)_maxMessageLength)
        {
            ThrowHelper.ThrowMessageTooLong(length, _maxMessageLength, Name);
        }

        if (HasSpaceFor(length))
        {
            return default;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        _writeWaiter ??= new DedicatedAsyncWaiter((n, ct) => BlockingFrameRing.WaitToWrite(this, (int)n, ct), $"Ring '{Name}' writer");
        return _writeWaiter.WaitAsyncNoResult(length, cancellationToken);
    }

    /// <summary>Writes one message, waiting asynchronously for room.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> message, int type = 0, CancellationToken cancellationToken = default)
    {
        while (!TryWrite(message.Span, type))
        {
            await WaitToWriteAsync(message.Length, cancellationToken).ConfigureAwait(false);
        }
    }

    bool IBlockingFrameRing.HasReadableMessage() => HasReadableFrame();

    bool IBlockingFrameRing.HasSpaceFor(int length) => HasSpaceFor(length);

    bool IBlockingFrameRing.IsCompletedAndDrained() => IsCompletedAndDrained();

    bool IBlockingFrameRing.IsDrainedAndOrphaned() => IsDrainedAndOrphaned();

    WaitOutcome IBlockingFrameRing.WaitForData(long deadline, CancellationToken cancellationToken) => WaitForData(deadline, cancellationToken);

    WaitOutcome IBlockingFrameRing.WaitForSpace(int length, long deadline, CancellationToken cancellationToken) => WaitForSpace(length, deadline, cancellationToken);

    void IBlockingFrameRing.EnterBlocking() => EnterBlocking();

    void IBlockingFrameRing.ExitBlocking() => ExitBlocking();

    void IBlockingFrameRing.ThrowIfDisposed() => ThrowIfDisposed();

    void IBlockingFrameRing.ThrowReadersDied() => ThrowReaderDied();

    private WaitOutcome WaitForData(long deadline, CancellationToken cancellationToken)
    {
        var condition = new DataCondition(this);
        return WaitLoop.Wait(ref condition, _waitPolicy, _dataSite, deadline, backOff: false, cancellationToken);
    }

    private WaitOutcome WaitForSpace(int length, long deadline, CancellationToken cancellationToken)
    {
        var condition = new SpaceCondition(this, length);
        return WaitLoop.Wait(ref condition, _waitPolicy, _spaceSite, deadline, backOff: true, cancellationToken);
    }

    /// <summary>True if a frame of <paramref name="length"/> payload bytes fits now at the current tail (re-reading free if needed); true as well once the ring is completed, so that the write fails at once.</summary>
    private bool HasSpaceFor(int length)
    {
        long tail = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset);
        if (tail < 0)
        {
            return true;
        }

        int aligned = FrameDescriptor.Align(length + FrameDescriptor.HeaderLength);
        long toEnd = _capacity - (tail & _mask);
        long needed = tail + (aligned <= toEnd ? aligned : toEnd + aligned) + FrameDescriptor.Alignment;
        return needed - _cachedFree <= _capacity || RefreshFree(tail, needed);
    }

    /// <summary>True if nothing is left to read and every attached writer has died.</summary>
    private bool IsDrainedAndOrphaned() =>
        (_memory.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset) & ~ManyToOneRingDescriptor.CompletedMark) == _head && AllWritersDead();

    private void ThrowReaderDied()
    {
        int pid = ProcessLiveness.ProcessIdOf(_readerTable.IdentityAt(0));
        throw new RingPeerDeadException($"The reader of ring '{Name}' (pid {pid}) died while the ring was full.", pid);
    }

    private readonly struct DataCondition(ManyToOneRing ring) : IWaitCondition
    {
        // Completed counts only once drained: claims made before the completion may still be in progress.
        public bool IsSatisfied() => ring._gate.IsClosed || ring.HasReadableFrame() || ring.IsCompletedAndDrained();

        // Called once per liveness interval: the place where a dead writer's claim is recovered, and a stuck one revoked.
        public bool IsPeerGone() => ring.TryRecoverAtHead() || ring.IsDrainedAndOrphaned();
    }

    private readonly struct SpaceCondition(ManyToOneRing ring, int length) : IWaitCondition
    {
        public bool IsSatisfied() => ring._gate.IsClosed || ring.HasSpaceFor(length);

        public bool IsPeerGone() => ring._readerTable.IsHeldByDeadParty(0);
    }
}
