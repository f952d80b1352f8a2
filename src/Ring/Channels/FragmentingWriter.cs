using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Channels;

/// <summary>
/// Sends messages longer than a ring's frame: a message that fits one frame goes as one frame with its own type; a
/// longer one, up to <see cref="FragmentationOptions.MaxMessageSize"/>, as a sequence of fragments
/// (<see cref="FragmentDescriptor"/>) that a <see cref="ReassemblingReader"/> puts back together.
/// </summary>
/// <remarks>
/// <para>
/// Works over <see cref="OneToOneRing"/>, <see cref="ManyToOneRing"/> (fragments of different writers interleave; the
/// reader keeps them apart by writer) and <see cref="BroadcastRing"/>; refuses <see cref="ManyToManyRing"/>, whose
/// competing readers would each get some of a message's fragments. Fragments fill whole frames
/// (<see cref="IMessageWriter.MaxMessageLength"/> bytes each, the header included) and are written in place with
/// TryClaim/Commit while the ring has room; when it is full the writer waits as the ring's blocking or asynchronous
/// write does, so a message larger than the ring goes through as the reader makes room.
/// </para>
/// <para>
/// A multi-fragment message is not atomic: if the timeout passes or the token is cancelled after some fragments went
/// out, the writer sends a cancel fragment if there is room at once (the reader drops the partial), and otherwise the
/// writer's next message supersedes it; either way the reader counts it in
/// <see cref="ReassemblingReader.AbandonedMessages"/> and never hands it out. The non-blocking
/// <see cref="TryWrite(ReadOnlySpan{byte}, int)"/> refuses messages that need more than one frame.
/// </para>
/// <para>Not thread-safe: one thread writes at a time; use one writer (and one ring object) per writing thread.</para>
/// </remarks>
public sealed class FragmentingWriter : IDisposable
{
    private static int s_lastInstance;

    private readonly IMessageWriter _inner;
    private readonly bool _leaveOpen;
    private readonly int _maxMessageSize;
    private readonly int _frameLength;
    private readonly int _fragmentData;
    private readonly long _identity;
    private readonly int _instance;
    private int _messageNumber;
    private byte[]? _scratch;
    private byte[]? _cancel;
    private bool _cancelPending;
    private bool _disposed;

    /// <summary>Creates a fragmenting writer over <paramref name="inner"/>.</summary>
    /// <param name="inner">The ring to write to: a <see cref="OneToOneRing"/>, <see cref="ManyToOneRing"/> or <see cref="BroadcastRing"/>.</param>
    /// <param name="options">The maximum message size; null for the defaults.</param>
    /// <param name="leaveOpen">True to leave <paramref name="inner"/> open when this writer is disposed.</param>
    /// <exception cref="ArgumentException">The ring is a <see cref="ManyToManyRing"/>, or its frames cannot hold a fragment header and a data byte.</exception>
    public FragmentingWriter(IMessageWriter inner, FragmentationOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (inner is ManyToManyRing)
        {
            throw new ArgumentException(
                $"Ring '{inner.Name}' is a ManyToManyRing: its competing readers would each take some fragments of a message. Fragmentation works over OneToOneRing, ManyToOneRing and BroadcastRing.",
                nameof(inner));
        }

        if (inner.MaxMessageLength <= FragmentDescriptor.HeaderLength)
        {
            throw new ArgumentException(
                $"Ring '{inner.Name}' has a maximum message length of {inner.MaxMessageLength} bytes; fragmentation needs more than the {FragmentDescriptor.HeaderLength}-byte fragment header.",
                nameof(inner));
        }

        options ??= new FragmentationOptions();
        _inner = inner;
        _leaveOpen = leaveOpen;
        _maxMessageSize = options.MaxMessageSize;
        _frameLength = inner.MaxMessageLength;
        _fragmentData = _frameLength - FragmentDescriptor.HeaderLength;
        _identity = ProcessLiveness.CurrentIdentity;
        _instance = Interlocked.Increment(ref s_lastInstance);
    }

