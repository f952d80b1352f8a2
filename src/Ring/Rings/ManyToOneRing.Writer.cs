using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class ManyToOneRing
{
    /// <summary>
    /// Writes one message if there is room, without blocking. Returns false if the ring is full (nothing written).
    /// </summary>
    /// <param name="message">The payload: at most <see cref="MaxMessageLength"/> bytes, else <see cref="ArgumentOutOfRangeException"/>.</param>
    /// <param name="type">The message type, 0 or more.</param>
    /// <exception cref="InvalidOperationException">The ring was completed, a claim is pending, or the writer table is full.</exception>
    public bool TryWrite(ReadOnlySpan<byte> message, int type = 0)
    {
        int frameLength = CheckWrite(message.Length, type);
        if (!TryReserve(FrameDescriptor.Align(frameLength), out long index))
        {
            return false;
        }

        message.CopyTo(new Span<byte>(_data + index + FrameDescriptor.HeaderLength, message.Length));

        // Release: the payload is visible before the positive length that publishes it (the reader's acquire load of
        // the header word pairs with this store). No negative phase: until this store the reader sees 0, which the
        // claim intent recorded in TryReserve explains if this process dies in between.
        Volatile.Write(ref *(long*)(_data + index), HeaderWord(frameLength, type));
        Committed();
        return true;
    }

    /// <summary>
    /// Claims room for a message of <paramref name="length"/> bytes and hands out the payload span to fill in place
    /// (zero copy). Follow with <see cref="Commit"/> or <see cref="Abort"/>; until then the reader waits at this frame
    /// (other writers' later frames included), for at most <see cref="RingOptions.StuckWriterTimeout"/>.
    /// Returns false if the ring is full.
    /// </summary>
    public bool TryClaim(int length, int type, out Span<byte> payload)
    {
        int frameLength = CheckWrite(length, type);
        if (!TryReserve(FrameDescriptor.Align(frameLength), out long index))
        {
            payload = default;
            return false;
        }

        // In progress: a negative length. Commit and Abort change it only by compare-and-swap, because the reader may
        // revoke it (another compare-and-swap) if it is held too long.
        Volatile.Write(ref *(long*)(_data + index), HeaderWord(-frameLength, type));
        _claimIndex = index;
        _claimFrameLength = frameLength;
        _claimType = type;
        payload = new Span<byte>(_data + index + FrameDescriptor.HeaderLength, length);
        return true;
    }

    /// <summary>Publishes the claimed message to the reader.</summary>
    /// <exception cref="InvalidOperationException">
    /// No claim is pending, or the reader revoked the claim because it was held longer than
    /// <see cref="RingOptions.StuckWriterTimeout"/> (the message is not delivered).
    /// </exception>
    public void Commit()
    {
        int frameLength = _claimFrameLength;
        if (frameLength == 0)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        _claimFrameLength = 0;
        long* header = (long*)(_data + _claimIndex);
        long claimed = HeaderWord(-frameLength, _claimType);

        // A full fence: the payload stores happen before the positive length, as with a release store.
        if (Interlocked.CompareExchange(ref *header, HeaderWord(frameLength, _claimType), claimed) != claimed)
        {
            AcknowledgeRevocation(header, frameLength);
            throw new InvalidOperationException(
                $"The claim of {frameLength - FrameDescriptor.HeaderLength} bytes on ring '{Name}' was revoked by the reader: it was held longer than the stuck-writer timeout. The message was not delivered.");
        }

        Committed();
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

        _claimFrameLength = 0;
        long* header = (long*)(_data + _claimIndex);
        long claimed = HeaderWord(-frameLength, _claimType);
        if (Interlocked.CompareExchange(ref *header, HeaderWord(FrameDescriptor.Align(frameLength), FrameDescriptor.PaddingType), claimed) != claimed)
        {
            AcknowledgeRevocation(header, frameLength);
        }

        WakeReaderIfSleeping();
    }

    /// <summary>
    /// Marks the end of the stream for every writer: the completed bit is set in the tail, so no claim succeeds
    /// afterwards; the reader reads what was claimed before, then sees <see cref="ReadStatus.Completed"/>. Idempotent.
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

        long tail = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset);
        while (tail >= 0)
        {
            long seen = _memory.CompareExchangeInt64(ManyToOneRingDescriptor.TailOffset, tail | ManyToOneRingDescriptor.CompletedMark, tail);
            if (seen == tail)
            {
                _memory.WriteInt32Release(ManyToOneRingDescriptor.CompletedByOffset, ProcessLiveness.CurrentProcessId);
                break;
            }

            tail = seen;
        }

        // Rare: wake unconditionally, readers and writers waiting for room alike.
        _dataSite.Wake();
        _spaceSite.Interrupt();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int CheckWrite(int length, int type)
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

        return length + FrameDescriptor.HeaderLength;
    }

    /// <summary>
    /// Claims <paramref name="aligned"/> bytes at the tail with one compare-and-swap, padding to the end of the data
    /// region first if the frame does not fit there. Returns false if the ring is full.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReserve(int aligned, out long index)
    {
        while (true)
        {
            long tail = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset);
            if (tail < 0)
            {
                ThrowHelper.ThrowCompleted(Name);
            }

            // Free never passes the tail, and the cached free was read before this tail: a smaller tail is corruption.
            if (tail < _cachedFree)
            {
                ThrowHelper.ThrowCorrupted(Name, $"a writer read tail {tail} after free {_cachedFree}; free never passes the tail");
            }

            // Every claim is a multiple of the frame alignment: an unaligned tail would put an 8-byte header store across
            // the end of the data region (and of the mapping).
            if ((tail & (FrameDescriptor.Alignment - 1)) != 0)
            {
                ThrowHelper.ThrowCorrupted(Name, $"a writer read tail {tail}, which is not a multiple of the frame alignment {FrameDescriptor.Alignment}");
            }

            long start = tail & _mask;
            long toEnd = _capacity - start;
            long required = aligned <= toEnd ? aligned : toEnd + aligned;
            // Room for the claim and for the 8 bytes after it: the word at the tail must be one the reader has
            // zeroed, never a frame it is still reading (in a batch, free lags head), or it would take it for new.
            if (tail + required + FrameDescriptor.Alignment - _cachedFree > _capacity && !RefreshFree(tail, tail + required + FrameDescriptor.Alignment))
            {
                _memory.WriteInt64Release(_entry + ManyToOneRingDescriptor.FullStallsField, ++_fullStalls);
                index = 0;
                return false;
            }

            // The intent, then the claim. The compare-and-swap is a full fence, so whoever sees the tail past this
            // claim also sees the intent: a reader that finds the claim unwritten can tell whose it is and how long.
            _memory.WriteInt64Plain(_entry + ManyToOneRingDescriptor.IntentLengthField, required);
            _memory.WriteInt64Plain(_entry + ManyToOneRingDescriptor.IntentPositionField, tail);
            if (_memory.CompareExchangeInt64(ManyToOneRingDescriptor.TailOffset, tail + required, tail) != tail)
            {
                continue; // another writer took this position; the next attempt rewrites the intent
            }

            _lastClaimEnd = tail + required;

            if (aligned > toEnd)
            {
                // Padding fills [start, end); the frame starts at 0. The padding needs no payload, so it is published
                // at once (release: ordered after nothing of ours, but it must not be torn: one 8-byte store).
                Volatile.Write(ref *(long*)(_data + start), HeaderWord((int)toEnd, FrameDescriptor.PaddingType));
                start = 0;
            }

            index = start;
            return true;
        }
    }

    /// <summary>
    /// Re-reads the free position; returns true if a claim ending at <paramref name="neededTail"/> fits now. The tail
    /// was read before, so free may be past it (the ring moved on; the claim's compare-and-swap will fail and retry),
    /// but the tail can never be more than a capacity ahead of it.
    /// </summary>
    private bool RefreshFree(long tail, long neededTail)
    {
        long free = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.FreeOffset);
        if (tail - free > _capacity || free < 0 || (free & (FrameDescriptor.Alignment - 1)) != 0)
        {
            ThrowHelper.ThrowCorrupted(Name, $"a writer's load of free gives {free} with tail {tail}; the rule is tail - free <= capacity {_capacity}, free a non-negative multiple of {FrameDescriptor.Alignment}");
        }

        _cachedFree = free;
        return neededTail - free <= _capacity;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Committed()
    {
        // Only this object writes its entry's counter: a plain increment and a release store, no lock prefix.
        _memory.WriteInt64Release(_entry + ManyToOneRingDescriptor.MessagesWrittenField, ++_messagesWritten);
        WakeReaderIfSleeping();
    }

    /// <summary>
    /// The waking half of the protocol proven at <see cref="WaitLoop"/>: after the store that published a frame (W1),
    /// a fence (W2, asymmetric) and a load of the sleeper count (W3). No system call unless the reader sleeps.
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

    /// <summary>
    /// The reader revoked this claim (length still negative, type <see cref="ManyToOneRingDescriptor.RevokedType"/>):
    /// turn it into padding, which tells the reader the space may be reused, since this writer no longer touches it.
    /// </summary>
    private void AcknowledgeRevocation(long* header, int frameLength)
    {
        long revoked = HeaderWord(-frameLength, ManyToOneRingDescriptor.RevokedType);
        Interlocked.CompareExchange(ref *header, HeaderWord(FrameDescriptor.Align(frameLength), FrameDescriptor.PaddingType), revoked);
        WakeReaderIfSleeping();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachWriter()
    {
        ThrowIfDisposed();
        long me = ProcessLiveness.CurrentIdentity;
        int index = _writers.TryAttach(me, reclaimDead: false);
        if (index < 0)
        {
            index = ReclaimDeadWriterEntry(me);
        }

        if (index < 0)
        {
            throw new InvalidOperationException(
                $"Ring '{Name}' has {ManyToOneRingDescriptor.MaxWriters} writers attached, live or with claims not yet recovered: the most a many-to-one ring takes at once.");
        }

        _entry = _writers.EntryOffset(index);
        _memory.WriteInt64Plain(_entry + ManyToOneRingDescriptor.MessagesWrittenField, 0);
        _memory.WriteInt64Plain(_entry + ManyToOneRingDescriptor.FullStallsField, 0);
        _memory.WriteInt64Release(_entry + ManyToOneRingDescriptor.IntentPositionField, -1);
        _writerIndex = index;
        _messagesWritten = 0;
        _fullStalls = 0;
        RefreshFree(_memory.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset) & ~ManyToOneRingDescriptor.CompletedMark, 0);
        _isWriter = true;
    }

    /// <summary>
    /// Takes the entry of a dead writer whose last claim the reader has already passed (so nothing there is needed for
    /// recovery any more), folding its counters into the retired totals. Returns the index, or -1.
    /// </summary>
    private int ReclaimDeadWriterEntry(long me)
    {
        long head = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.HeadOffset);
        for (int i = 0; i < _writers.Count; i++)
        {
            long holder = _writers.IdentityAt(i);
            if (holder == 0 || ProcessLiveness.IsAlive(holder))
            {
                continue;
            }

            long entry = _writers.EntryOffset(i);
            long intent = _memory.ReadInt64Acquire(entry + ManyToOneRingDescriptor.IntentPositionField);
            long length = _memory.ReadInt64Acquire(entry + ManyToOneRingDescriptor.IntentLengthField);
            if (intent >= 0 && intent + length > head)
            {
                continue; // its claim may still need recovering
            }

            if (_writers.TryReclaim(i, holder, me))
            {
                Retire(entry);
                return i;
            }
        }

        return -1;
    }

    /// <summary>Adds an entry's counters to the retired totals (atomic adds: any writer may retire one).</summary>
    private void Retire(long entry)
    {
        _memory.AddInt64(ManyToOneRingDescriptor.RetiredMessagesWrittenOffset, _memory.ReadInt64Acquire(entry + ManyToOneRingDescriptor.MessagesWrittenField));
        _memory.AddInt64(ManyToOneRingDescriptor.RetiredFullStallsOffset, _memory.ReadInt64Acquire(entry + ManyToOneRingDescriptor.FullStallsField));
    }

    private void DetachWriter()
    {
        if (_claimFrameLength != 0)
        {
            Abort();
        }

        // Every claim of ours is committed or padding now, so the intent is no longer needed.
        Retire(_entry);
        _memory.WriteInt64Plain(_entry + ManyToOneRingDescriptor.MessagesWrittenField, 0);
        _memory.WriteInt64Plain(_entry + ManyToOneRingDescriptor.FullStallsField, 0);
        _memory.WriteInt64Plain(_entry + ManyToOneRingDescriptor.IntentPositionField, -1);
        _writers.Detach(_writerIndex, ProcessLiveness.CurrentIdentity);
        _writerIndex = -1;
    }
}
