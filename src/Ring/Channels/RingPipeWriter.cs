using System;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Channels;

/// <summary>
/// A <see cref="PipeWriter"/> that publishes to a <see cref="OneToOneRing"/> (this process becomes its writer at the
/// first flush): the byte-stream wire format of <see cref="RingStream"/>, so either reading adapter can read it.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="GetMemory"/> and <see cref="GetSpan"/> hand out an internal buffer (allocated once, grown only when a
/// size hint or unflushed bytes need more); <see cref="Advance"/> marks bytes written, and <see cref="FlushAsync"/>
/// publishes them as frames of at most <see cref="OneToOneRing.MaxMessageLength"/> bytes. A flush that finds room
/// completes synchronously and allocates nothing; otherwise it waits asynchronously for the reader to make room.
/// Nothing reaches the reader before a flush.
/// </para>
/// <para>
/// <see cref="CancelPendingFlush"/> ends the pending flush (or the next one) with <see cref="FlushResult.IsCanceled"/>;
/// bytes not yet published then stay buffered for the next flush. A flush whose reader died throws
/// <see cref="IOException"/> naming its pid. <see cref="FlushResult.IsCompleted"/> is never set: a ring has no channel
/// back from its reader.
/// </para>
/// <para>
/// <see cref="Complete"/> publishes what is still buffered (waiting for room as long as it takes), then completes the
/// ring: the reader sees the end of the stream. With an exception it first writes an abort frame
/// (<see cref="RingStream.AbortFrameType"/>, the exception's type and message in UTF-8, cut to the maximum message
/// length), which readers raise as <see cref="IOException"/> after the bytes before it. Then the ring is disposed,
/// unless the writer was made with <c>leaveOpen</c>. Not thread-safe, like any <see cref="PipeWriter"/>, except
/// <see cref="CancelPendingFlush"/>.
/// </para>
/// </remarks>
public sealed class RingPipeWriter : PipeWriter
{
    private const int MinimumBufferSize = 4096;

    private readonly OneToOneRing _ring;
    private readonly bool _leaveOpen;
    private readonly int _maxFrame;
    private readonly PendingCancellation _cancellation = new();
    private byte[] _buffer;

    // Unflushed bytes: [_flushed, _written) of _buffer.
    private int _flushed;
    private int _written;
    private bool _completed;

    /// <summary>Creates a pipe writer over <paramref name="ring"/>; <see cref="Complete"/> disposes the ring unless <paramref name="leaveOpen"/>.</summary>
    public RingPipeWriter(OneToOneRing ring, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(ring);
        _ring = ring;
        _leaveOpen = leaveOpen;
        _maxFrame = ring.MaxMessageLength;
        _buffer = new byte[Math.Max(MinimumBufferSize, _maxFrame)];
    }

    /// <summary>The ring under the writer.</summary>
    public OneToOneRing Ring => _ring;

    /// <summary>True: <see cref="UnflushedBytes"/> is known.</summary>
    public override bool CanGetUnflushedBytes => true;

    /// <summary>Bytes advanced but not yet published.</summary>
    public override long UnflushedBytes => _written - _flushed;

    /// <summary>Marks <paramref name="bytes"/> of the memory last handed out as written.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or more than the memory handed out.</exception>
    public override void Advance(int bytes)
    {
        ThrowIfCompleted();
        if ((uint)bytes > (uint)(_buffer.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes,
                $"Advance({bytes}) is invalid: it must be between 0 and the {_buffer.Length - _written} bytes of memory handed out.");
        }

        _written += bytes;
    }

