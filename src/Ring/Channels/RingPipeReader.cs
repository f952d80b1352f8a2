using System;
using System.Buffers;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Channels;

/// <summary>
/// A <see cref="PipeReader"/> that reads a byte stream from a <see cref="OneToOneRing"/> (this process becomes its reader
/// at the first read), written by a <see cref="RingStream"/> or a <see cref="RingPipeWriter"/>.
/// </summary>
/// <remarks>
/// <para>
/// The frames are copied out of the ring into one internal buffer, and <see cref="ReadAsync"/> returns its unconsumed
/// bytes as a single-segment <see cref="ReadOnlySequence{T}"/>. <see cref="AdvanceTo(SequencePosition, SequencePosition)"/>
/// frees what was consumed; if everything was examined, the next read waits for new bytes, otherwise it returns at
/// once. The buffer starts at twice the maximum message length (at least 4 KiB), and grows (doubling) only while the
/// unconsumed bytes plus one frame do not fit, up to <c>maximumBufferSize</c>; a read that needs more throws
/// <see cref="InvalidOperationException"/> naming the sizes. A read that finds frames in the ring completes
/// synchronously and allocates nothing.
/// </para>
/// <para>
/// <see cref="ReadResult.IsCompleted"/> is set once the ring is completed and drained (the end of the stream). A writer
/// process that dies without completing raises <see cref="IOException"/> naming its pid, after every byte it committed
/// was returned; so does an abort frame (<see cref="RingPipeWriter.Complete"/> with an exception) and a frame of a type
/// no stream writer writes. <see cref="CancelPendingRead"/> ends the pending read (or the next one) with
/// <see cref="ReadResult.IsCanceled"/>. <see cref="Complete"/> disposes the ring unless the reader was made with
/// <c>leaveOpen</c>; the exception, if any, stays here (a ring has no channel back to its writer).
/// </para>
/// </remarks>
public sealed class RingPipeReader : PipeReader
{
    /// <summary>The default largest internal buffer: 64 MiB (unconsumed bytes plus one frame).</summary>
    public const int DefaultMaximumBufferSize = 64 << 20;

    private const int MinimumBufferSize = 4096;

    private readonly OneToOneRing _ring;
    private readonly bool _leaveOpen;
    private readonly int _maxFrame;
    private readonly int _maximumBufferSize;
    private readonly PendingCancellation _cancellation = new();
    private byte[] _buffer;

    // Unconsumed bytes: [_start, _end) of _buffer.
    private int _start;
    private int _end;

    // The last AdvanceTo examined every byte: the next read returns only with new bytes (or completion, or cancellation).
    private bool _examinedEverything;
    private bool _reading;
    private bool _ended;
    private bool _completed;
    private string? _abortReason;

    /// <summary>
    /// Creates a pipe reader over <paramref name="ring"/>; <see cref="Complete"/> disposes the ring unless
    /// <paramref name="leaveOpen"/>. The internal buffer grows up to <paramref name="maximumBufferSize"/> bytes, which
    /// must hold at least two frames (2 × <see cref="OneToOneRing.MaxMessageLength"/>).
    /// </summary>
    public RingPipeReader(OneToOneRing ring, bool leaveOpen = false, int maximumBufferSize = DefaultMaximumBufferSize)
    {
        ArgumentNullException.ThrowIfNull(ring);
        int minimum = Math.Max(MinimumBufferSize, 2 * ring.MaxMessageLength);
        if (maximumBufferSize < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(maximumBufferSize), maximumBufferSize,
                $"Maximum buffer size {maximumBufferSize} is too small for ring '{ring.Name}': it must be at least {minimum} bytes (4 KiB, and two frames of {ring.MaxMessageLength} bytes).");
        }

