using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Channels;

/// <summary>
/// A <see cref="Stream"/> over a <see cref="OneToOneRing"/>, one direction per instance: <see cref="ForWriting"/> gives
/// a stream that writes (<see cref="CanWrite"/>), <see cref="ForReading"/> one that reads (<see cref="CanRead"/>).
/// Message boundaries are erased: the bytes written come out in order, in pieces of any size.
/// </summary>
/// <remarks>
/// <para>
/// Writing splits each write into frames of at most <see cref="OneToOneRing.MaxMessageLength"/> bytes (type
/// <see cref="DataFrameType"/>) and publishes them at once: nothing is buffered, so <see cref="Flush"/> does nothing
/// (wrap the stream in a <see cref="BufferedStream"/> to coalesce small writes into fewer frames). A synchronous write
/// waits for room up to <see cref="WriteTimeout"/> per frame, then throws <see cref="TimeoutException"/>; the frames
/// before it stay published. Disposing the writing stream completes the ring (end of stream) unless it was created with
/// <c>completeOnDispose: false</c>.
/// </para>
/// <para>
/// Reading returns the bytes of one frame at most per call: the unread rest of a frame is kept for the next read (one
/// buffer of <see cref="OneToOneRing.MaxMessageLength"/> bytes, allocated once; a destination at least that large is
/// filled straight from the ring). A read returns 0 at the end of the stream (the ring completed and drained), throws
/// <see cref="TimeoutException"/> once <see cref="ReadTimeout"/> passes without data, and <see cref="IOException"/>
/// naming the pid when the writer process died without completing (after every byte it committed was read), when the
/// writer aborted the stream (<see cref="AbortFrameType"/>), or when the ring holds a frame of another type.
/// </para>
/// <para>
/// Timeouts apply to the synchronous methods; the asynchronous ones wait until the token is cancelled (as sockets
/// do). Not thread-safe: one caller at a time, like most streams. Seeking, <see cref="Length"/> and
/// <see cref="Position"/> are not supported.
/// </para>
/// </remarks>
public sealed class RingStream : Stream
{
    /// <summary>The frame type of a stream's bytes (wire format: docs/channels/streams.md).</summary>
    public const int DataFrameType = StreamFrames.DataType;

    /// <summary>The frame type of an abort: the writer failed, the payload is the reason in UTF-8 (see <see cref="RingPipeWriter.Complete"/>).</summary>
    public const int AbortFrameType = StreamFrames.AbortType;

    private readonly OneToOneRing _ring;
    private readonly bool _writing;
    private readonly bool _leaveOpen;
    private readonly bool _completeOnDispose;
    private readonly int _maxFrame;

    // Reading: the frame being handed out, [_frameOffset, _frameOffset + _frameCount) of _frame.
    private byte[]? _frame;
    private int _frameOffset;
    private int _frameCount;
    private bool _ended;
    private string? _abortReason;

    private int _readTimeout = Timeout.Infinite;
    private int _writeTimeout = Timeout.Infinite;
    private bool _disposed;

    private RingStream(OneToOneRing ring, bool writing, bool leaveOpen, bool completeOnDispose)
    {
        ArgumentNullException.ThrowIfNull(ring);
        _ring = ring;
        _writing = writing;
        _leaveOpen = leaveOpen;
        _completeOnDispose = completeOnDispose;
        _maxFrame = ring.MaxMessageLength;
    }

    /// <summary>
    /// A stream that writes to <paramref name="ring"/> (this process becomes its writer at the first write). Disposing it
    /// completes the ring if <paramref name="completeOnDispose"/> (the reader then sees the end of the stream), and
    /// disposes the ring unless <paramref name="leaveOpen"/>.
    /// </summary>
    public static RingStream ForWriting(OneToOneRing ring, bool leaveOpen = false, bool completeOnDispose = true) =>
        new(ring, writing: true, leaveOpen, completeOnDispose);

