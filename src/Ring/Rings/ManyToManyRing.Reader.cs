using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class ManyToManyRing
{
    // TryRead looks at the clock (for recovery) once per this many polls that found nothing.
    private const int EmptyPollsPerClockRead = 255;

    /// <summary>
    /// Takes the next committed message into <paramref name="destination"/> if there is one, without blocking. Returns
    /// false if there is none (the ring is empty, or the next message is still being written). Each message goes to
    /// exactly one of the competing readers.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is smaller than the next message; nothing is consumed.</exception>
    /// <exception cref="RingCorruptedException">Shared memory holds a stamp or header no correct party produces.</exception>
    public bool TryRead(Span<byte> destination, out RingMessage message)
    {
        while (true)
        {
            if (!TryTake(destination.Length, out long position, out int length, out int type))
            {
                message = default;
                return false;
            }

            byte* slot = SlotOf(position);
            if (type != FrameDescriptor.PaddingType)
            {
                new ReadOnlySpan<byte>(slot + ManyToManyRingDescriptor.MessageHeaderLength, length).CopyTo(destination);
            }

            Release(position, length, type);
            if (type != FrameDescriptor.PaddingType)
            {
                message = new RingMessage(length, type);
                return true;
            }
        }
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> committed messages without blocking, handing each to
    /// <paramref name="handler"/> as a span into the ring (zero copy), and returns how many it handled. Each message's
    /// slots are freed after its handler returns, in a finally block: if the handler throws, the message it threw on
    /// counts as consumed, and the exception propagates.
    /// </summary>
    public int Read<THandler>(ref THandler handler, int limit = int.MaxValue)
        where THandler : IFrameHandler, allows ref struct
    {
        if (limit <= 0)
        {
            ThrowHelper.ThrowLimitOutOfRange(limit);
        }

        int count = 0;
        while (count < limit && TryTake(int.MaxValue, out long position, out int length, out int type))
        {
            try
            {
                if (type != FrameDescriptor.PaddingType)
                {
                    count++;
                    handler.OnFrame(type, new ReadOnlySpan<byte>(SlotOf(position) + ManyToManyRingDescriptor.MessageHeaderLength, length));
                }
            }
            finally
            {
                Release(position, length, type);
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
    /// Which reader took the message written with <paramref name="sequence"/> (from
    /// <see cref="TryWrite(ReadOnlySpan{byte}, int, out long)"/> or <see cref="LastSequence"/>). The answer is known
    /// while the message's head slot has not been reused by a later message (about one lap of the ring).
    /// </summary>
    /// <param name="sequence">The message's sequence.</param>
    /// <param name="readerIndex">The reader's index in the reader table (<see cref="ReaderIndex"/> of that reader's object); -1 if none.</param>
    public MessageTakerStatus TryGetTaker(long sequence, out int readerIndex)
    {
        ThrowIfDisposed();
        readerIndex = -1;
        if (sequence < 0 || sequence > ManyToManyRingDescriptor.PositionMask)
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"Sequence {sequence} is invalid: sequences are positions from 0 to {ManyToManyRingDescriptor.PositionMask}.");
        }

        long stamp = Volatile.Read(ref *StampOf(sequence));
        long at = PositionOf(stamp);
        int state = StateOf(stamp);
        if (at == sequence)
        {
            switch (state)
            {
                case ManyToManyRingDescriptor.Writing:
                case ManyToManyRingDescriptor.Committed:
                    return MessageTakerStatus.NotYetTaken;
                case ManyToManyRingDescriptor.Reading:
                    readerIndex = PartyOf(stamp) - ManyToManyRingDescriptor.ReaderPartyBase;
                    return MessageTakerStatus.Taken;
                case ManyToManyRingDescriptor.Revoked:
                    return MessageTakerStatus.Unknown;
                default:
                    return MessageTakerStatus.Unknown; // free for the sequence: not written yet
            }
        }

        if (at < sequence)
        {
            return MessageTakerStatus.Unknown;
        }

        // Freed. The taker word (acquire), then the enqueue cursor (acquire): if no claim has reached past this slot's
        // next lap, no writer has written over the head slot, so the word we read is the one its reader left.
        long taker = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.DataOffset + ManyToManyRingDescriptor.SlotsOffsetFor(_slotCount) + ((sequence % _slotCount) * ManyToManyRingDescriptor.SlotLength) + 8);
        long enqueue = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset) & ~ManyToManyRingDescriptor.CompletedMark;
        if (enqueue > sequence + _slotCount || PositionOf(taker) != sequence)
        {
            return MessageTakerStatus.Unknown;
        }

        readerIndex = PartyOf(taker) - ManyToManyRingDescriptor.ReaderPartyBase;
        return StateOf(taker) switch
        {
            ManyToManyRingDescriptor.Taken => MessageTakerStatus.Taken,
            ManyToManyRingDescriptor.Lost => MessageTakerStatus.Lost,
            _ => MessageTakerStatus.Unknown,
        };
    }

    /// <summary>
    /// Takes the message at the dequeue cursor: compare-and-swap of its stamp from "committed" to "reading by me", then
    /// moves the dequeue cursor past it. Returns false if there is nothing committed there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryTake(int room, out long position, out int length, out int type)
    {
        if (!_isReader)
        {
            AttachReader();
        }

        while (true)
        {
            long cursor = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.DequeueOffset);
            long* head = StampOf(cursor);

            // Acquire: pairs with the writer's commit compare-and-swap, so the header and payload are visible.
            long stamp = Volatile.Read(ref *head);
            long at = PositionOf(stamp);
            if (at != cursor)
            {
                if (at > cursor)
                {
                    continue; // the message was taken and freed: the cursor we read is stale
                }

                return Empty(out position, out length, out type);
            }

            int state = StateOf(stamp);
            if (state != ManyToManyRingDescriptor.Committed)
            {
                if (state is ManyToManyRingDescriptor.Reading or ManyToManyRingDescriptor.Revoked)
                {
                    HelpAdvance(ManyToManyRingDescriptor.DequeueOffset, cursor, stamp);
                    continue;
                }

                if (state != ManyToManyRingDescriptor.Free && state != ManyToManyRingDescriptor.Writing)
                {
                    ThrowHelper.ThrowCorrupted(Name, $"the stamp at position {cursor} is 0x{stamp:X16}: state {state} is not one a party writes");
                }

                if ((++_emptyPolls & EmptyPollsPerClockRead) == 0 && RecoveryDue())
                {
                    TryRecoverAtCursor();
                }

                return Empty(out position, out length, out type);
            }

            byte* slot = SlotOf(cursor);
            length = *(int*)slot;
            type = *(int*)(slot + 4);
            long slots = CheckMessage(cursor, length, type);
            if (length > room && type != FrameDescriptor.PaddingType)
            {
                // Re-check that what we read was the committed message (not a later lap's header) before refusing.
                if (Volatile.Read(ref *head) == stamp)
                {
                    ThrowHelper.ThrowDestinationTooSmall(length, room, Name);
                }

                continue;
            }

            RecordIntent(_readerEntry, cursor, slots);
            if (Interlocked.CompareExchange(ref *head, MakeStamp(ManyToManyRingDescriptor.Reading, ManyToManyRingDescriptor.ReaderPartyBase + _readerIndex, cursor), stamp) != stamp)
            {
                continue; // another reader took it
            }

            // The stamp never returns to "committed at cursor", so the header read before the CAS is this message's.
            _memory.CompareExchangeInt64(ManyToManyRingDescriptor.DequeueOffset, cursor + slots, cursor);
            _emptyPolls = 0;
            position = cursor;
            return true;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Empty(out long position, out int length, out int type)
    {
        position = -1;
        length = 0;
        type = 0;
        return false;
    }

    /// <summary>Checks a committed header before it is used and returns its slot count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long CheckMessage(long position, int length, int type)
    {
        long limit = (_slotCount - (position % _slotCount)) * ManyToManyRingDescriptor.SlotLength;
        if (length < 0 || type < FrameDescriptor.PaddingType || ManyToManyRingDescriptor.MessageHeaderLength + (long)length > limit ||
            (type != FrameDescriptor.PaddingType && length > _maxMessageLength))
        {
            ThrowHelper.ThrowCorrupted(Name,
                $"the message at position {position} has length {length} and type {type}; a message carries 0 to {_maxMessageLength} bytes, has type >= -1 and ends before the slot array's end");
        }

        return ManyToManyRingDescriptor.SlotsFor(length);
    }

    /// <summary>Records this reader as the taker, frees the message's slots, counts it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Release(long position, int length, int type)
    {
        long reading = MakeStamp(ManyToManyRingDescriptor.Reading, ManyToManyRingDescriptor.ReaderPartyBase + _readerIndex, position);
        if (type != FrameDescriptor.PaddingType)
        {
            *(long*)(SlotOf(position) + 8) = MakeStamp(ManyToManyRingDescriptor.Taken, ManyToManyRingDescriptor.ReaderPartyBase + _readerIndex, position);
            _memory.WriteInt64Release(_readerEntry + ManyToManyRingDescriptor.MessagesField, ++_messagesRead);
        }

        FreeSlots(position, ManyToManyRingDescriptor.SlotsFor(length), reading);
    }

    /// <summary>True if the message at the dequeue cursor can be taken or passed now.</summary>
    private bool HasReadableMessage()
    {
        long cursor = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.DequeueOffset);
        long stamp = Volatile.Read(ref *StampOf(cursor));
        return PositionOf(stamp) != cursor
            ? PositionOf(stamp) > cursor
            : StateOf(stamp) is ManyToManyRingDescriptor.Committed or ManyToManyRingDescriptor.Reading or ManyToManyRingDescriptor.Revoked;
    }

    /// <summary>True if the ring was completed and every message claimed before was taken.</summary>
    private bool IsCompletedAndDrained()
    {
        long enqueue = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset);
        return enqueue < 0 && (enqueue & ~ManyToManyRingDescriptor.CompletedMark) == _memory.ReadInt64Acquire(ManyToManyRingDescriptor.DequeueOffset);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachReader()
    {
        ThrowIfDisposed();
        int index = Attach(_readers, ManyToManyRingDescriptor.ReaderPartyBase);
        if (index < 0)
        {
            throw new InvalidOperationException(
                $"Ring '{Name}' has {ManyToManyRingDescriptor.MaxReaders} readers attached: the most a many-to-many ring takes at once.");
        }

        _readerEntry = _readers.EntryOffset(index);
        _readerIndex = index;
        _messagesRead = 0;
        _isReader = true;
    }

    private readonly struct DelegateFrameHandler(FrameHandler handler) : IFrameHandler
    {
        public void OnFrame(int type, ReadOnlySpan<byte> payload) => handler(type, payload);
    }
}
