using System;
using System.Buffers;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Channels;

/// <summary>
/// Reads whole messages from a ring written by <see cref="FragmentingWriter"/>s: single-frame messages as they are,
/// fragmented ones reassembled, fragments of different writers kept apart (<see cref="FragmentDescriptor"/>).
/// </summary>
/// <remarks>
/// <para>
/// Works over <see cref="OneToOneRing"/>, <see cref="ManyToOneRing"/> and <see cref="BroadcastReader"/>; refuses
/// <see cref="ManyToManyRing"/>. The reader keeps one reassembly buffer per writer with a message in flight, rented from
/// <see cref="ArrayPool{T}.Shared"/> at the first fragment and returned when the message is handed out, so steady-state
/// reading allocates nothing. At most <see cref="FragmentationOptions.MaxWritersInFlight"/> writers may be in flight;
/// a fragment of one more writer first discards the partials of dead writers, then, if still none is free, the partial
/// that progressed least recently (counted as abandoned); a continuation fragment never evicts a live partial. A blocking or asynchronous read into a span reassembles a
/// message that fits the span directly in it (one copy, from the ring); what is received of it moves to a pooled buffer
/// if the call hands out another message first or returns without it.
/// </para>
/// <para>
/// Only whole messages are handed out. A partial message is discarded, and counted in <see cref="AbandonedMessages"/>
/// and <see cref="AbandonedBytes"/>, when its writer process is found dead, when the same writer starts a new message
/// (it gave the old one up, e.g. after a timeout), when the writer cancels it, when a fragment arrives out of sequence,
/// when it announces more than <see cref="FragmentationOptions.MaxMessageSize"/> bytes, and when the stream ends
/// (completed, or every writer dead) with it unfinished; a single-frame message longer than
/// <see cref="FragmentationOptions.MaxMessageSize"/> is dropped and counted likewise. Writers are checked for liveness when a blocking or
/// asynchronous read is about to wait while partials are in flight (at most every 100 ms; a blocking wait wakes that
/// often to check again), when a writer needs a reassembly slot and none is free, and on
/// <see cref="DiscardDeadWriters"/>.
/// </para>
/// <para>
/// A destination too small for the next message raises <see cref="ArgumentException"/> naming both sizes; the message
/// is kept and handed to the next read whose destination is large enough (a destination of
/// <see cref="MaxMessageSize"/> bytes always suffices). Not thread-safe: one thread reads at a time.
/// </para>
/// </remarks>
public sealed partial class ReassemblingReader : IDisposable
{
    private const int LivenessCheckMilliseconds = 100;
    private static readonly long s_livenessCheckTicks = Stopwatch.Frequency * LivenessCheckMilliseconds / 1000;

    private readonly IMessageReader _inner;
    private readonly bool _leaveOpen;
    private readonly int _maxMessageSize;
    private readonly Slot[] _slots;

    // The partial being reassembled in the caller's span during the current read call, if any (at most one).
    private Slot? _direct;
    private int _inFlight;
    private long _clock;
    private long _nextLivenessCheck;
    private byte[]? _scratch;
    private byte[]? _pending;
    private int _pendingLength;
    private int _pendingType;
    private long _abandonedMessages;
    private long _abandonedBytes;
    private long _messagesRead;
    private bool _disposed;