    /// <summary>The ring's name.</summary>
    public string Name => _inner.Name;

    /// <summary>Test hook: called after each fragment is written, with the message bytes written so far.</summary>
    internal Action<int>? FragmentWritten { get; set; }

    /// <summary>The longest message this writer sends, in bytes.</summary>
    public int MaxMessageSize => _maxMessageSize;

    /// <summary>The longest message that goes as one frame (the ring's maximum message length); longer ones are fragmented.</summary>
    public int MaxSingleFrameLength => _frameLength;

    /// <summary>The message bytes each fragment carries (the last one of a message fewer).</summary>
    public int FragmentDataLength => _fragmentData;

    /// <summary>
    /// Writes a message that fits one frame if the ring has room now; never blocks.
    /// </summary>
    /// <returns>True if written; false if the ring is full (nothing written).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The message is longer than <see cref="MaxMessageSize"/>, or the type is negative or reserved.</exception>
    /// <exception cref="ArgumentException">The message needs more than one frame: it cannot be sent atomically without waiting.</exception>
    public bool TryWrite(ReadOnlySpan<byte> message, int type = 0)
    {
        Check(message.Length, type);
        if (message.Length > _frameLength)
        {
            throw new ArgumentException(
                $"Message of {message.Length} bytes needs {FragmentCount(message.Length)} fragments on ring '{Name}' (one frame holds at most {_frameLength} bytes): the non-blocking TryWrite sends only single-frame messages. Use Write, TryWrite with a timeout, or WriteAsync. Nothing was written.",
                nameof(message));
        }

        return (!_cancelPending || TrySendCancel()) && _inner.TryWrite(message, type);
    }

    /// <summary>Writes a message, waiting up to <paramref name="timeout"/> (for the whole message) for room.</summary>
    /// <returns>
    /// True if the whole message was written; false if the timeout passed first. A multi-fragment message that timed out
    /// part way is given up: the reader never hands it out and counts it as abandoned.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">The message is longer than <see cref="MaxMessageSize"/>, the type is negative or reserved, or the timeout is negative (other than infinite).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (a partial message is given up as on a timeout).</exception>
    public bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Check(message.Length, type);
        long deadline = Deadline(timeout);
        if (_cancelPending && !SendCancel(deadline, cancellationToken))
        {
            return false;
        }

