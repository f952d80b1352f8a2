using System;
using System.Threading;
using System.Threading.Tasks;

namespace Ring;

public sealed partial class ManyToManySlotRing<T>
{
    private DedicatedAsyncWaiter? _readWaiter;
    private DedicatedAsyncWaiter? _writeWaiter;

    /// <summary>
    /// Writes one value, waiting up to <paramref name="timeout"/> for a free slot with the ring's
    /// <see cref="WaitStrategy"/>. Returns false if the timeout expired (nothing written). While it waits it checks, once
    /// per liveness interval, whether a dead reader holds the slot it needs, and delivers that value again.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (nothing written).</exception>
    /// <exception cref="InvalidOperationException">The ring was completed.</exception>
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
    /// Takes the next value, waiting up to <paramref name="timeout"/>. Returns <see cref="ReadStatus.Message"/> with the
    /// value, or why there is none: <see cref="ReadStatus.TimedOut"/>, <see cref="ReadStatus.Completed"/> (end of
    /// stream, everything taken), or <see cref="ReadStatus.WriterDied"/> (nothing left, and every writer attached is a
    /// dead process). While it waits it passes claims of dead writers, abandons claims of writers stuck longer than
    /// <see cref="RingOptions.StuckWriterTimeout"/>, and delivers again values whose readers died.
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

                if (outcome == WaitOutcome.PeerGone && !HasReadableValue() && AllWritersDead())
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
    /// Waits until a value can be taken. Returns true when one can (another reader may take it first), false when the
    /// ring was completed and everything was taken. The wait runs on a dedicated background thread, never on a
    /// thread-pool thread; one such wait at a time per ring object.
    /// </summary>
    /// <exception cref="RingPeerDeadException">Nothing is left and every writer attached is a dead process.</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (_readerIndex < 0)
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

    /// <summary>Takes the next value, waiting asynchronously.</summary>
    /// <exception cref="RingCompletedException">The ring was completed and everything was taken.</exception>
    /// <exception cref="RingPeerDeadException">Nothing is left and every writer attached is a dead process.</exception>
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
                throw new RingCompletedException($"Ring '{Name}' was completed and every value has been read.");
            }
        }
    }

    /// <summary>
    /// Waits asynchronously until a write could go ahead: the slot at the enqueue position is free (another writer may
    /// take it first), or the ring was completed (a write would then throw). On a dedicated thread, as
    /// <see cref="WaitToReadAsync"/>.
    /// </summary>
    public ValueTask WaitToWriteAsync(CancellationToken cancellationToken = default)
    {
        if (_writerIndex < 0)
        {
            AttachWriter();
        }

        if (HasSpace())
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

    /// <summary>Writes one value, waiting asynchronously for a free slot.</summary>
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
                if (outcome == WaitOutcome.PeerGone && !HasReadableValue() && !IsCompletedAndDrained() && AllWritersDead())
                {
                    throw new RingPeerDeadException($"Every writer attached to ring '{Name}' died, and every value they committed has been read.", 0);
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
                WaitForSpace(long.MaxValue, cancellationToken);
                ThrowIfDisposed();
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

    /// <summary>
    /// The reader's check once per liveness interval: the claim at the head (dead or stuck writer), values of dead
    /// readers. True if it changed something or if every writer is dead (the wait then ends, and the caller looks again).
    /// </summary>
    private bool ReaderLivenessCheck() => InspectHead(Now()) | RecoverDeadReaders() || AllWritersDead();

    private readonly struct DataCondition(ManyToManySlotRing<T> ring) : IWaitCondition
    {
        public bool IsSatisfied() => ring._gate.IsClosed || ring.HasReadableValue() || ring.IsCompletedAndDrainedQuick();

        public bool IsPeerGone() => ring.ReaderLivenessCheck();
    }

    private readonly struct SpaceCondition(ManyToManySlotRing<T> ring) : IWaitCondition
    {
        public bool IsSatisfied() => ring._gate.IsClosed || ring.HasSpace();

        public bool IsPeerGone() => ring.RecoverAtEnqueue();
    }
}