        _ring = ring;
        _leaveOpen = leaveOpen;
        _maxFrame = ring.MaxMessageLength;
        _maximumBufferSize = maximumBufferSize;
        _buffer = new byte[minimum];
    }

    /// <summary>The ring under the reader.</summary>
    public OneToOneRing Ring => _ring;

    /// <summary>
    /// Returns the unconsumed bytes: at once if some were not examined yet or frames are in the ring, else when the next
    /// frame comes, the stream ends (<see cref="ReadResult.IsCompleted"/>) or the read is cancelled.
    /// </summary>
    /// <exception cref="IOException">The writer died (pid in the message) or aborted, or a frame of another type came.</exception>
    /// <exception cref="InvalidOperationException">The previous result was not advanced, the reader was completed, or the buffer limit was reached.</exception>
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCannotRead();
        if (_cancellation.ConsumeRequest())
        {
            return new ValueTask<ReadResult>(Result(canceled: true));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ReadResult>(cancellationToken);
        }

        // Errors of the stream (an abort, a frame of another type, corruption, the buffer limit) come in the task.
        try
        {
            return TryGetResult(out ReadResult result) ? new ValueTask<ReadResult>(result) : ReadSlowAsync(cancellationToken);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<ReadResult>(e);
        }
    }

    private async ValueTask<ReadResult> ReadSlowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            CancellationToken token = _cancellation.Prepare(cancellationToken, out CancellationTokenSource? linked);
            try
            {
                if (_cancellation.ConsumeRequest())
                {
                    return Result(canceled: true);
                }

                await _ring.WaitToReadAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _cancellation.ConsumeRequest())
            {
                return Result(canceled: true);
            }
            catch (RingPeerDeadException e)
            {
                throw StreamFrames.WriterDied(_ring.Name, e.ProcessId, e);
            }
            finally
            {
                linked?.Dispose();
            }

            if (TryGetResult(out ReadResult result))
            {
                return result;
            }
        }
    }

    /// <summary>
    /// Returns the unconsumed bytes if there are any (or frames in the ring, or the stream ended), without waiting.
    /// </summary>
    public override bool TryRead(out ReadResult result)
    {
        ThrowIfCannotRead();
        if (_cancellation.ConsumeRequest())
        {
            result = Result(canceled: true);
            return true;
        }

        Pull(mayGrow: false);
        if (_end > _start || _ended)
        {
            result = Result(canceled: false);
            return true;
        }

        ThrowIfAborted();
        result = default;
        return false;
    }

    /// <summary>Frees the bytes before <paramref name="consumed"/>; the next read waits for new bytes only if this examined all of them.</summary>
    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    /// <summary>
    /// Frees the bytes before <paramref name="consumed"/>. If <paramref name="examined"/> is the end of the last result,
    /// the next read returns only when new bytes come (or the stream ends); otherwise it returns at once.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A position that is not in the last result, or examined before consumed.</exception>
    /// <exception cref="InvalidOperationException">No read to advance.</exception>
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_completed)
        {
            throw new InvalidOperationException($"The pipe reader of ring '{_ring.Name}' was completed.");
        }

        if (!_reading)
        {
            throw new InvalidOperationException($"AdvanceTo on the pipe reader of ring '{_ring.Name}' has no read to advance: call it once after each ReadAsync or TryRead.");
        }

        int consumedIndex = IndexOf(consumed, nameof(consumed));
        int examinedIndex = IndexOf(examined, nameof(examined));
        if (examinedIndex < consumedIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(examined), examinedIndex - _start,
                $"The examined position (offset {examinedIndex - _start}) is before the consumed position (offset {consumedIndex - _start}): examined must be at or after consumed.");
        }

        _reading = false;
        _examinedEverything = examinedIndex == _end;
        _start = consumedIndex;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    /// <summary>Ends the pending read (or the next one, if none is pending) with <see cref="ReadResult.IsCanceled"/>. Any thread.</summary>
    public override void CancelPendingRead() => _cancellation.Request();

    /// <summary>Stops reading: disposes the ring unless the reader was made with <c>leaveOpen</c>. Idempotent.</summary>
    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        _cancellation.Dispose();
        if (!_leaveOpen)
        {
            _ring.Dispose();
        }
    }

    /// <summary>The result to hand out now, if the rules let a read return without waiting.</summary>
    private bool TryGetResult(out ReadResult result)
    {
        // Bytes the consumer has not examined yet are returned at once; new frames are taken along if they fit.
        bool unexamined = !_examinedEverything && _end > _start;

        // Counted by Pull, not by comparing _end: making room moves the bytes to the front.
        int pulled = Pull(mayGrow: !unexamined);
        if (unexamined || pulled > 0 || _ended)
        {
            result = Result(canceled: false);
            return true;
        }

        ThrowIfAborted();
        result = default;
        return false;
    }

    /// <summary>
    /// Copies the frames in the ring into the buffer, without waiting, while one more frame fits (after moving the
    /// unconsumed bytes to the front, and, if <paramref name="mayGrow"/>, growing the buffer for the first). Sets <see cref="_ended"/>
    /// when the ring is completed and drained, <see cref="_abortReason"/> at an abort frame. Returns the bytes appended.
    /// </summary>
    private int Pull(bool mayGrow)
    {
        // Grows at most once per call, and only before the first frame: growth is for progress, not to drain the ring.
        bool grow = mayGrow;
        int pulled = 0;
        while (!_ended && _abortReason is null && MakeRoom(grow))
        {
            grow = false;
            if (!_ring.TryRead(_buffer.AsSpan(_end), out RingMessage message))
            {
                // The completion flag is read with acquire after a read found nothing: every frame committed before
                // the completion is then visible, so a second read that finds nothing means completed and drained.
                if (!_ring.IsWriterCompleted)
                {
                    return pulled;
                }

                if (!_ring.TryRead(_buffer.AsSpan(_end), out message))
                {
                    _ended = true;
                    return pulled;
                }
            }

            if (message.Type == StreamFrames.DataType)
            {
                _end += message.Length;
                pulled += message.Length;

                // New bytes are unexamined: if a later frame of this pull throws, the next read returns them at once.
                _examinedEverything = false;
            }
            else if (message.Type == StreamFrames.AbortType)
            {
                _abortReason = StreamFrames.DecodeAbortReason(_buffer.AsSpan(_end, message.Length));
            }
            else
            {
                throw StreamFrames.UnexpectedType(_ring.Name, message.Type, message.Length);
            }
        }

        return pulled;
    }

    /// <summary>True if a whole frame fits after the buffered bytes, moving them to the front or growing the buffer if needed.</summary>
    private bool MakeRoom(bool mayGrow)
    {
        if (_buffer.Length - _end >= _maxFrame)
        {
            return true;
        }

        int pending = _end - _start;
        if (_start > 0 && _buffer.Length - pending >= _maxFrame)
        {
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
            _start = 0;
            _end = pending;
            return true;
        }

        if (!mayGrow)
        {
            return false;
        }

        long size = Math.Max(2L * _buffer.Length, (long)pending + _maxFrame);
        if ((long)pending + _maxFrame > _maximumBufferSize)
        {
            throw new InvalidOperationException(
                $"The pipe reader of ring '{_ring.Name}' holds {pending} unconsumed bytes, all examined, and one more frame may need {_maxFrame}: over its maximum buffer size of {_maximumBufferSize} bytes. Consume more per AdvanceTo, or raise maximumBufferSize.");
        }

        byte[] buffer = new byte[Math.Min(size, _maximumBufferSize)];
        _buffer.AsSpan(_start, pending).CopyTo(buffer);
        _buffer = buffer;
        _start = 0;
        _end = pending;
        return true;
    }

    private ReadResult Result(bool canceled)
    {
        _reading = true;
        return new ReadResult(new ReadOnlySequence<byte>(_buffer, _start, _end - _start), canceled, isCompleted: _ended);
    }

    private int IndexOf(SequencePosition position, string name)
    {
        // Positions of an array-backed sequence carry the array and the index (the top bit is a flag of the sequence).
        int index = position.GetInteger() & int.MaxValue;
        if (!ReferenceEquals(position.GetObject(), _buffer) || index < _start || index > _end)
        {
            throw new ArgumentOutOfRangeException(name, $"The {name} position is not in the last result this pipe reader returned (ring '{_ring.Name}').");
        }

        return index;
    }

    private void ThrowIfAborted()
    {
        if (_abortReason is not null)
        {
            throw StreamFrames.Aborted(_ring.Name, _abortReason);
        }
    }

    private void ThrowIfCannotRead()
    {
        if (_completed)
        {
            throw new InvalidOperationException($"The pipe reader of ring '{_ring.Name}' was completed: reading is not allowed after Complete.");
        }

        if (_reading)
        {
            throw new InvalidOperationException($"The pipe reader of ring '{_ring.Name}' has a result not yet advanced: call AdvanceTo before reading again.");
        }
    }
}