        return message.Length <= _frameLength
            ? _inner.TryWrite(message, type, Remaining(deadline), cancellationToken)
            : WriteFragments(message, type, deadline, cancellationToken);
    }

    /// <summary>Writes a message, waiting as long as it takes for room (or until cancelled).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The message is longer than <see cref="MaxMessageSize"/>, or the type is negative or reserved.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (a partial message is given up).</exception>
    public void Write(ReadOnlySpan<byte> message, int type = 0, CancellationToken cancellationToken = default)
    {
        Check(message.Length, type);
        if (_cancelPending)
        {
            SendCancel(long.MaxValue, cancellationToken);
        }

        if (message.Length <= _frameLength)
        {
            _inner.Write(message, type, cancellationToken);
        }
        else
        {
            WriteFragments(message, type, long.MaxValue, cancellationToken);
        }
    }

    /// <summary>Writes a message, waiting asynchronously for room. Fragments that fit at once are written synchronously.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The message is longer than <see cref="MaxMessageSize"/>, or the type is negative or reserved.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (a partial message is given up).</exception>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> message, int type = 0, CancellationToken cancellationToken = default)
    {
        Check(message.Length, type);
        if (_cancelPending && !TrySendCancel())
        {
            return WriteAfterCancelAsync(message, type, cancellationToken);
        }

        if (message.Length <= _frameLength)
        {
            return _inner.WriteAsync(message, type, cancellationToken);
        }

        int number = _messageNumber++;
        int offset = 0;
        try
        {
            while (offset < message.Length && TryClaimFragment(message.Span, type, number, ref offset))
            {
            }
        }
        catch
        {
            TryCancel(type, number, message.Length);
            throw;
        }

        return offset == message.Length ? default : WriteRestAsync(message, type, number, offset, cancellationToken);
    }

    /// <summary>Completes the ring (see <see cref="IMessageWriter.Complete"/>): readers drain what was written, then see the end of the stream.</summary>
    public void Complete()
    {
        ThrowIfDisposed();
        if (_cancelPending)
        {
            // Best effort: at the end of the stream the reader discards unfinished partials anyway.
            try
            {
                TrySendCancel();
            }
            catch (InvalidOperationException)
            {
                // Already completed: nothing more can be written, and the reader discards the partial at the end.
            }
        }

        _inner.Complete();
    }

    /// <summary>
    /// Sends a pending cancel fragment if it fits now (best effort), then disposes the ring unless the writer was created
    /// with leaveOpen.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_cancelPending)
        {
            // Best effort, as in Complete: this writer has no next message to send the cancel before, and while its
            // process lives the reader would keep the partial (a slot and its buffer) until the end of the stream.
            try
            {
                TrySendCancel();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or RingPeerDeadException)
            {
                // Completed or disposed ring: nothing more can be written; the reader discards the partial at the end.
            }
        }

        if (!_leaveOpen)
        {
            _inner.Dispose();
        }
    }

    private async ValueTask WriteAfterCancelAsync(ReadOnlyMemory<byte> message, int type, CancellationToken cancellationToken)
    {
        await _inner.WriteAsync(_cancel, FragmentDescriptor.FrameType, cancellationToken).ConfigureAwait(false);
        _cancelPending = false;
        await WriteAsync(message, type, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask WriteRestAsync(ReadOnlyMemory<byte> message, int type, int number, int offset, CancellationToken cancellationToken)
    {
        try
        {
            while (offset < message.Length)
            {
                if (!TryClaimFragment(message.Span, type, number, ref offset))
                {
                    int length = FillScratch(message.Span, type, number, offset);
                    await _inner.WriteAsync(_scratch.AsMemory(0, length), FragmentDescriptor.FrameType, cancellationToken).ConfigureAwait(false);
                    offset += length - FragmentDescriptor.HeaderLength;
                    FragmentWritten?.Invoke(offset);
                }
            }
        }
        catch
        {
            TryCancel(type, number, message.Length);
            throw;
        }
    }

    /// <summary>Writes the fragments of one message; false if the deadline passed first (the partial is given up).</summary>
    private bool WriteFragments(ReadOnlySpan<byte> message, int type, long deadline, CancellationToken cancellationToken)
    {
        int number = _messageNumber++;
        int offset = 0;
        try
        {
            while (offset < message.Length)
            {
                if (TryClaimFragment(message, type, number, ref offset))
                {
                    continue;
                }

                // Full: build the fragment aside and let the ring's blocking write wait for room with its strategy.
                int length = FillScratch(message, type, number, offset);
                bool written;
                if (deadline == long.MaxValue)
                {
                    _inner.Write(_scratch.AsSpan(0, length), FragmentDescriptor.FrameType, cancellationToken);
                    written = true;
                }
                else
                {
                    written = _inner.TryWrite(_scratch.AsSpan(0, length), FragmentDescriptor.FrameType, Remaining(deadline), cancellationToken);
                }

                if (!written)
                {
                    TryCancel(type, number, message.Length);
                    return false;
                }

                offset += length - FragmentDescriptor.HeaderLength;
                FragmentWritten?.Invoke(offset);
            }

            return true;
        }
        catch
        {
            TryCancel(type, number, message.Length);
            throw;
        }
    }

    /// <summary>Writes the next fragment in place if the ring has room now, advancing <paramref name="offset"/>.</summary>
    private bool TryClaimFragment(ReadOnlySpan<byte> message, int type, int number, ref int offset)
    {
        int data = Math.Min(_fragmentData, message.Length - offset);
        if (!_inner.TryClaim(FragmentDescriptor.HeaderLength + data, FragmentDescriptor.FrameType, out Span<byte> payload))
        {
            return false;
        }

        FragmentDescriptor.Write(payload, new FragmentDescriptor.Header(_identity, _instance, type, number, message.Length, offset, FragmentDescriptor.DataFlags));
        message.Slice(offset, data).CopyTo(payload[FragmentDescriptor.HeaderLength..]);
        _inner.Commit();
        offset += data;
        FragmentWritten?.Invoke(offset);
        return true;
    }

    /// <summary>Builds the fragment at <paramref name="offset"/> in the scratch buffer (allocated once); returns its payload length.</summary>
    private int FillScratch(ReadOnlySpan<byte> message, int type, int number, int offset)
    {
        byte[] scratch = _scratch ??= new byte[_frameLength];
        int data = Math.Min(_fragmentData, message.Length - offset);
        FragmentDescriptor.Write(scratch, new FragmentDescriptor.Header(_identity, _instance, type, number, message.Length, offset, FragmentDescriptor.DataFlags));
        message.Slice(offset, data).CopyTo(scratch.AsSpan(FragmentDescriptor.HeaderLength));
        return FragmentDescriptor.HeaderLength + data;
    }

    /// <summary>
    /// Gives up message <paramref name="number"/> after a fragment of it failed (timeout, cancellation, a completed or
    /// disposed ring): a cancel fragment tells the reader to drop the partial. It is sent now if a frame fits at once;
    /// otherwise before this writer's next message (and a next fragmented message supersedes the partial anyway).
    /// </summary>
    private void TryCancel(int type, int number, int totalLength)
    {
        FragmentDescriptor.Write(_cancel ??= new byte[FragmentDescriptor.HeaderLength],
            new FragmentDescriptor.Header(_identity, _instance, type, number, totalLength, 0, FragmentDescriptor.CancelFlags));
        _cancelPending = true;
        try
        {
            TrySendCancel();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException or RingPeerDeadException)
        {
            // The write that failed reports the cause; the cancel stays pending.
        }
    }

    private bool TrySendCancel()
    {
        if (_inner.TryWrite(_cancel, FragmentDescriptor.FrameType))
        {
            _cancelPending = false;
        }

        return !_cancelPending;
    }

    /// <summary>Sends the pending cancel fragment, waiting until <paramref name="deadline"/>; false if it passed first.</summary>
    private bool SendCancel(long deadline, CancellationToken cancellationToken)
    {
        if (deadline == long.MaxValue)
        {
            _inner.Write(_cancel, FragmentDescriptor.FrameType, cancellationToken);
        }
        else if (!_inner.TryWrite(_cancel, FragmentDescriptor.FrameType, Remaining(deadline), cancellationToken))
        {
            return false;
        }

        _cancelPending = false;
        return true;
    }

    private void Check(int length, int type)
    {
        ThrowIfDisposed();
        FragmentDescriptor.CheckUserType(type);
        if (length > _maxMessageSize)
        {
            throw new ArgumentOutOfRangeException("message", length,
                $"Message of {length} bytes is longer than the maximum message size of {_maxMessageSize} bytes of the fragmenting writer on ring '{Name}'. Nothing was written.");
        }
    }

    private int FragmentCount(int length) => (int)(((long)length + _fragmentData - 1) / _fragmentData);

    private static long Deadline(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return long.MaxValue;
        }

        if (timeout < TimeSpan.Zero)
        {
            ThrowHelper.ThrowTimeoutOutOfRange(timeout);
        }

        double ticks = timeout.TotalSeconds * Stopwatch.Frequency;
        long now = Stopwatch.GetTimestamp();
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    private static TimeSpan Remaining(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return Timeout.InfiniteTimeSpan;
        }

        long left = deadline - Stopwatch.GetTimestamp();
        return left <= 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, left);
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(nameof(FragmentingWriter), $"The fragmenting writer on ring '{Name}' was disposed.");
        }
    }
}