    /// <summary>Memory of at least <paramref name="sizeHint"/> bytes (at least 1 for 0) to write into.</summary>
    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <summary>A span of at least <paramref name="sizeHint"/> bytes (at least 1 for 0) to write into.</summary>
    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>
    /// Publishes the buffered bytes as frames. Completes synchronously when the ring has room; otherwise waits for it
    /// asynchronously. Returns <see cref="FlushResult.IsCanceled"/> after <see cref="CancelPendingFlush"/>.
    /// </summary>
    /// <exception cref="IOException">The reader died while the ring was full (pid in the message).</exception>
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        if (_cancellation.ConsumeRequest())
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<FlushResult>(cancellationToken);
        }

        // Counted before the fast path: the frames it publishes belong to this flush (a reader-died message counts them).
        long total = _written - _flushed;
        return TryPublish() ? default : FlushSlowAsync(total, cancellationToken);
    }

    private async ValueTask<FlushResult> FlushSlowAsync(long total, CancellationToken cancellationToken)
    {
        while (true)
        {
            int length = Math.Min(_written - _flushed, _maxFrame);
            CancellationToken token = _cancellation.Prepare(cancellationToken, out CancellationTokenSource? linked);
            try
            {
                if (_cancellation.ConsumeRequest())
                {
                    return new FlushResult(isCanceled: true, isCompleted: false);
                }

                await _ring.WaitToWriteAsync(length, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _cancellation.ConsumeRequest())
            {
                return new FlushResult(isCanceled: true, isCompleted: false);
            }
            catch (RingPeerDeadException e)
            {
                throw StreamFrames.ReaderDied(_ring.Name, e.ProcessId, e, total - (_written - _flushed), total);
            }
            finally
            {
                linked?.Dispose();
            }

            if (TryPublish())
            {
                return default;
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="source"/> and flushes. When nothing is buffered and it does not fit in the buffer, it is
    /// published straight from <paramref name="source"/> (the buffer does not grow to its size); after
    /// <see cref="CancelPendingFlush"/> or the token's cancellation the bytes not yet published are buffered for the next flush.
    /// </summary>
    /// <exception cref="IOException">The reader died while the ring was full (pid in the message).</exception>
    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        if (_written > _flushed || source.Length <= _buffer.Length - _written)
        {
            // Behind buffered bytes (order), or small: the ordinary way.
            source.Span.CopyTo(GetSpan(source.Length));
            Advance(source.Length);
            return FlushAsync(cancellationToken);
        }

        if (_cancellation.ConsumeRequest())
        {
            BufferRest(source.Span);
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // As the small path (copied, then the flush is cancelled) and a cancellation during the wait: buffered.
            BufferRest(source.Span);
            return ValueTask.FromCanceled<FlushResult>(cancellationToken);
        }

        int published = 0;
        while (published < source.Length)
        {
            int length = Math.Min(source.Length - published, _maxFrame);
            if (!_ring.TryWrite(source.Span.Slice(published, length), StreamFrames.DataType))
            {
                return WriteSlowAsync(source, published, cancellationToken);
            }

            published += length;
        }

        return default;
    }

    private async ValueTask<FlushResult> WriteSlowAsync(ReadOnlyMemory<byte> source, int published, CancellationToken cancellationToken)
    {
        while (published < source.Length)
        {
            int length = Math.Min(source.Length - published, _maxFrame);
            CancellationToken token = _cancellation.Prepare(cancellationToken, out CancellationTokenSource? linked);
            try
            {
                if (_cancellation.ConsumeRequest())
                {
                    BufferRest(source.Span[published..]);
                    return new FlushResult(isCanceled: true, isCompleted: false);
                }

                await _ring.WaitToWriteAsync(length, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _cancellation.ConsumeRequest())
            {
                BufferRest(source.Span[published..]);
                return new FlushResult(isCanceled: true, isCompleted: false);
            }
            catch (OperationCanceledException)
            {
                // The caller's token: the frames before stay published, so the rest must stay buffered (as a cancelled
                // FlushAsync leaves it), else the next flush would leave a hole in the middle of the stream.
                BufferRest(source.Span[published..]);
                throw;
            }
            catch (RingPeerDeadException e)
            {
                throw StreamFrames.ReaderDied(_ring.Name, e.ProcessId, e, published, source.Length);
            }
            finally
            {
                linked?.Dispose();
            }

            while (published < source.Length)
            {
                length = Math.Min(source.Length - published, _maxFrame);
                if (!_ring.TryWrite(source.Span.Slice(published, length), StreamFrames.DataType))
                {
                    break;
                }

                published += length;
            }
        }

        return default;
    }

    /// <summary>Keeps the bytes a cancelled write did not publish, for the next flush.</summary>
    private void BufferRest(ReadOnlySpan<byte> rest)
    {
        rest.CopyTo(GetSpan(rest.Length));
        Advance(rest.Length);
    }

    /// <summary>Ends the pending <see cref="FlushAsync"/> (or the next one, if none is pending) with <see cref="FlushResult.IsCanceled"/>. Any thread.</summary>
    public override void CancelPendingFlush() => _cancellation.Request();

    /// <summary>
    /// Publishes what is buffered (blocking until there is room), writes an abort frame if <paramref name="exception"/>
    /// is given, completes the ring, and disposes it unless the writer was made with <c>leaveOpen</c>. Idempotent.
    /// </summary>
    /// <exception cref="IOException">The reader died while the ring was full (pid in the message); the ring is still completed and disposed.</exception>
    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        try
        {
            long total = _written - _flushed;
            try
            {
                while (_flushed < _written)
                {
                    int length = Math.Min(_written - _flushed, _maxFrame);
                    _ring.Write(_buffer.AsSpan(_flushed, length), StreamFrames.DataType);
                    _flushed += length;
                }

                if (exception is not null)
                {
                    int length = StreamFrames.EncodeAbortReason(exception, _buffer.AsSpan(0, _maxFrame));
                    _ring.Write(_buffer.AsSpan(0, length), StreamFrames.AbortType);
                }
            }
            catch (RingPeerDeadException e)
            {
                throw StreamFrames.ReaderDied(_ring.Name, e.ProcessId, e, total - (_written - _flushed), total);
            }
            finally
            {
                _flushed = _written = 0;
                _ring.Complete();
            }
        }
        finally
        {
            _cancellation.Dispose();
            if (!_leaveOpen)
            {
                _ring.Dispose();
            }
        }
    }

    /// <summary>Publishes every buffered byte without waiting; false if the ring filled up first (the rest stays buffered).</summary>
    private bool TryPublish()
    {
        while (_flushed < _written)
        {
            int length = Math.Min(_written - _flushed, _maxFrame);
            if (!_ring.TryWrite(_buffer.AsSpan(_flushed, length), StreamFrames.DataType))
            {
                return false;
            }

            _flushed += length;
        }

        _flushed = _written = 0;
        return true;
    }

    private void EnsureRoom(int sizeHint)
    {
        ThrowIfCompleted();
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        // Bytes left by a cancelled flush move to the front before the buffer grows.
        int pending = _written - _flushed;
        if (_flushed > 0)
        {
            _buffer.AsSpan(_flushed, pending).CopyTo(_buffer);
            _flushed = 0;
            _written = pending;
            if (_buffer.Length - _written >= needed)
            {
                return;
            }
        }

        long size = Math.Max((long)_buffer.Length * 2, (long)pending + needed);
        if (size > Array.MaxLength)
        {
            if ((long)pending + needed > Array.MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(sizeHint), sizeHint,
                    $"Size hint {sizeHint} with {pending} unflushed bytes exceeds the largest buffer ({Array.MaxLength} bytes): flush first.");
            }

            size = Array.MaxLength;
        }

        byte[] buffer = new byte[size];
        _buffer.AsSpan(0, pending).CopyTo(buffer);
        _buffer = buffer;
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException($"The pipe writer of ring '{_ring.Name}' was completed: nothing more can be written.");
        }
    }
}
