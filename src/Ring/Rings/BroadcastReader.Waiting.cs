using System;
using System.Threading;
using System.Threading.Tasks;

namespace Ring;

public sealed partial class BroadcastReader
{
    private DedicatedAsyncWaiter? _readWaiter;

    /// <summary>
    /// Reads the next message, waiting up to <paramref name="timeout"/> with the ring's <see cref="WaitStrategy"/>. Returns
    /// <see cref="ReadStatus.Message"/> with the message, or why there is none: <see cref="ReadStatus.TimedOut"/>,
    /// <see cref="ReadStatus.Completed"/> (end of stream) or <see cref="ReadStatus.WriterDied"/> (the writer died without
    /// completing; every message it committed was read, and a claim it left is skipped once a new writer takes over).
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

        long deadline = WaitLoop.Deadline(timeout);
        EnterBlocking();
        try
        {
            while (true)
            {
                WaitOutcome outcome = WaitForData(deadline, cancellationToken);
                ThrowIfDisposed();
                if (TryRead(destination, out message))
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
    /// Waits until a message can be read. Returns true when one can, false when the writer completed the ring and this
    /// reader read everything (closed for good). The wait runs on a dedicated background thread, never on a thread-pool
    /// thread; one such wait at a time per reader.
    /// </summary>
    /// <exception cref="RingPeerDeadException">The writer died; every message it committed was read.</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotAttached();
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

        _readWaiter ??= new DedicatedAsyncWaiter((_, ct) => WaitToReadBlocking(ct), $"Broadcast ring '{Name}' reader {_slot}");
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
                throw new RingCompletedException($"Broadcast ring '{Name}' was completed by its writer and reader {_slot} has read every message.");
            }
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
                if (outcome == WaitOutcome.PeerGone && !HasReadableFrame() && !IsCompletedAndDrained())
                {
                    int pid = _core.WriterProcessId;
                    throw new RingPeerDeadException($"The writer of broadcast ring '{Name}' (pid {pid}) died without completing it; every message it committed has been read.", pid);
                }
            }
        }
        finally
        {
            ExitBlocking();
        }
    }

    /// <summary>Counts the thread into a blocking wait, so that <see cref="Dispose"/> does not unmap the segment under it.</summary>
    // "Broadcast ring 'NAME'", built once: every blocking call names the ring to the dispose gate (no allocation per wait).
    private string? _description;

    private void EnterBlocking() => _gate.Enter(_description ??= $"Broadcast ring '{Name}'");

    private void ExitBlocking() => _gate.Exit();

    private WaitOutcome WaitForData(long deadline, CancellationToken cancellationToken)
    {
        var condition = new DataCondition(this);
        return WaitLoop.Wait(ref condition, _waitPolicy, _core.DataSite, deadline, backOff: false, cancellationToken);
    }

    /// <summary>True if a read would find something: a committed frame, or (lossy) the news that this reader was lapped.</summary>
    private bool HasReadableFrame() => LengthAtPosition() > 0 || (_lossy && IsLapped(_position));

    /// <summary>
    /// True if the writer completed the ring and this reader has read everything. The flag is read first (acquire): every
    /// frame committed before the completion is then visible, so an empty header at the position means the end.
    /// </summary>
    private bool IsCompletedAndDrained() => _core.IsCompleted && LengthAtPosition() == 0 && !(_lossy && IsLapped(_position));

    private readonly struct DataCondition(BroadcastReader reader) : IWaitCondition
    {
        public bool IsSatisfied() => reader._gate.IsClosed || reader.HasReadableFrame() || reader._core.IsCompleted;

        public bool IsPeerGone() => reader._core.IsWriterGone();
    }
}
