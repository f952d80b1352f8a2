using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;

namespace Ring;

public sealed partial class OneToOneRing
{
    private DedicatedAsyncWaiter? _readWaiter;
    private DedicatedAsyncWaiter? _writeWaiter;

    // "Ring 'NAME'", built once: every blocking call names the ring to the dispose gate.
    private string? _description;

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

        long deadline = WaitLoop.Deadline(timeout);
        EnterBlocking();
        try
        {
            while (true)
            {
                WaitOutcome outcome = WaitForSpace(message.Length, deadline, cancellationToken);
                ThrowIfDisposed();
                if (TryWrite(message, type))
                {
                    return true;
                }

                if (outcome == WaitOutcome.TimedOut)
                {
                    return false;
                }

                if (outcome == WaitOutcome.PeerGone)
                {
                    ThrowReaderDied();
                }
            }
        }
        finally
        {
            ExitBlocking();
        }
    }

    /// <summary>Writes one message, waiting without a timeout; see <see cref="TryWrite(ReadOnlySpan{byte}, int, TimeSpan, CancellationToken)"/>.</summary>
    public void Write(ReadOnlySpan<byte> message, int type = 0, CancellationToken cancellationToken = default) =>
        TryWrite(message, type, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// Reads the next message, waiting up to <paramref name="timeout"/>. Returns <see cref="ReadStatus.Message"/> with
    /// the message, or why there is none: <see cref="ReadStatus.TimedOut"/>, <see cref="ReadStatus.Completed"/> (end
    /// of stream), or <see cref="ReadStatus.WriterDied"/> (the writer died; every message it committed was read).
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (nothing consumed).</exception>
    public ReadStatus Read(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        if (TryRead(destination, out message))
        {
            return ReadStatus.Message;
        }

        long deadline = WaitLoop.Deadline(timeout);
        while (true)
        {
            // WaitToRead passes a dead writer's torn claim and reports the end of the stream; a frame it saw may be
            // padding only, so a read that finds nothing waits again.
            ReadStatus status = WaitToRead(deadline, cancellationToken);
            if (status != ReadStatus.Message)
            {
                message = default;
                return status;
            }

            if (TryRead(destination, out message))
            {
                return ReadStatus.Message;
            }
        }
    }

    /// <summary>
    /// Waits until a message can be read. Returns true when one can, false when the writer completed the ring and
    /// everything was read (closed for good). The wait runs on a dedicated background thread, never on a thread-pool
    /// thread; one such wait at a time per ring object.
    /// </summary>
    /// <exception cref="RingPeerDeadException">The writer died; every message it committed was read.</exception>
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

        _readWaiter ??= new DedicatedAsyncWaiter((_, ct) => WaitToReadBlocking(ct), $"Ring '{Name}' reader");
        return _readWaiter.WaitAsync(0, cancellationToken);
    }

    /// <summary>Reads the next message into <paramref name="destination"/>, waiting asynchronously.</summary>
    /// <exception cref="RingCompletedException">The writer completed the ring and everything was read.</exception>
    /// <exception cref="RingPeerDeadException">The writer died; every message it committed was read.</exception>
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
                throw new RingCompletedException($"Ring '{Name}' was completed by its writer and every message has been read.");
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

        _writeWaiter ??= new DedicatedAsyncWaiter((n, ct) => WaitToWriteBlocking((int)n, ct), $"Ring '{Name}' writer");
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

    private bool WaitToReadBlocking(CancellationToken cancellationToken)
    {
        EnterBlocking();
        try
        {
            while (true)
            {
                if (HasReadableFrame())
                {
                    return true;
                }

                if (IsCompletedAndDrained())
                {
                    return false;
                }

                WaitOutcome outcome = WaitForData(long.MaxValue, cancellationToken);
                ThrowIfDisposed();
                if (outcome == WaitOutcome.PeerGone && !HasReadableFrame() && !SkipTornClaimAtHead() && !IsCompletedAndDrained())
                {
                    ThrowWriterDied();
                }
            }
        }
        finally
        {
            ExitBlocking();
        }
    }

    private bool WaitToWriteBlocking(int length, CancellationToken cancellationToken)
    {
        EnterBlocking();
        try
        {
            while (!HasSpaceFor(length))
            {
                WaitOutcome outcome = WaitForSpace(length, long.MaxValue, cancellationToken);
                ThrowIfDisposed();
                if (outcome == WaitOutcome.PeerGone && !HasSpaceFor(length))
                {
                    ThrowReaderDied();
                }
            }

            return true;
        }
        finally
        {
            ExitBlocking();
        }
    }

    /// <summary>Counts the thread into a blocking wait, so that <see cref="Dispose"/> does not unmap the segment under it.</summary>
    private void EnterBlocking() => _gate.Enter(_description ??= $"Ring '{Name}'");

    private void ExitBlocking() => _gate.Exit();

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

    /// <summary>True if a frame of <paramref name="length"/> payload bytes fits now (re-reading head if needed).</summary>
    private bool HasSpaceFor(int length)
    {
        int aligned = FrameDescriptor.Align(length + _frameHeaderLength);
        long toEnd = _capacity - (_tail & _mask);
        long needed = _tail + (aligned <= toEnd ? aligned : toEnd + aligned) + FrameDescriptor.Alignment;
        return needed - _cachedHead <= _capacity || RefreshHead(needed);
    }

    private bool IsPeerDead(int pidOffset, int startTimeOffset)
    {
        int pid = _memory.ReadInt32Acquire(pidOffset);
        return pid != 0 && !ProcessLiveness.IsAlive(pid, _memory.ReadInt64Acquire(startTimeOffset));
    }

    private void ThrowWriterDied()
    {
        int pid = _memory.ReadInt32Acquire(OneToOneRingDescriptor.WriterPidOffset);
        throw new RingPeerDeadException($"The writer of ring '{Name}' (pid {pid}) died without completing it; every message it committed has been read.", pid);
    }

    private void ThrowReaderDied()
    {
        int pid = _memory.ReadInt32Acquire(OneToOneRingDescriptor.ReaderPidOffset);
        throw new RingPeerDeadException($"The reader of ring '{Name}' (pid {pid}) died while the ring was full.", pid);
    }

    private readonly struct DataCondition(OneToOneRing ring) : IWaitCondition
    {
        public bool IsSatisfied() =>
            ring._gate.IsClosed || ring.HasReadableFrame() || ring._memory.ReadInt32Acquire(OneToOneRingDescriptor.CompletedOffset) != 0;

        public bool IsPeerGone() =>
            ring._memory.ReadInt32Acquire(OneToOneRingDescriptor.CompletedOffset) == 0 &&
            ring.IsWriterDead;
    }

    private readonly struct SpaceCondition(OneToOneRing ring, int length) : IWaitCondition
    {
        public bool IsSatisfied() => ring._gate.IsClosed || ring.HasSpaceFor(length);

        public bool IsPeerGone() => ring.IsReaderDead;
    }
}