    /// <summary>
    /// A stream that reads from <paramref name="ring"/> (this process becomes its reader at the first read). Disposing it
    /// disposes the ring unless <paramref name="leaveOpen"/>.
    /// </summary>
    public static RingStream ForReading(OneToOneRing ring, bool leaveOpen = false) =>
        new(ring, writing: false, leaveOpen, completeOnDispose: false);

    /// <summary>The ring under the stream.</summary>
    public OneToOneRing Ring => _ring;

    /// <inheritdoc/>
    public override bool CanRead => !_writing && !_disposed;

    /// <inheritdoc/>
    public override bool CanWrite => _writing && !_disposed;

    /// <summary>False: a ring is a pipe, not a file.</summary>
    public override bool CanSeek => false;

    /// <summary>True: <see cref="ReadTimeout"/> (reading stream) and <see cref="WriteTimeout"/> (writing stream).</summary>
    public override bool CanTimeout => true;

    /// <summary>
    /// Milliseconds a synchronous read waits for data before it throws <see cref="TimeoutException"/>;
    /// <see cref="Timeout.Infinite"/> (the default) waits for ever, 0 never waits. Reading stream only.
    /// </summary>
    public override int ReadTimeout
    {
        get
        {
            ThrowIfWrongDirection(reading: true, "ReadTimeout");
            return _readTimeout;
        }
        set
        {
            ThrowIfWrongDirection(reading: true, "ReadTimeout");
            CheckTimeout(value);
            _readTimeout = value;
        }
    }

    /// <summary>
    /// Milliseconds a synchronous write waits for room for each frame before it throws <see cref="TimeoutException"/>;
    /// <see cref="Timeout.Infinite"/> (the default) waits for ever, 0 never waits. Writing stream only.
    /// </summary>
    public override int WriteTimeout
    {
        get
        {
            ThrowIfWrongDirection(reading: false, "WriteTimeout");
            return _writeTimeout;
        }
        set
        {
            ThrowIfWrongDirection(reading: false, "WriteTimeout");
            CheckTimeout(value);
            _writeTimeout = value;
        }
    }

    /// <summary>Not supported: <see cref="NotSupportedException"/>.</summary>
    public override long Length => throw new NotSupportedException("A ring stream has no length: it is a pipe.");

    /// <summary>Not supported: <see cref="NotSupportedException"/>.</summary>
    public override long Position
    {
        get => throw new NotSupportedException("A ring stream has no position: it is a pipe.");
        set => throw new NotSupportedException("A ring stream cannot seek: it is a pipe.");
    }

    /// <summary>Not supported: <see cref="NotSupportedException"/>.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A ring stream cannot seek: it is a pipe.");

    /// <summary>Not supported: <see cref="NotSupportedException"/>.</summary>
    public override void SetLength(long value) => throw new NotSupportedException("A ring stream has no length: it is a pipe.");

    /// <summary>Does nothing: every write is published before it returns.</summary>
    public override void Flush() => ThrowIfDisposed();

