using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class OneToOneRing
{
    /// <summary>
    /// Reads the next message into <paramref name="destination"/> if one is committed, without blocking. Returns false
    /// if there is none (the ring is empty, or the next frame is still being written).
    /// </summary>
    /// <exception cref="ArgumentException">The destination is smaller than the next message; nothing is consumed.</exception>
    /// <exception cref="RingCorruptedException">Shared memory holds a position or frame no correct writer produces.</exception>
    public bool TryRead(Span<byte> destination, out RingMessage message)
    {
        if (!_isReader)
        {
            AttachReader();
        }

        long head = _head;
        long start = head;
        while (true)
        {
            long index = head & _mask;
            int* header = (int*)(_data + index);

            // Acquire: a positive length means the payload written before the commit is visible.
            int frameLength = Volatile.Read(ref header[0]);
            if (frameLength <= 0)
            {
                CheckClaimInProgress(head, frameLength);
                if (head != start)
                {
                    PublishHead(head, 0);
                }

                message = default;
                return false;
            }

            int type = header[1];
            int aligned = CheckFrame(head, index, frameLength, type);
            if (type == FrameDescriptor.PaddingType)
            {
                // Passed padding is published with what follows it, once: until then the writer cannot reuse it, so
                // no correct ring makes this walk longer than a lap.
                head += aligned;
                if (head - start > _capacity)
                {
                    ThrowPastTail(start, head);
                }

                continue;
            }

            int length = frameLength - _frameHeaderLength;
            if (length > destination.Length)
            {
                ThrowHelper.ThrowDestinationTooSmall(length, destination.Length, Name);
            }

            new ReadOnlySpan<byte>((byte*)header + _frameHeaderLength, length).CopyTo(destination);
            if (_frameChecksums)
            {
                // Checked on the copy, so that what is handed out is what was checked, whatever the segment holds now.
                FrameChecksum.Verify(Name, head, frameLength, type, ((uint*)header)[2], destination[..length]);
            }

            PublishHead(head + aligned, 1);
            message = new RingMessage(length, type);
            return true;
        }
    }

    /// <summary>
    /// Reads up to <paramref name="limit"/> committed messages without blocking, handing each to
    /// <paramref name="handler"/> as a span into the ring (zero copy), and returns how many it handled. The reader's
    /// position is published once, at the end, in a finally block: if the handler throws, the messages before it and
    /// the one it threw on count as consumed, and the exception propagates.
    /// </summary>
    public int Read<THandler>(ref THandler handler, int limit = int.MaxValue)
        where THandler : IFrameHandler, allows ref struct
    {
        if (!_isReader)
        {
            AttachReader();
        }

        if (limit <= 0)
        {
            ThrowHelper.ThrowLimitOutOfRange(limit);
        }

        long head = _head;
        long start = head;
        int count = 0;
        try
        {
            while (count < limit)
            {
                long index = head & _mask;
                int* header = (int*)(_data + index);
                int frameLength = Volatile.Read(ref header[0]);
                if (frameLength <= 0)
                {
                    CheckClaimInProgress(head, frameLength);
                    break;
                }

                int type = header[1];
                int aligned = CheckFrame(head, index, frameLength, type);
                if (type == FrameDescriptor.PaddingType)
                {
                    head += aligned;
                    if (head - start > _capacity)
                    {
                        ThrowPastTail(start, head);
                    }

                    continue;
                }

                var payload = new ReadOnlySpan<byte>((byte*)header + _frameHeaderLength, frameLength - _frameHeaderLength);
                if (_frameChecksums)
                {
                    // Zero copy: the handler sees shared memory, checked here; a peer that writes it later is not detected.
                    FrameChecksum.Verify(Name, head, frameLength, type, ((uint*)header)[2], payload);
                }

                // Consumed before the handler runs, so a handler that throws does not see the frame again.
                head += aligned;
                if (head - start > _capacity)
                {
                    ThrowPastTail(start, head);
                }

                count++;
                handler.OnFrame(type, payload);
            }
        }
        finally
        {
            if (head != _head)
            {
                PublishHead(head, count);
            }
        }

        return count;
    }

    /// <summary>Delegate form of <see cref="Read{THandler}(ref THandler, int)"/>.</summary>
    public int Read(FrameHandler handler, int limit = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var adapter = new DelegateFrameHandler(handler);
        return Read(ref adapter, limit);
    }

    /// <summary>
    /// Checks a committed frame (positive length) before anything in it is used, and returns its aligned length: at
    /// least a header, within the data region, a known type, and for a message at most the maximum payload.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int CheckFrame(long position, long index, int frameLength, int type)
    {
        // The length is bounded by the region before it is aligned, so the alignment cannot overflow.
        if (frameLength < FrameDescriptor.HeaderLength || frameLength > _capacity - index ||
            FrameDescriptor.Align(frameLength) > _capacity - index || type < FrameDescriptor.PaddingType ||
            (type != FrameDescriptor.PaddingType && (frameLength < _frameHeaderLength || frameLength - _frameHeaderLength > _maxMessageLength)))
        {
            ThrowBadFrame(position, frameLength, type);
        }

        return FrameDescriptor.Align(frameLength);
    }

    /// <summary>
    /// A correct writer never has more than a lap unread (the reserved zero word stops the reader before its newest frame),
    /// so a reader that walks more than a lap in one call follows forged frames round the ring: stop it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowPastTail(long from, long to) =>
        ThrowHelper.ThrowCorrupted(Name, $"the frames from position {from} run on to position {to}, more than the capacity {_capacity} in one read; no writer leaves more than a lap unread");

    /// <summary>Stores the new head (release: the reads of the freed frames are done) and wakes a sleeping writer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PublishHead(long head, int messages)
    {
        _head = head;
        _memory.WriteInt64Release(OneToOneRingDescriptor.HeadOffset, head);
        if (messages != 0)
        {
            _messagesRead += messages;
            _memory.WriteInt64Plain(OneToOneRingDescriptor.MessagesReadOffset, _messagesRead);
        }

        // W2/W3 of the wake-up protocol (see WaitLoop.Sleep), with the writer as the sleeper.
        AsymmetricFence.Light();
        if (_spaceSite.HasSleepers)
        {
            _spaceSite.Wake();
        }
    }

    /// <summary>0 is the end of the written frames; a negative length is a claim in progress and must still be a sane frame.</summary>
    private void CheckClaimInProgress(long head, int frameLength)
    {
        long index = head & _mask;
        if (frameLength < 0 &&
            (frameLength == int.MinValue || -frameLength < FrameDescriptor.HeaderLength ||
             -frameLength > _maxMessageLength + _frameHeaderLength || FrameDescriptor.Align(-frameLength) > _capacity - index))
        {
            ThrowBadFrame(head, frameLength, ((int*)(_data + index))[1]);
        }
    }

    /// <summary>
    /// The writer is dead and the frame at head is its claim in progress: it will never be committed. Turn it into
    /// padding (counted as a torn claim) so that the reader can pass it. Returns true if it repaired one.
    /// </summary>
    private bool SkipTornClaimAtHead()
    {
        long head = _head;
        long index = head & _mask;
        long* header = (long*)(_data + index);
        long word = Volatile.Read(ref *header);
        int frameLength = (int)word;
        if (frameLength >= 0)
        {
            return false;
        }

        CheckClaimInProgress(head, frameLength);

        // Only a dead writer's claim is skipped, and the caller's verdict may be stale: a new writer may have attached
        // since and claimed the frame at the head itself. So: the writer named now must be dead; the tail is read;
        // the same writer must still be named after it. A new writer stores its start time and swaps in its pid before
        // it claims anything, so then the tail holds only the dead writer's claims (a new writer's start at or after
        // it, and it repairs the dead writer's claims itself, racing this on the compare-and-swap below).
        int pid = _memory.ReadInt32Acquire(OneToOneRingDescriptor.WriterPidOffset);
        long startTime = _memory.ReadInt64Acquire(OneToOneRingDescriptor.WriterStartTimeOffset);
        if (pid != 0 && ProcessLiveness.IsAlive(pid, startTime))
        {
            return false;
        }

        long tail = _memory.ReadInt64Acquire(OneToOneRingDescriptor.TailOffset);
        if (_memory.ReadInt32Acquire(OneToOneRingDescriptor.WriterPidOffset) != pid ||
            _memory.ReadInt64Acquire(OneToOneRingDescriptor.WriterStartTimeOffset) != startTime)
        {
            return false;
        }

        // A claim the dead writer never published (it died between the header and the store of the tail that covers
        // it) is not a frame yet: the next writer starts at the published tail and writes over it.
        if (head >= tail)
        {
            return false;
        }

        // A new writer attaching now repairs the same claim (RepairTornClaims): the compare-and-swap of the whole header
        // decides which of the two turned it into padding, and only that one counts it.
        if (TryTurnClaimIntoPadding(header, word))
        {
            _memory.IncrementOwnedInt64(OneToOneRingDescriptor.ReaderTornClaimsOffset);
        }

        return true;
    }

    /// <summary>The length word of the frame at head: positive committed (or padding), negative in progress, 0 nothing yet.</summary>
    private int LengthAtHead() => Volatile.Read(ref *(int*)(_data + (_head & _mask)));

    /// <summary>True if the frame at head is committed (or padding).</summary>
    private bool HasReadableFrame() => LengthAtHead() > 0;

    /// <summary>
    /// True if the writer completed the ring and no frame is left. The flag is read first (acquire): every frame the
    /// writer committed before completing is then visible, so a zero length at head means there is nothing more.
    /// </summary>
    private bool IsCompletedAndDrained() =>
        _memory.ReadInt32Acquire(OneToOneRingDescriptor.CompletedOffset) != 0 && LengthAtHead() == 0;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachReader()
    {
        Attach(OneToOneRingDescriptor.ReaderPidOffset, OneToOneRingDescriptor.ReaderStartTimeOffset, "reader");
        _head = _memory.ReadInt64Acquire(OneToOneRingDescriptor.HeadOffset);
        CheckPositions(_head, _memory.ReadInt64Acquire(OneToOneRingDescriptor.TailOffset), "attaching the reader");
        _messagesRead = _memory.ReadInt64Acquire(OneToOneRingDescriptor.MessagesReadOffset);
        _isReader = true;
    }

    private readonly struct DelegateFrameHandler(FrameHandler handler) : IFrameHandler
    {
        public void OnFrame(int type, ReadOnlySpan<byte> payload) => handler(type, payload);
    }
}
