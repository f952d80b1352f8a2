using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class ManyToOneRing
{
    // TryRead looks at the clock (for recovery) once per this many polls that found nothing.
    private const int EmptyPollsPerClockRead = 255;

    /// <summary>
    /// Reads the next message into <paramref name="destination"/> if one is committed, without blocking. Returns false
    /// if there is none (the ring is empty, or the next frame is still being written). Frames are read in the order
    /// their claims were made.
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
        while (true)
        {
            long index = head & _mask;

            // Acquire: pairs with the writer's release store (or compare-and-swap) of the header word, so a positive
            // length means the payload written before it is visible.
            long word = Volatile.Read(ref *(long*)(_data + index));
            int frameLength = (int)word;
            int type = (int)(word >> 32);
            if (frameLength <= 0)
            {
                if (frameLength < 0 && type == ManyToOneRingDescriptor.RevokedType)
                {
                    head += SkipRevoked(head, index, frameLength);
                    PublishHead(head, 0);
                    continue;
                }

                NothingAtHead(head, frameLength, type);
                if ((++_emptyPolls & EmptyPollsPerClockRead) == 0 && RecoveryDue() && TryRecoverAtHead())
                {
                    continue;
                }

                message = default;
                return false;
            }

            int aligned = CheckFrame(head, index, frameLength, type);
            if (type == FrameDescriptor.PaddingType)
            {
                head += aligned;
                PublishHead(head, 0);
                continue;
            }

            int length = frameLength - FrameDescriptor.HeaderLength;
            if (length > destination.Length)
            {
                ThrowHelper.ThrowDestinationTooSmall(length, destination.Length, Name);
            }

            new ReadOnlySpan<byte>(_data + index + FrameDescriptor.HeaderLength, length).CopyTo(destination);
            PublishHead(head + aligned, 1);
            message = new RingMessage(length, type);
            return true;
        }
    }

    /// <summary>
    /// Reads up to <paramref name="limit"/> committed messages without blocking, handing each to
    /// <paramref name="handler"/> as a span into the ring (zero copy), and returns how many it handled. The head is
    /// published and the space freed once, at the end, in a finally block: if the handler throws, the messages before
    /// it and the one it threw on count as consumed, and the exception propagates.
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
                // The head is published once, at the end, so writers cannot reuse what this batch passed: no correct
                // ring makes it longer than a lap, and forged frames all round the ring would make it endless (found
                // by the fuzzer). (TryRead frees each padding as it passes it, so it comes round to zeroes instead.)
                if (head - start > _capacity)
                {
                    ThrowPastTail(start, head);
                }

                long index = head & _mask;
                long word = Volatile.Read(ref *(long*)(_data + index));
                int frameLength = (int)word;
                int type = (int)(word >> 32);
                if (frameLength <= 0)
                {
                    if (frameLength < 0 && type == ManyToOneRingDescriptor.RevokedType)
                    {
                        head += SkipRevoked(head, index, frameLength);
                        continue;
                    }

                    NothingAtHead(head, frameLength, type);
                    break;
                }

                int aligned = CheckFrame(head, index, frameLength, type);

                // Consumed before the handler runs, so a handler that throws does not see the frame again.
                head += aligned;
                if (type == FrameDescriptor.PaddingType)
                {
                    continue;
                }

                count++;
                handler.OnFrame(type, new ReadOnlySpan<byte>(_data + index + FrameDescriptor.HeaderLength, frameLength - FrameDescriptor.HeaderLength));
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

    /// <summary>
    /// A correct ring never has more than a lap unread, so a reader that walks more than a lap in one call follows forged
    /// frames (padding or revoked claims all round the ring would keep it walking forever): stop it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowPastTail(long from, long to) =>
        ThrowHelper.ThrowCorrupted(Name, $"the frames from position {from} run on to position {to}, more than the capacity {_capacity} in one read; no writer leaves more than a lap unread");

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
            (type != FrameDescriptor.PaddingType && frameLength - FrameDescriptor.HeaderLength > _maxMessageLength))
        {
            ThrowBadFrame(position, frameLength, type);
        }

        return FrameDescriptor.Align(frameLength);
    }

    /// <summary>A length word that is not positive: 0 (nothing written yet) or a claim in progress, which must still be a sane frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NothingAtHead(long head, int frameLength, int type)
    {
        if (frameLength < 0)
        {
            CheckClaim(head, frameLength, type);
        }
    }

    private void CheckClaim(long position, int frameLength, int type)
    {
        long index = position & _mask;
        if (frameLength == int.MinValue || -frameLength < FrameDescriptor.HeaderLength ||
            -frameLength > _maxMessageLength + FrameDescriptor.HeaderLength || FrameDescriptor.Align(-frameLength) > _capacity - index ||
            type < ManyToOneRingDescriptor.RevokedType)
        {
            ThrowBadFrame(position, frameLength, type);
        }
    }

    /// <summary>Passes a revoked claim: its space is freed later, once its writer has acknowledged or died.</summary>
    private int SkipRevoked(long position, long index, int frameLength)
    {
        CheckClaim(position, frameLength, ManyToOneRingDescriptor.RevokedType);
        _revokedBehindHead = true;
        return FrameDescriptor.Align(-frameLength);
    }

    /// <summary>
    /// Stores the new head (release), then zeroes what was read and moves free over it (release: the zeroes are visible
    /// before any writer can claim the space), and wakes writers that sleep waiting for room.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PublishHead(long head, int messages)
    {
        _head = head;
        _emptyPolls = 0;
        _memory.WriteInt64Release(ManyToOneRingDescriptor.HeadOffset, head);
        if (messages != 0)
        {
            _messagesRead += messages;
            _memory.WriteInt64Plain(ManyToOneRingDescriptor.MessagesReadOffset, _messagesRead);
        }

        ReleaseSpace();
    }

    /// <summary>Zeroes [free, target) and publishes the new free position, target being head unless a revoked claim behind head is still held.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReleaseSpace()
    {
        long target = _revokedBehindHead ? FreeableEnd() : _head;
        if (target == _free)
        {
            return;
        }

        // The target first: a reader that takes over after this one dies zeroes up to it again before trusting free.
        _memory.WriteInt64Plain(ManyToOneRingDescriptor.FreeTargetOffset, target);
        Zero(_free, target);
        _free = target;
        _memory.WriteInt64Release(ManyToOneRingDescriptor.FreeOffset, target);

        // W2/W3 of the wake-up protocol (see WaitLoop.Sleep), with writers as the sleepers.
        AsymmetricFence.Light();
        if (_spaceSite.HasSleepers)
        {
            _spaceSite.Wake();
        }
    }

    /// <summary>Zeroes the data bytes of positions [from, to), which the reader has read (at most one wrap).</summary>
    private void Zero(long from, long to)
    {
        long start = from & _mask;
        long length = to - from;
        long first = Math.Min(length, _capacity - start);
        new Span<byte>(_data + start, (int)first).Clear();
        if (length > first)
        {
            new Span<byte>(_data, (int)(length - first)).Clear();
        }
    }

    /// <summary>
    /// Walks the frames between free and head (all read, headers intact until zeroed) and returns where the space that
    /// can be reused ends: at the first revoked claim whose writer is alive and has not acknowledged it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long FreeableEnd()
    {
        long position = _free;
        while (position < _head)
        {
            long word = Volatile.Read(ref *(long*)(_data + (position & _mask)));
            int frameLength = (int)word;
            int type = (int)(word >> 32);
            if (frameLength < 0 && type == ManyToOneRingDescriptor.RevokedType && ClaimantState(position, out _) == Claimant.Alive)
            {
                return position;
            }

            long length = frameLength < 0 ? -(long)frameLength : frameLength;
            if (length < FrameDescriptor.HeaderLength || length > _capacity - (position & _mask))
            {
                ThrowBadFrame(position, frameLength, type);
            }

            position += FrameDescriptor.Align((int)length);
        }

        _revokedBehindHead = false;
        return _head;
    }

    /// <summary>True if the frame at head is committed, padding, or a revoked claim to skip.</summary>
    private bool HasReadableFrame()
    {
        long word = Volatile.Read(ref *(long*)(_data + (_head & _mask)));
        return (int)word > 0 || ((int)word < 0 && (int)(word >> 32) == ManyToOneRingDescriptor.RevokedType);
    }

    /// <summary>
    /// True if the ring was completed and everything claimed before was read. The tail is read first (acquire): the
    /// completed bit is set on it atomically, so every claim is below it, and head reaching it means nothing is left.
    /// </summary>
    private bool IsCompletedAndDrained()
    {
        long tail = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset);
        return tail < 0 && (tail & ~ManyToOneRingDescriptor.CompletedMark) == _head;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachReader()
    {
        ThrowIfDisposed();
        long me = ProcessLiveness.CurrentIdentity;
        if (_readerTable.TryAttach(me, reclaimDead: true) < 0)
        {
            long holder = _readerTable.IdentityAt(0);
            throw new InvalidOperationException(holder == me
                ? $"Ring '{Name}' already has a reader in this process (pid {ProcessLiveness.CurrentProcessId}): one reader object per ring."
                : $"Ring '{Name}' already has a reader: process {ProcessLiveness.ProcessIdOf(holder)} is alive. A many-to-one ring takes one reader at a time.");
        }

        long free = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.FreeOffset);
        long target = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.FreeTargetOffset);
        long head = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.HeadOffset);
        long tail = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset) & ~ManyToOneRingDescriptor.CompletedMark;
        CheckPositions(free, head, tail, "attaching the reader");
        _head = head;
        _free = free;
        if (target > free && target <= head && (target & (FrameDescriptor.Alignment - 1)) == 0)
        {
            // A previous reader died while zeroing [free, target): everything there was read; finish the job.
            Zero(free, target);
            _free = target;
            _memory.WriteInt64Release(ManyToOneRingDescriptor.FreeOffset, target);
        }

        _messagesRead = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.MessagesReadOffset);

        // Frames between free and head were read by a previous reader; walk them (a revoked claim may be among them).
        _revokedBehindHead = true;
        _isReader = true;
        ReleaseSpace();
    }

    private readonly struct DelegateFrameHandler(FrameHandler handler) : IFrameHandler
    {
        public void OnFrame(int type, ReadOnlySpan<byte> payload) => handler(type, payload);
    }
}