    /// <summary>Does nothing: every write is published before it returns.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;
    }

    /// <inheritdoc cref="Read(Span{byte})"/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>
    /// Reads up to <paramref name="buffer"/>'s length from the current frame (waiting up to <see cref="ReadTimeout"/>
    /// for one); returns 0 at the end of the stream or for an empty buffer.
    /// </summary>
    /// <exception cref="TimeoutException"><see cref="ReadTimeout"/> passed with no data.</exception>
    /// <exception cref="IOException">The writer died (pid in the message) or aborted, or a frame of another type came.</exception>
    public override int Read(Span<byte> buffer)
    {
        ThrowIfCannot(reading: true);
        if (_frameCount > 0)
        {
            return CopyFromFrame(buffer);
        }

        if (buffer.IsEmpty || _ended)
        {
            ThrowIfAborted();
            return 0;
        }

        ThrowIfAborted();
        TimeSpan timeout = _readTimeout == Timeout.Infinite ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(_readTimeout);
        while (true)
        {
            // A destination that holds any frame is filled straight from the ring: one copy instead of two.
            bool direct = buffer.Length >= _maxFrame;
            Span<byte> destination = direct ? buffer : Frame();
            switch (_ring.Read(destination, out RingMessage message, timeout))
            {
                case ReadStatus.Message:
                    if (message.Type != DataFrameType)
                    {
                        ThrowOnControlFrame(message, destination);
                    }

                    if (message.Length == 0)
                    {
                        continue;
                    }

                    if (direct)
                    {
                        return message.Length;
                    }

                    _frameOffset = 0;
                    _frameCount = message.Length;
                    return CopyFromFrame(buffer);

                case ReadStatus.Completed:
                    _ended = true;
                    return 0;

                case ReadStatus.TimedOut:
                    throw new TimeoutException($"Read from ring '{_ring.Name}' timed out: no data came within the stream's ReadTimeout of {_readTimeout} ms.");

                default:
                    throw StreamFrames.WriterDied(_ring.Name, _ring.GetStatistics().WriterProcessId, inner: null);
            }
        }
    }

    /// <inheritdoc/>
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    /// <inheritdoc cref="ReadAsync(Memory{byte}, CancellationToken)"/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>
    /// Reads up to <paramref name="buffer"/>'s length from the current frame, waiting asynchronously for one (no
    /// timeout: cancel the token); returns 0 at the end of the stream or for an empty buffer.
    /// </summary>
    /// <exception cref="IOException">The writer died (pid in the message) or aborted, or a frame of another type came.</exception>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfCannot(reading: true);
        if (_frameCount > 0)
        {
            return new ValueTask<int>(CopyFromFrame(buffer.Span));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        // Errors of the stream (an abort, a frame of another type, corruption) come in the task, as from the slow path.
        try
        {
            ThrowIfAborted();
            if (buffer.IsEmpty || _ended)
            {
                return new ValueTask<int>(0);
            }

            return TryReadFrame(buffer.Span, out int read) ? new ValueTask<int>(read) : ReadSlowAsync(buffer, cancellationToken);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    private async ValueTask<int> ReadSlowAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            bool more;
            try
            {
                more = await _ring.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RingPeerDeadException e)
            {
                throw StreamFrames.WriterDied(_ring.Name, e.ProcessId, e);
            }

            if (TryReadFrame(buffer.Span, out int read))
            {
                return read;
            }

            if (!more)
            {
                _ended = true;
                return 0;
            }
        }
    }

    /// <summary>Reads the next data frame if one is there, without waiting; false if none (or the stream ended: see <see cref="_ended"/>).</summary>
    private bool TryReadFrame(Span<byte> buffer, out int read)
    {
        bool direct = buffer.Length >= _maxFrame;
        Span<byte> destination = direct ? buffer : Frame();
        while (_ring.TryRead(destination, out RingMessage message))
        {
            if (message.Type != DataFrameType)
            {
                ThrowOnControlFrame(message, destination);
            }

            if (message.Length == 0)
            {
                continue;
            }

            if (direct)
            {
                read = message.Length;
                return true;
            }

            _frameOffset = 0;
            _frameCount = message.Length;
            read = CopyFromFrame(buffer);
            return true;
        }

        read = 0;
        return false;
    }

    /// <inheritdoc cref="Write(ReadOnlySpan{byte})"/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <summary>
    /// Publishes <paramref name="buffer"/> as frames of at most <see cref="OneToOneRing.MaxMessageLength"/> bytes, waiting
    /// up to <see cref="WriteTimeout"/> for room for each. An empty buffer writes nothing.
    /// </summary>
    /// <exception cref="TimeoutException">No room came within <see cref="WriteTimeout"/>; the message says how many bytes of this call were published.</exception>
    /// <exception cref="IOException">The reader died while the ring was full (pid in the message).</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfCannot(reading: false);
        TimeSpan timeout = _writeTimeout == Timeout.Infinite ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(_writeTimeout);
        int written = 0;
        while (written < buffer.Length)
        {
            int length = Math.Min(buffer.Length - written, _maxFrame);
            bool published;
            try
            {
                published = _ring.TryWrite(buffer.Slice(written, length), DataFrameType, timeout);
            }
            catch (RingPeerDeadException e)
            {
                throw StreamFrames.ReaderDied(_ring.Name, e.ProcessId, e, written, buffer.Length);
            }

            if (!published)
            {
                throw new TimeoutException($"Write to ring '{_ring.Name}' timed out: the ring stayed full for the stream's WriteTimeout of {_writeTimeout} ms; {written} of the {buffer.Length} bytes of this write were published.");
            }

            written += length;
        }
    }

    /// <inheritdoc/>
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>
    /// Publishes <paramref name="buffer"/> as frames of at most <see cref="OneToOneRing.MaxMessageLength"/> bytes,
    /// waiting asynchronously for room (no timeout: cancel the token; frames published before the cancellation stay).
    /// </summary>
    /// <exception cref="IOException">The reader died while the ring was full (pid in the message).</exception>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfCannot(reading: false);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        try
        {
            int written = 0;
            while (written < buffer.Length)
            {
                int length = Math.Min(buffer.Length - written, _maxFrame);
                if (!_ring.TryWrite(buffer.Span.Slice(written, length), DataFrameType))
                {
                    return WriteSlowAsync(buffer, written, cancellationToken);
                }

                written += length;
            }

            return default;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    private async ValueTask WriteSlowAsync(ReadOnlyMemory<byte> buffer, int written, CancellationToken cancellationToken)
    {
        while (written < buffer.Length)
        {
            int length = Math.Min(buffer.Length - written, _maxFrame);
            while (!_ring.TryWrite(buffer.Span.Slice(written, length), DataFrameType))
            {
                try
                {
                    await _ring.WaitToWriteAsync(length, cancellationToken).ConfigureAwait(false);
                }
                catch (RingPeerDeadException e)
                {
                    throw StreamFrames.ReaderDied(_ring.Name, e.ProcessId, e, written, buffer.Length);
                }
            }

            written += length;
        }
    }

    /// <summary>
    /// Completes the ring if this is a writing stream made with <c>completeOnDispose</c> (the default), then disposes the
    /// ring unless the stream was made with <c>leaveOpen</c>.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (disposing && _writing && _completeOnDispose)
            {
                _ring.Complete();
            }
        }
        finally
        {
            if (disposing && !_leaveOpen)
            {
                _ring.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private byte[] Frame() => _frame ??= new byte[_maxFrame];

    private int CopyFromFrame(Span<byte> buffer)
    {
        int count = Math.Min(buffer.Length, _frameCount);
        _frame.AsSpan(_frameOffset, count).CopyTo(buffer);
        _frameOffset += count;
        _frameCount -= count;
        return count;
    }

    /// <summary>A frame that is not data: an abort ends the stream with its reason (for this and every later read); anything else is refused.</summary>
    private void ThrowOnControlFrame(RingMessage message, ReadOnlySpan<byte> payload)
    {
        if (message.Type == AbortFrameType)
        {
            _abortReason = StreamFrames.DecodeAbortReason(payload[..message.Length]);
            throw StreamFrames.Aborted(_ring.Name, _abortReason);
        }

        throw StreamFrames.UnexpectedType(_ring.Name, message.Type, message.Length);
    }

    private void ThrowIfAborted()
    {
        if (_abortReason is not null)
        {
            throw StreamFrames.Aborted(_ring.Name, _abortReason);
        }
    }

    private void ThrowIfCannot(bool reading)
    {
        ThrowIfDisposed();
        if (reading == _writing)
        {
            throw new NotSupportedException(reading
                ? $"This stream writes to ring '{_ring.Name}'; it cannot read (make one with RingStream.ForReading)."
                : $"This stream reads from ring '{_ring.Name}'; it cannot write (make one with RingStream.ForWriting).");
        }
    }

    private void ThrowIfWrongDirection(bool reading, string property)
    {
        if (reading == _writing)
        {
            throw new InvalidOperationException($"{property} applies to a {(reading ? "reading" : "writing")} stream; this one {(_writing ? "writes" : "reads")}.");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static void CheckTimeout(int value)
    {
        if (value < 0 && value != Timeout.Infinite)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"Timeout {value} ms is invalid: it must be 0 or more, or Timeout.Infinite (-1).");
        }
    }
}
