using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class OneToOneRing
{
    /// <summary>
    /// Writes one message if there is room, without blocking. Returns false if the ring is full (nothing written).
    /// </summary>
    /// <param name="message">The payload: at most <see cref="MaxMessageLength"/> bytes, else <see cref="ArgumentOutOfRangeException"/>.</param>
    /// <param name="type">The message type, 0 or more.</param>
    /// <exception cref="InvalidOperationException">The ring was completed, a claim is pending, or another live process is the writer.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(ReadOnlySpan<byte> message, int type = 0)
    {
        if (!TryClaim(message.Length, type, out Span<byte> payload))
        {
            return false;
        }

        message.CopyTo(payload);
        if (_frameChecksums)
        {
            // From the caller's bytes, not the shared copy: a peer that changes the copy before the commit is detected.
            StoreChecksum(FrameChecksum.Compute(_claimFrameLength, type, message));
            Publish(_claimFrameLength);
            return true;
        }

        Commit();
        return true;
    }

    /// <summary>
    /// Claims room for a message of <paramref name="length"/> bytes and hands out the payload span to fill in place
    /// (zero copy). Follow with <see cref="Commit"/> or <see cref="Abort"/> before the next write; until then the reader
    /// sees the frame as in progress. Returns false if the ring is full.
    /// </summary>
    public bool TryClaim(int length, int type, out Span<byte> payload)
    {
        if (!_isWriter)
        {
            AttachWriter();
        }

        if ((uint)length > (uint)_maxMessageLength)
        {
            ThrowHelper.ThrowMessageTooLong(length, _maxMessageLength, Name);
        }

        if (type < 0)
        {
            FrameDescriptor.CheckType(type);
        }

        if (_claimFrameLength != 0)
        {
            ThrowHelper.ThrowClaimPending(Name);
        }

        if (_writerCompleted)
        {
            ThrowHelper.ThrowCompleted(Name);
        }

        int frameLength = length + _frameHeaderLength;
        int aligned = FrameDescriptor.Align(frameLength);
        long tail = _tail;
        long index = tail & _mask;
        long toEnd = _capacity - index;

        // Room for the frame (after padding to the end if it does not fit there) and for the zero word after it.
        long required = (aligned <= toEnd ? aligned : toEnd + aligned) + FrameDescriptor.Alignment;
        if (tail + required - _cachedHead > _capacity && !RefreshHead(tail + required))
        {
            _memory.IncrementOwnedInt64(OneToOneRingDescriptor.FullStallsOffset);
            payload = default;
            return false;
        }

        // The reader stops at the first length word that is not positive, so the word after the new frame is
        // zeroed before the frame can be committed: the reader never walks into bytes of an earlier lap. (Its slot
        // was read long ago: the space check above keeps 8 bytes between the tail and the oldest unread byte.)
        int* header;
        if (aligned <= toEnd)
        {
            header = (int*)(_data + index);
            *(int*)(_data + ((index + aligned) & _mask)) = 0;
            header[1] = type;
            header[0] = -frameLength;
            _tail = tail + aligned;

            // Release: observers (statistics, a writer taking over) see the claim's header before the tail covering it.
            _memory.WriteInt64Release(OneToOneRingDescriptor.TailOffset, _tail);
        }
        else
        {
            // The frame starts at 0 and padding fills [index, end). The frame's header (in progress) and its zero
            // word go first, then the padding is published with release, so a reader that passes the padding finds
            // the claim, not stale bytes. The tail is stored before the padding's length: a reader can pass the
            // padding only once the tail covers it, so a writer that dies in between never leaves the reader ahead of
            // the tail its successor starts from (a zero length under the tail is repaired as padding instead).
            header = (int*)_data;
            *(int*)(_data + aligned) = 0;
            header[1] = type;
            header[0] = -frameLength;
            int* padding = (int*)(_data + index);
            padding[1] = FrameDescriptor.PaddingType;
            _tail = tail + toEnd + aligned;
            _memory.WriteInt64Release(OneToOneRingDescriptor.TailOffset, _tail);
            Volatile.Write(ref padding[0], (int)toEnd);
            index = 0;
        }

        _claimIndex = index;
        _claimFrameLength = frameLength;
        _claimType = type;
        payload = new Span<byte>(_data + index + _frameHeaderLength, length);
        return true;
    }

    /// <summary>Publishes the claimed message to the reader.</summary>
    /// <exception cref="InvalidOperationException">No claim is pending.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Commit()
    {
        int frameLength = _claimFrameLength;
        if (frameLength == 0)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        if (_frameChecksums)
        {
            StoreChecksum(FrameChecksum.Compute(frameLength, _claimType, new ReadOnlySpan<byte>(
                _data + _claimIndex + FrameDescriptor.ChecksummedHeaderLength, frameLength - FrameDescriptor.ChecksummedHeaderLength)));
        }

        Publish(frameLength);
    }

    /// <summary>The commit: the release store of the positive length, then the reader's wake-up if it sleeps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Publish(int frameLength)
    {
        // Release: the payload (and checksum) stores happen before the reader can see a positive length.
        _memory.WriteInt32Release(OneToOneRingDescriptor.DataOffset + _claimIndex, frameLength);
        _claimFrameLength = 0;
        _memory.WriteInt64Plain(OneToOneRingDescriptor.MessagesWrittenOffset, ++_messagesWritten);
        WakeReaderIfSleeping();
    }

    /// <summary>Writes the frame's checksum and zeroes the reserved word; both are published by the commit's release store.</summary>
    private void StoreChecksum(uint checksum)
    {
        byte* frame = _data + _claimIndex;
        *(uint*)(frame + FrameDescriptor.ChecksumOffset) = checksum;
        *(uint*)(frame + FrameDescriptor.ChecksumOffset + 4) = 0;
    }

    /// <summary>Withdraws the pending claim: the frame becomes padding that the reader skips.</summary>
    /// <exception cref="InvalidOperationException">No claim is pending.</exception>
    public void Abort()
    {
        int frameLength = _claimFrameLength;
        if (frameLength == 0)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        int* header = (int*)(_data + _claimIndex);
        header[1] = FrameDescriptor.PaddingType;
        Volatile.Write(ref header[0], FrameDescriptor.Align(frameLength));
        _claimFrameLength = 0;
        WakeReaderIfSleeping();
    }

    /// <summary>
    /// Marks the end of the stream: the reader reads what is left, then sees <see cref="ReadStatus.Completed"/>, and a
    /// reader blocked in a read returns. Idempotent; writing afterwards throws.
    /// </summary>
    public void Complete()
    {
        if (!_isWriter)
        {
            AttachWriter();
        }

        if (_claimFrameLength != 0)
        {
            ThrowHelper.ThrowClaimPending(Name);
        }

        _writerCompleted = true;
        _memory.WriteInt32Release(OneToOneRingDescriptor.CompletedOffset, 1);

        // Rare: wake unconditionally rather than reason about sleepers.
        _dataSite.Wake();
    }

    /// <summary>
    /// The waking half of the protocol proven at <see cref="WaitLoop"/>: after the release store that published a frame
    /// (W1), a fence (W2, asymmetric) and a load of the sleeper count (W3). No system call unless a reader sleeps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WakeReaderIfSleeping()
    {
        AsymmetricFence.Light();
        if (_dataSite.HasSleepers)
        {
            _dataSite.Wake();
        }
    }

    private bool RefreshHead(long neededTail)
    {
        long head = _memory.ReadInt64Acquire(OneToOneRingDescriptor.HeadOffset);
        CheckPositions(head, _tail, "the writer's load of head");
        _cachedHead = head;
        return neededTail - head <= _capacity;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachWriter()
    {
        bool tookOver = Attach(OneToOneRingDescriptor.WriterPidOffset, OneToOneRingDescriptor.WriterStartTimeOffset, "writer");
        _tail = _memory.ReadInt64Acquire(OneToOneRingDescriptor.TailOffset);
        _cachedHead = _memory.ReadInt64Acquire(OneToOneRingDescriptor.HeadOffset);
        CheckPositions(_cachedHead, _tail, "attaching the writer");
        _messagesWritten = _memory.ReadInt64Acquire(OneToOneRingDescriptor.MessagesWrittenOffset);
        _writerCompleted = _memory.ReadInt32Acquire(OneToOneRingDescriptor.CompletedOffset) != 0;
        if (tookOver)
        {
            RepairTornClaims();
        }

        _isWriter = true;
    }

    /// <summary>
    /// After taking over from a dead writer: every frame in [head, tail) still negative is a claim it never committed.
    /// Turn each into padding (counted) so the reader can pass it. Frames there are written only by writers, and the
    /// dead one no longer writes, so the walk races with nothing but the reader's reads.
    /// </summary>
    private void RepairTornClaims()
    {
        long position = _memory.ReadInt64Acquire(OneToOneRingDescriptor.HeadOffset);
        CheckPositions(position, _tail, "repairing torn claims");
        while (position < _tail)
        {
            long index = position & _mask;
            long* header = (long*)(_data + index);
            long word = Volatile.Read(ref *header);
            int frameLength = (int)word;
            if (frameLength == 0 && index != 0 && _capacity - index <= _tail - position)
            {
                // The dead writer stored the tail of a wrapping claim but not its padding's length (TryClaim stores
                // them in that order): finish the padding to the end, which its claim at offset 0 follows.
                ((int*)header)[1] = FrameDescriptor.PaddingType;
                Volatile.Write(ref *(int*)header, (int)(_capacity - index));
                position += _capacity - index;
                continue;
            }

            long length = frameLength < 0 ? -(long)frameLength : frameLength;
            if (length < FrameDescriptor.HeaderLength || length > _capacity - index)
            {
                ThrowBadFrame(position, frameLength, (int)(word >> 32));
            }

            int aligned = FrameDescriptor.Align((int)length);
            if (aligned > _capacity - index || aligned > _tail - position)
            {
                ThrowBadFrame(position, frameLength, (int)(word >> 32));
            }

            // The reader may be turning the same claim into padding (it saw the dead writer before this one attached):
            // the compare-and-swap of the whole header decides who repaired it, and only that party counts it.
            if (frameLength < 0 && TryTurnClaimIntoPadding(header, word))
            {
                _memory.IncrementOwnedInt64(OneToOneRingDescriptor.WriterTornClaimsOffset);
            }

            position += aligned;
        }
    }
}
