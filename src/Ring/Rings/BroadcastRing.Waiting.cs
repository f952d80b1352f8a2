using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;

namespace Ring;

public sealed partial class BroadcastRing
{
    private DedicatedAsyncWaiter? _writeWaiter;

    /// <summary>
    /// Writes one message, waiting up to <paramref name="timeout"/> for room with the ring's <see cref="WaitStrategy"/>
    /// (gated: until every registered reader has read the frames it needs; a reader found dead stops gating within
    /// <see cref="RingOptions.LivenessCheckInterval"/>). Returns false if the timeout expired (nothing written). A lossy
    /// ring never waits.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (nothing written).</exception>
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
    /// Waits asynchronously until a message of <paramref name="length"/> bytes fits (on a dedicated background thread,
    /// never blocking a thread-pool thread; one such wait at a time). Completes at once on a lossy ring.
    /// </summary>
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

        _writeWaiter ??= new DedicatedAsyncWaiter((n, ct) => WaitToWriteBlocking((int)n, ct), $"Broadcast ring '{Name}' writer");
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

    private bool WaitToWriteBlocking(int length, CancellationToken cancellationToken)
    {
        EnterBlocking();
        try
        {
            while (!HasSpaceFor(length))
            {
                WaitForSpace(length, long.MaxValue, cancellationToken);
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
    // "Broadcast ring 'NAME'", built once: every blocking call names the ring to the dispose gate (no allocation per wait).
    private string? _description;

    private void EnterBlocking() => _gate.Enter(_description ??= $"Broadcast ring '{Name}'");

    private void ExitBlocking() => _gate.Exit();

    private WaitOutcome WaitForSpace(int length, long deadline, CancellationToken cancellationToken)
    {
        var condition = new SpaceCondition(this, length);
        return WaitLoop.Wait(ref condition, _waitPolicy, _core.SpaceSite, deadline, backOff: true, cancellationToken);
    }

    /// <summary>
    /// True if a frame of <paramref name="length"/> payload bytes fits now: always in lossy mode; in gated mode if no
    /// registered reader is below what it would overwrite (reading the reader table, publishing nothing).
    /// </summary>
    private bool HasSpaceFor(int length)
    {
        if (_lossy)
        {
            return true;
        }

        int aligned = BroadcastFrameDescriptor.Align(length + BroadcastFrameDescriptor.HeaderLength);
        long toEnd = _capacity - (_tail & _mask);
        long target = _tail + (aligned <= toEnd ? aligned : toEnd + aligned) + BroadcastFrameDescriptor.HeaderLength - _capacity;
        return target <= _oldest || SlowestReader() >= target;
    }

    private readonly struct SpaceCondition(BroadcastRing ring, int length) : IWaitCondition
    {
        public bool IsSatisfied() => ring._gate.IsClosed || ring.HasSpaceFor(length);

        /// <summary>A dead reader is not a reason to stop waiting: it is evicted, and the next check sees the room it held.</summary>
        public bool IsPeerGone()
        {
            ring.EvictDeadReaders();
            return false;
        }
    }
}
