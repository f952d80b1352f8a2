using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class BroadcastReader
{
    /// <summary>
    /// Reads the next message into <paramref name="destination"/> if one is committed, without blocking. Returns false
    /// if there is none (this reader has read everything, or the next frame is still being written). In a lossy ring a
    /// lapped reader first resumes at the oldest intact message (<see cref="MessagesLost"/> grows by what it missed).
    /// </summary>
    /// <exception cref="ArgumentException">The destination is smaller than the next message; nothing is consumed.</exception>
    /// <exception cref="RingCorruptedException">Shared memory holds a frame no correct writer produces.</exception>
    public bool TryRead(Span<byte> destination, out RingMessage message)
    {
        ThrowIfNotAttached();
        if (_lossy)
        {
            if (NextLossy(destination, out message))
            {
                PublishPosition(_position, 1);
                return true;
            }

            return false;
        }

        long position = _position;
        while (true)
        {
            long index = position & _mask;
            byte* header = _data + index;

            // Acquire: a positive length means the header and payload written before the commit are visible.
            int frameLength = Volatile.Read(ref *(int*)header);
            if (frameLength <= 0)
            {
                _core.CheckClaimInProgress(position, frameLength);
                message = default;
                return false;
            }

            int type = ((int*)header)[1];
            long sequence = *(long*)(header + BroadcastFrameDescriptor.SequenceOffset);
            if (!_core.IsSaneFrame(index, frameLength, type))
            {
                _core.ThrowBadFrame(position, frameLength, type);
            }

            if (sequence != _sequence)
            {
                ThrowBadSequence(position, sequence);
            }

            int aligned = BroadcastFrameDescriptor.Align(frameLength);
            if (type == BroadcastFrameDescriptor.PaddingType)
            {
                position += aligned;
                PublishPosition(position, 0);
                continue;
            }

            int length = frameLength - Header;
            if (length > destination.Length)
            {
                ThrowHelper.ThrowDestinationTooSmall(length, destination.Length, Name);
            }

            new ReadOnlySpan<byte>(header + Header, length).CopyTo(destination);
            LastSequence = sequence;
            _sequence = sequence + 1;
            PublishPosition(position + aligned, 1);
            message = new RingMessage(length, type);
            return true;
        }
    }

    /// <summary>
    /// Reads up to <paramref name="limit"/> committed messages without blocking, handing each to
    /// <paramref name="handler"/>, and returns how many it handled. Gated ring: the payload span points into the ring
    /// (zero copy). Lossy ring: the span points into a buffer of this reader's, filled and validated before the call, so
    /// that the handler never sees a payload the writer was overwriting. The position is published once, at the end, in a
    /// finally block: if the handler throws, the messages before it and the one it threw on count as consumed, and the
    /// exception propagates.
    /// </summary>
    public int Read<THandler>(ref THandler handler, int limit = int.MaxValue)
        where THandler : IFrameHandler, allows ref struct
    {
        ThrowIfNotAttached();
        if (limit <= 0)
        {
            ThrowHelper.ThrowLimitOutOfRange(limit);
        }

        return _lossy ? ReadLossy(ref handler, limit) : ReadGated(ref handler, limit);
    }

    /// <summary>Delegate form of <see cref="Read{THandler}(ref THandler, int)"/>.</summary>
    public int Read(FrameHandler handler, int limit = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var adapter = new DelegateFrameHandler(handler);
        return Read(ref adapter, limit);
    }

    private int ReadGated<THandler>(ref THandler handler, int limit)
        where THandler : IFrameHandler, allows ref struct
    {
        long position = _position;
        int count = 0;
        try
        {
            while (count < limit)
            {
                long index = position & _mask;
                byte* header = _data + index;
                int frameLength = Volatile.Read(ref *(int*)header);
                if (frameLength <= 0)
                {
                    _core.CheckClaimInProgress(position, frameLength);
                    break;
                }

                int type = ((int*)header)[1];
                long sequence = *(long*)(header + BroadcastFrameDescriptor.SequenceOffset);
                if (!_core.IsSaneFrame(index, frameLength, type))
                {
                    _core.ThrowBadFrame(position, frameLength, type);
                }

                if (sequence != _sequence)
                {
                    ThrowBadSequence(position, sequence);
                }

                // Consumed before the handler runs, so a handler that throws does not see the frame again.
                position += BroadcastFrameDescriptor.Align(frameLength);
                if (type == BroadcastFrameDescriptor.PaddingType)
                {
                    continue;
                }

                LastSequence = sequence;
                _sequence = sequence + 1;
                count++;
                handler.OnFrame(type, new ReadOnlySpan<byte>(header + Header, frameLength - Header));
            }
        }
        finally
        {
            if (position != _position)
            {
                PublishPosition(position, count);
            }
        }

        return count;
    }

    private int ReadLossy<THandler>(ref THandler handler, int limit)
        where THandler : IFrameHandler, allows ref struct
    {
        // One buffer per reader, allocated at the first batch read: never per message.
        byte[] scratch = _scratch ??= new byte[_maxMessageLength];
        long start = _position;
        int count = 0;
        try
        {
            while (count < limit && NextLossy(scratch, out RingMessage message))
            {
                count++;
                handler.OnFrame(message.Type, new ReadOnlySpan<byte>(scratch, 0, message.Length));
            }
        }
        finally
        {
            if (count != 0 || _position != start)
            {
                PublishPosition(_position, count);
            }
        }

        return count;
    }

    /// <summary>
    /// Lossy: copies the next message into <paramref name="destination"/> and validates it, resuming at the oldest intact
    /// frame if this reader was lapped. On true, the private position and sequence are past the message (the caller
    /// publishes them); on false, nothing is there yet.
    /// <para>
    /// Validation: the writer stores <c>oldest</c> past a frame (release, then a store barrier) before it overwrites a byte
    /// of it. A read barrier after the copy orders the copy's loads before the load of <c>oldest</c>: if any byte copied
    /// came from the newer lap, that load sees <c>oldest</c> past the frame, and the copy is discarded. An empty or
    /// negative length is checked the same way (acquire orders the later load), since it may belong to a newer lap.
    /// </para>
    /// </summary>
    private bool NextLossy(Span<byte> destination, out RingMessage message)
    {
        long position = _position;
        while (true)
        {
            long index = position & _mask;
            byte* header = _data + index;
            int frameLength = Volatile.Read(ref *(int*)header);
            if (frameLength <= 0)
            {
                if (IsLapped(position))
                {
                    position = Resync();
                    continue;
                }

                _core.CheckClaimInProgress(position, frameLength);
                if (position != _position)
                {
                    _position = position;
                    PublishPosition(position, 0);
                }

                message = default;
                return false;
            }

            int type = ((int*)header)[1];
            long sequence = *(long*)(header + BroadcastFrameDescriptor.SequenceOffset);
            if (!_core.IsSaneFrame(index, frameLength, type))
            {
                Volatile.ReadBarrier();
                if (IsLapped(position))
                {
                    position = Resync();
                    continue;
                }

                _core.ThrowBadFrame(position, frameLength, type);
            }

            int aligned = BroadcastFrameDescriptor.Align(frameLength);
            int length = frameLength - Header;
            bool padding = type == BroadcastFrameDescriptor.PaddingType;
            if (!padding)
            {
                if (length > destination.Length)
                {
                    Volatile.ReadBarrier();
                    if (IsLapped(position))
                    {
                        position = Resync();
                        continue;
                    }

                    _position = position;
                    ThrowHelper.ThrowDestinationTooSmall(length, destination.Length, Name);
                }

                new ReadOnlySpan<byte>(header + Header, length).CopyTo(destination);
            }

            Volatile.ReadBarrier();
            if (IsLapped(position))
            {
                position = Resync();
                continue;
            }

            // Intact. The sequence says how many messages went by unseen (0 unless this reader just resumed).
            if (sequence != _sequence)
            {
                if (sequence < _sequence)
                {
                    ThrowBadSequence(position, sequence);
                }

                _messagesLost += sequence - _sequence;
                _memory.WriteInt64Plain(_slotOffset + BroadcastRingDescriptor.ReaderMessagesLostOffset, _messagesLost);
                _sequence = sequence;
            }

            position += aligned;
            if (padding)
            {
                continue;
            }

            _position = position;
            LastSequence = sequence;
            _sequence = sequence + 1;
            message = new RingMessage(length, type);
            return true;
        }
    }

    /// <summary>True if the writer has released <paramref name="position"/>: its frame may be overwritten (lossy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsLapped(long position) => _memory.ReadInt64Acquire(BroadcastRingDescriptor.OldestOffset) > position;

    /// <summary>Lapped: resume at the oldest frame the writer keeps. The messages skipped are counted when the next frame names its sequence.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long Resync()
    {
        long oldest = _memory.ReadInt64Acquire(BroadcastRingDescriptor.OldestOffset);
        _core.CheckPosition(oldest, _position, long.MaxValue, "the oldest kept position");
        _laps++;
        _memory.WriteInt64Plain(_slotOffset + BroadcastRingDescriptor.ReaderLapsOffset, _laps);
        _position = oldest;
        return oldest;
    }

    /// <summary>
    /// Stores the new position (release: the reads of the frames before it are done) and the counters; in gated mode,
    /// wakes the writer if it sleeps (W2/W3 of the wake-up protocol at <see cref="WaitLoop"/>, the writer as sleeper).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PublishPosition(long position, int messages)
    {
        _position = position;
        long slot = _slotOffset;
        _memory.WriteInt64Plain(slot + BroadcastRingDescriptor.ReaderSequenceOffset, _sequence);
        if (messages != 0)
        {
            _messagesRead += messages;
            _memory.WriteInt64Plain(slot + BroadcastRingDescriptor.ReaderMessagesReadOffset, _messagesRead);
        }

        _memory.WriteInt64Release(slot + BroadcastRingDescriptor.ReaderPositionOffset, position);
        if (!_lossy)
        {
            AsymmetricFence.Light();
            if (_spaceSite.HasSleepers)
            {
                _spaceSite.Wake();
            }
        }
    }

    /// <summary>The length word at this reader's position: positive committed (or padding), negative in progress, 0 nothing yet.</summary>
    private int LengthAtPosition() => Volatile.Read(ref *(int*)(_data + (_position & _mask)));

    private readonly struct DelegateFrameHandler(FrameHandler handler) : IFrameHandler
    {
        public void OnFrame(int type, ReadOnlySpan<byte> payload) => handler(type, payload);
    }
}
