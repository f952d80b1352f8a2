using System;
using System.Threading;
using System.Threading.Tasks;

namespace Ring;

public sealed partial class SlotRing<T>
{
    private DedicatedAsyncWaiter? _readWaiter;
    private DedicatedAsyncWaiter? _writeWaiter;

    /// <summary>
    /// Writes one value, waiting up to <paramref name="timeout"/> for its slot with the ring's <see cref="WaitStrategy"/>.
    /// Returns false if the timeout expired (nothing written).
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (nothing written).</exception>
    /// <exception cref="RingPeerDeadException">The reader died while the ring was full.</exception>
    public bool TryWrite(in T value, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        if (TryWrite(in value))
        {
            return true;
        }

        long deadline = WaitLoop.Deadline(timeout);
        EnterBlocking();
        try
        {
            while (true)
            {
                WaitOutcome outcome = WaitForSpace(deadline, cancellationToken);
                ThrowIfDisposed();
                if (TryWrite(in value))
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

    /// <summary>Writes one value, waiting without a timeout; see <see cref="TryWrite(in T, TimeSpan, CancellationToken)"/>.</summary>
    public void Write(in T value, CancellationToken cancellationToken = default) =>
        TryWrite(in value, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// Reads the next value, waiting up to <paramref name="timeout"/>. Returns <see cref="ReadStatus.Message"/> with the
    /// value, or why there is none: <see cref="ReadStatus.TimedOut"/>, <see cref="ReadStatus.Completed"/> (end of
    /// stream), or <see cref="ReadStatus.WriterDied"/> (the writer died; every value it committed was read).
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (nothing consumed).</exception>
    public ReadStatus Read(out T value, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        if (TryRead(out value))
        {
            return ReadStatus.Message;
        }

        if (IsCompletedAndDrained())
        {
            return ReadStatus.Completed;
        }

        long deadline = WaitLoop.Deadline(timeout);
        EnterBlocking();
        try
        {
            while (true)
            {
                WaitOutcome outcome = WaitForData(deadline, cancellationToken);
                ThrowIfDisposed();
                if (TryRead(out value))
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

                if (outcome == WaitOutcome.PeerGone)
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

    /// <summary>
    /// Waits until a value can be read. Returns true when one can, false when the writer completed the ring and
    /// everything was read (closed for good). The wait runs on a dedicated background thread, never on a thread-pool
    /// thread; one such wait at a time per ring object.
    /// </summary>
    /// <exception cref="RingPeerDeadException">The writer died; every value it committed was read.</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (!_isReader)
        {
            AttachReader();
        }

        if (HasReadableValue())
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

    /// <summary>Reads the next value, waiting asynchronously.</summary>
    /// <exception cref="RingCompletedException">The writer completed the ring and everything was read.</exception>
    /// <exception cref="RingPeerDeadException">The writer died; every value it committed was read.</exception>
    public async ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryRead(out T value))
            {
                return value;
            }

            if (!await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new RingCompletedException($"Ring '{Name}' was completed by its writer and every value has been read.");
            }
        }
    }

    /// <summary>
    /// Waits asynchronously until the slot at the writer's position is free (on a dedicated thread, as
    /// <see cref="WaitToReadAsync"/>). Returns at once if the ring was completed (a write would then throw).
    /// </summary>
    /// <exception cref="RingPeerDeadException">The reader died while the ring was full.</exception>
    public ValueTask WaitToWriteAsync(CancellationToken cancellationToken = default)
    {
        if (!_isWriter)
        {
            AttachWriter();
        }

        if (_writerCompleted || HasSpace())
        {
            return default;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        _writeWaiter ??= new DedicatedAsyncWaiter((_, ct) => WaitToWriteBlocking(ct), $"Ring '{Name}' writer");
        return _writeWaiter.WaitAsyncNoResult(0, cancellationToken);
    }

    /// <summary>Writes one value, waiting asynchronously for its slot.</summary>
    public async ValueTask WriteAsync(T value, CancellationToken cancellationToken = default)
    {
        while (!TryWrite(in value))
        {
            await WaitToWriteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool WaitToReadBlocking(CancellationToken cancellationToken)
    {
        EnterBlocking();
        try
        {
            while (true)
            {
                if (HasReadableValue())
                {
                    return true;
                }

                if (IsCompletedAndDrained())
                {
                    return false;
                }

                WaitOutcome outcome = WaitForData(long.MaxValue, cancellationToken);
                ThrowIfDisposed();
                if (outcome == WaitOutcome.PeerGone && !HasReadableValue() && !IsCompletedAndDrained())
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

    private bool WaitToWriteBlocking(CancellationToken cancellationToken)
    {
        EnterBlocking();
        try
        {
            while (!HasSpace())
            {
                WaitOutcome outcome = WaitForSpace(long.MaxValue, cancellationToken);
                ThrowIfDisposed();
                if (outcome == WaitOutcome.PeerGone && !HasSpace())
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
    // "Ring 'NAME'", built once: every blocking call names the ring to the dispose gate (no allocation per wait).
    private string? _description;

    private void EnterBlocking() => _gate.Enter(_description ??= $"Ring '{Name}'");

    private void ExitBlocking() => _gate.Exit();

    private WaitOutcome WaitForData(long deadline, CancellationToken cancellationToken)
    {
        var condition = new DataCondition(this);
        return WaitLoop.Wait(ref condition, _waitPolicy, _dataSite, deadline, backOff: false, cancellationToken);
    }

    private WaitOutcome WaitForSpace(long deadline, CancellationToken cancellationToken)
    {
        var condition = new SpaceCondition(this);
        return WaitLoop.Wait(ref condition, _waitPolicy, _spaceSite, deadline, backOff: true, cancellationToken);
    }

    private void ThrowWriterDied()
    {
        int pid = ProcessLiveness.ProcessIdOf(_writers.IdentityAt(0));
        throw new RingPeerDeadException($"The writer of ring '{Name}' (pid {pid}) died without completing it; every value it committed has been read.", pid);
    }

    private void ThrowReaderDied()
    {
        int pid = ProcessLiveness.ProcessIdOf(_readers.IdentityAt(0));
        throw new RingPeerDeadException($"The reader of ring '{Name}' (pid {pid}) died while the ring was full.", pid);
    }

    private readonly struct DataCondition(SlotRing<T> ring) : IWaitCondition
    {
        public bool IsSatisfied() => ring._gate.IsClosed || ring.HasReadableValue() || ring.IsWriterCompleted;

        public bool IsPeerGone() => !ring.IsWriterCompleted && ring._writers.IsHeldByDeadParty(0);
    }

    private readonly struct SpaceCondition(SlotRing<T> ring) : IWaitCondition
    {
        public bool IsSatisfied() => ring._gate.IsClosed || ring.HasSpace();

        public bool IsPeerGone() => ring._readers.IsHeldByDeadParty(0);
    }
}