    /// <summary>Creates a reassembling reader over <paramref name="inner"/>.</summary>
    /// <param name="inner">The ring to read: a <see cref="OneToOneRing"/>, <see cref="ManyToOneRing"/> or <see cref="BroadcastReader"/>.</param>
    /// <param name="options">The maximum message size and writers in flight; null for the defaults.</param>
    /// <param name="leaveOpen">True to leave <paramref name="inner"/> open when this reader is disposed.</param>
    /// <exception cref="ArgumentException">The ring is a <see cref="ManyToManyRing"/>.</exception>
    public ReassemblingReader(IMessageReader inner, FragmentationOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (inner is ManyToManyRing)
        {
            throw new ArgumentException(
                $"Ring '{inner.Name}' is a ManyToManyRing: its competing readers would each take some fragments of a message. Reassembly works over OneToOneRing, ManyToOneRing and BroadcastReader.",
                nameof(inner));
        }

        options ??= new FragmentationOptions();
        _inner = inner;
        _leaveOpen = leaveOpen;
        _maxMessageSize = options.MaxMessageSize;
        _slots = new Slot[options.MaxWritersInFlight];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot();
        }
    }

    /// <summary>The ring's name.</summary>
    public string Name => _inner.Name;

    /// <summary>The longest message this reader reassembles, in bytes: a destination this large always suffices.</summary>
    public int MaxMessageSize => _maxMessageSize;

    /// <summary>How many writers may have a partial message at once.</summary>
    public int MaxWritersInFlight => _slots.Length;

    /// <summary>How many partial messages are being reassembled now.</summary>
    public int MessagesInFlight => _inFlight;

    /// <summary>Whole messages handed out so far.</summary>
    public long MessagesRead => _messagesRead;

    /// <summary>Partial messages discarded so far (dead writer, superseded, cancelled, out of sequence, too long, or unfinished at the end of the stream).</summary>
    public long AbandonedMessages => _abandonedMessages;

    /// <summary>Message bytes that had arrived for the messages counted in <see cref="AbandonedMessages"/> (and for fragments dropped after them).</summary>
    public long AbandonedBytes => _abandonedBytes;

    /// <summary>True once the stream was completed (messages written before may still be waiting to be read).</summary>
    public bool IsWriterCompleted => _inner.IsWriterCompleted;

    /// <summary>Reads the next whole message into <paramref name="destination"/> if one can be completed from what is in the ring now; never blocks.</summary>
    /// <returns>True if a message was read; false if none is complete yet (fragments read meanwhile are kept).</returns>
    /// <exception cref="ArgumentException">The destination is smaller than the next message; the message is kept for the next read.</exception>
    /// <exception cref="RingCorruptedException">A fragment header breaks the rules of <see cref="FragmentDescriptor"/>.</exception>
    public bool TryRead(Span<byte> destination, out RingMessage message)
    {
        var sink = new SpanSink(destination);
        try
        {
            bool read = TryReadCore(ref sink);
            message = sink.Message;
            return read;
        }
        finally
        {
            ReturnDirectTarget(destination);
        }
    }

    /// <summary>Appends the next whole message to <paramref name="destination"/> if one can be completed now; never blocks.</summary>
    /// <returns>True if a message was read (its length and type in <paramref name="message"/>).</returns>
    public bool TryRead(IBufferWriter<byte> destination, out RingMessage message)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var sink = new BufferWriterSink(destination);
        bool read = TryReadCore(ref sink);
        message = sink.Message;
        return read;
    }

    /// <summary>
    /// Reads up to <paramref name="limit"/> whole messages without blocking, handing each to <paramref name="handler"/>:
    /// a single-frame message as a span into the ring, a reassembled one as a span into the reassembly buffer (no
    /// copy; valid only during the call).
    /// </summary>
    /// <returns>How many messages were handled.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    public int Read<THandler>(ref THandler handler, int limit = int.MaxValue)
        where THandler : IFrameHandler
    {
        if (limit <= 0)
        {
            ThrowHelper.ThrowLimitOutOfRange(limit);
        }

        var sink = new HandlerSink<THandler>(ref handler);
        int count = 0;
        while (count < limit && TryReadCore(ref sink))
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the next whole message and hands it to <paramref name="handler"/> in
    /// place, as <see cref="Read{THandler}(ref THandler, int)"/> does (the frame that ends a wait is copied once, into a
    /// buffer of one frame).
    /// </summary>
    /// <returns>As <see cref="Read(Span{byte}, out RingMessage, TimeSpan, CancellationToken)"/>.</returns>
    public ReadStatus Read<THandler>(ref THandler handler, TimeSpan timeout, CancellationToken cancellationToken = default)
        where THandler : IFrameHandler
    {
        var sink = new HandlerSink<THandler>(ref handler);
        return ReadCore(ref sink, timeout, cancellationToken);
    }

    /// <summary>Reads the next whole message, waiting up to <paramref name="timeout"/>.</summary>
    /// <returns>
    /// Message; TimedOut; Completed (drained and completed) or WriterDied (drained and every writer dead) — at the end
    /// of the stream the unfinished partials are discarded and counted.
    /// </returns>
    /// <exception cref="ArgumentException">The destination is smaller than the next message; the message is kept for the next read.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is negative (other than infinite).</exception>
    public ReadStatus Read(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var sink = new SpanSink(destination);
        ReadStatus status = ReadCore(ref sink, timeout, cancellationToken);
        message = sink.Message;
        return status;
    }

    /// <summary>Appends the next whole message to <paramref name="destination"/>, waiting up to <paramref name="timeout"/>.</summary>
    /// <returns>As <see cref="Read(Span{byte}, out RingMessage, TimeSpan, CancellationToken)"/>.</returns>
    public ReadStatus Read(IBufferWriter<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var sink = new BufferWriterSink(destination);
        ReadStatus status = ReadCore(ref sink, timeout, cancellationToken);
        message = sink.Message;
        return status;
    }

    /// <summary>Reads the next whole message, waiting asynchronously.</summary>
    /// <exception cref="RingCompletedException">The stream ended (completed and drained).</exception>
    /// <exception cref="RingPeerDeadException">Every writer died and every message they committed has been read.</exception>
    public ValueTask<RingMessage> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        // The destination is lent until the returned task completes: a message may be reassembled in it across waits.
        bool read;
        RingMessage message;
        try
        {
            read = TryReadInPlace(destination.Span, out message);
        }
        catch
        {
            ReturnDirectTarget(destination.Span);
            throw;
        }

        return read ? new ValueTask<RingMessage>(message) : ReadSlowAsync(destination, null, cancellationToken);
    }

    /// <summary>Appends the next whole message to <paramref name="destination"/>, waiting asynchronously.</summary>
    /// <exception cref="RingCompletedException">The stream ended (completed and drained).</exception>
    /// <exception cref="RingPeerDeadException">Every writer died and every message they committed has been read.</exception>
    public ValueTask<RingMessage> ReadAsync(IBufferWriter<byte> destination, CancellationToken cancellationToken = default) =>
        TryRead(destination, out RingMessage message) ? new ValueTask<RingMessage>(message) : ReadSlowAsync(default, destination, cancellationToken);

    /// <summary>
    /// Discards (and counts) the partial messages of writers whose process is dead. Blocking and asynchronous reads do
    /// this themselves before they wait; a reader that only polls with TryRead may call it now and then.
    /// </summary>
    /// <returns>How many partial messages were discarded.</returns>
    public int DiscardDeadWriters()
    {
        ThrowIfDisposed();
        int discarded = 0;
        foreach (Slot slot in _slots)
        {
            if (slot.State != SlotState.Free && !ProcessLiveness.IsAlive(slot.Identity))
            {
                if (slot.State == SlotState.Assembling)
                {
                    discarded++;
                    Abandon(slot);
                }
                else
                {
                    Release(slot);
                }
            }
        }

        _nextLivenessCheck = Stopwatch.GetTimestamp() + s_livenessCheckTicks;
        return discarded;
    }

    /// <summary>Returns the reassembly buffers to the pool and disposes the ring unless the reader was created with leaveOpen.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (Slot slot in _slots)
        {
            if (slot.Buffer is { } buffer)
            {
                slot.Buffer = null;
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        ReleasePending();
        if (!_leaveOpen)
        {
            _inner.Dispose();
        }
    }

    private async ValueTask<RingMessage> ReadSlowAsync(Memory<byte> destination, IBufferWriter<byte>? writer, CancellationToken cancellationToken)
    {
        try
        {
            return await WaitAndReadAsync(destination, writer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReturnDirectTarget(destination.Span);
        }
    }

    private async ValueTask<RingMessage> WaitAndReadAsync(Memory<byte> destination, IBufferWriter<byte>? writer, CancellationToken cancellationToken)
    {
        while (true)
        {
            CheckLivenessBeforeWait();
            bool more;
            try
            {
                more = await _inner.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RingPeerDeadException)
            {
                DiscardAll();
                throw;
            }

            if (!more)
            {
                DiscardAll();
                throw new RingCompletedException($"Ring '{Name}' was completed and every message has been read.");
            }

            RingMessage message;
            if (writer is null ? TryReadInPlace(destination.Span, out message) : TryRead(writer, out message))
            {
                return message;
            }
        }
    }

    /// <summary>TryRead into a span that stays lent after the call (the caller returns it with <see cref="ReturnDirectTarget"/>).</summary>
    private bool TryReadInPlace(Span<byte> destination, out RingMessage message)
    {
        var sink = new SpanSink(destination);
        bool read = TryReadCore(ref sink);
        message = sink.Message;
        return read;
    }

    private ReadStatus ReadCore<TSink>(ref TSink sink, TimeSpan timeout, CancellationToken cancellationToken)
        where TSink : IMessageSink, allows ref struct
    {
        long deadline = Deadline(timeout);
        try
        {
            return WaitAndReadCore(ref sink, deadline, cancellationToken);
        }
        finally
        {
            ReturnDirectTarget(sink.DirectTarget);
        }
    }

    private ReadStatus WaitAndReadCore<TSink>(ref TSink sink, long deadline, CancellationToken cancellationToken)
        where TSink : IMessageSink, allows ref struct
    {
        while (true)
        {
            if (TryReadCore(ref sink))
            {
                return ReadStatus.Message;
            }

            long now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                return ReadStatus.TimedOut;
            }

            cancellationToken.ThrowIfCancellationRequested();
            CheckLivenessBeforeWait();

            // With partials in flight, wait in slices so that a writer dying meanwhile is noticed.
            long wait = deadline == long.MaxValue ? long.MaxValue : deadline - now;
            if (_inFlight > 0 && wait > s_livenessCheckTicks)
            {
                wait = s_livenessCheckTicks;
            }

            // The ring's blocking read consumes one frame: into a scratch buffer of one frame, allocated once.
            byte[] scratch = _scratch ??= new byte[_inner.MaxMessageLength];
            ReadStatus status = _inner.Read(scratch, out RingMessage frame, wait == long.MaxValue ? Timeout.InfiniteTimeSpan : Stopwatch.GetElapsedTime(0, wait), cancellationToken);
            switch (status)
            {
                case ReadStatus.Message:
                    if (OnFrame(ref sink, frame.Type, scratch.AsSpan(0, frame.Length)))
                    {
                        return ReadStatus.Message;
                    }

                    if (_pending is not null)
                    {
                        ThrowDestinationTooSmall(sink.DestinationLength);
                    }

                    break;
                case ReadStatus.TimedOut:
                    break;
                default:
                    DiscardAll();
                    return status;
            }
        }
    }

    private void CheckLivenessBeforeWait()
    {
        if (_inFlight > 0 && Stopwatch.GetTimestamp() >= _nextLivenessCheck)
        {
            DiscardDeadWriters();
        }
    }

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

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(nameof(ReassemblingReader), $"The reassembling reader on ring '{Name}' was disposed.");
        }
    }
}
