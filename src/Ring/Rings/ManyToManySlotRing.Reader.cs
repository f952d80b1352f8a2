using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class ManyToManySlotRing<T>
{
    /// <summary>
    /// Takes the next value if one is committed, without blocking. Returns false if there is none (the ring is empty,
    /// or the next position is still being written).
    /// </summary>
    /// <exception cref="RingCorruptedException">A slot or the dequeue position holds a value no correct party writes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead(out T value)
    {
        if (_orphanSlot >= 0 && TryReadOrphan(out value))
        {
            return true;
        }

        if (!TryTake(out long position))
        {
            value = default;
            return false;
        }

        value = *(T*)(StampAt(position) + 1);
        Release();
        return true;
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> committed values without blocking, handing each to <paramref name="handler"/>
    /// by reference into its slot (zero copy), and returns how many it handled. Each slot is taken before and freed
    /// after its handler call; if the handler throws, the value it threw on counts as consumed, and the exception
    /// propagates. Other readers take values in between: a batch is not contiguous.
    /// </summary>
    public int Read<THandler>(ref THandler handler, int limit = int.MaxValue)
        where THandler : ISlotHandler<T>, allows ref struct
    {
        if (_readerIndex < 0)
        {
            AttachReader();
        }

        if (limit <= 0)
        {
            ThrowHelper.ThrowLimitOutOfRange(limit);
        }

        int count = 0;
        bool held = false;
        try
        {
            while (count < limit)
            {
                if (_orphanSlot >= 0 && TryReadOrphan(out T redelivered))
                {
                    count++;
                    handler.OnMessage(in redelivered);
                    continue;
                }

                if (!TryTake(out long position))
                {
                    break;
                }

                held = true;
                count++;
                handler.OnMessage(in *(T*)(StampAt(position) + 1));
                held = false;
                Release();
            }
        }
        finally
        {
            if (held)
            {
                Release();
            }
        }

        return count;
    }

    /// <summary>Delegate form of <see cref="Read{THandler}(ref THandler, int)"/>.</summary>
    public int Read(SlotHandler<T> handler, int limit = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var adapter = new DelegateSlotHandler<T>(handler);
        return Read(ref adapter, limit);
    }

    /// <summary>
    /// Which reader took the value written with <paramref name="sequence"/> (its position, from
    /// <see cref="TryWrite(in T, out long)"/>). Known while the value's slot has not been reused by a writer a lap
    /// later. A value delivered again after its reader died reports the reader that finally took it.
    /// </summary>
    /// <param name="sequence">The value's sequence.</param>
    /// <param name="readerIndex">The reader's index in the reader table (<see cref="ReaderIndex"/> of that reader's object); -1 if none.</param>
    /// <returns>
    /// <see cref="MessageTakerStatus.Taken"/> while the reader copies it and afterwards; <see cref="MessageTakerStatus.NotYetTaken"/>
    /// while it is written or waits; <see cref="MessageTakerStatus.Unknown"/> if the sequence was not written yet,
    /// carried no value (an abandoned or aborted claim), or its slot was reused. Never <see cref="MessageTakerStatus.Lost"/>:
    /// a value whose reader died is delivered again.
    /// </returns>
    public MessageTakerStatus TryGetTaker(long sequence, out int readerIndex)
    {
        ThrowIfDisposed();
        if (sequence < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"Sequence {sequence} is invalid: sequences are 0 or more.");
        }

        long seen = Volatile.Read(ref *StampAt(sequence));
        long free = SlotStamp.FreeOf(sequence, _log2);
        int party = SlotStamp.PartyOf(seen);
        readerIndex = -1;
        if ((seen & ~SlotStamp.PartyMask) == (free | SlotStamp.Taken))
        {
            readerIndex = party;
            return MessageTakerStatus.Taken;
        }

        // Free for the next lap: the party bits name 1 + the reader that freed it (0: nobody, the position was skipped).
        if ((seen & ~SlotStamp.PartyMask) == SlotStamp.NextLapFree(free) && party != 0)
        {
            readerIndex = party - 1;
            return MessageTakerStatus.Taken;
        }

        long state = seen & ~(SlotStamp.PartyMask | SlotStamp.AbandonedFlag);
        return state == (free | SlotStamp.Writing) || state == (free | SlotStamp.Full) ? MessageTakerStatus.NotYetTaken : MessageTakerStatus.Unknown;
    }

    /// <summary>
    /// Takes the slot at the dequeue position if it is full: a compare-and-swap of its stamp from full to taken(this
    /// reader), then the move of the dequeue position past it. Returns false if the slot is not full yet. For
    /// <see cref="TryRead"/> and for tests that stop a reader in the middle of a read.
    /// </summary>
    internal bool TryTake(out long position)
    {
        if (_readerIndex < 0)
        {
            AttachReader();
        }

        long* cursor = _dequeue;
        long current = Volatile.Read(ref *cursor);
        while (true)
        {
            long* stamp = StampAt(current);
            long full = SlotStamp.FreeOf(current, _log2) | SlotStamp.Full;

            // Acquire: pairs with the writer's commit (a compare-and-swap); the value is visible.
            long seen = Volatile.Read(ref *stamp);
            if (seen == full)
            {
                long mine = (full ^ SlotStamp.Full) | SlotStamp.Taken | (uint)_readerIndex;
                if (Interlocked.CompareExchange(ref *stamp, mine, full) == full)
                {
                    // Another reader may have moved the position for us already: either way it is past this slot.
                    Interlocked.CompareExchange(ref *cursor, current + 1, current);
                    _heldPosition = current;
                    _heldStamp = mine;
                    position = current;
                    return true;
                }

                continue;
            }

            long compare = SlotStamp.Compare(seen, full);
            if (compare > 0)
            {
                // Taken by another reader, or a position without a message: move the dequeue position past it.
                current = HelpPast(cursor, current, seen, compare);
                continue;
            }

            if (compare < -3)
            {
                ThrowBadStamp(current, seen, "a stamp of this lap, or the previous lap's value still being read");
            }

            if (compare == -1)
            {
                // Claimed, not committed: normally a writer between two instructions; now and then check that it lives.
                CheckParty(current, seen);
                ClaimAtHead();
            }
            else if ((++_emptyPolls & 1023) == 0)
            {
                EmptyNowAndThen();
            }

            position = -1;
            return false;
        }
    }

    /// <summary>The value in the slot this reader took.</summary>
    internal ref readonly T TakenValue => ref *(T*)(StampAt(_heldPosition) + 1);

    /// <summary>
    /// Frees the slot this reader took: free for the next lap, naming this reader (release: the copy out of the slot is
    /// done before a writer can reuse it), counts the message and wakes a sleeping writer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Release()
    {
        Volatile.Write(ref *StampAt(_heldPosition), SlotStamp.NextLapFree(_heldStamp) | (uint)(_readerIndex + 1));
        _memory.IncrementOwnedInt64(_readerEntry + SlotRingDescriptor.EntryMessagesOffset);

        // W2/W3 of the wake-up protocol (the store above is W1), with the writers as sleepers.
        WakeWritersIfSleeping();
    }

    /// <summary>
    /// Delivers the value a dead reader was reading (found by <see cref="RecoverReaderStamps"/> or inherited with its
    /// entry): copy it out, then free the slot by a compare-and-swap from the stamp that named the dead reader. Another
    /// party may deliver it first (a writer that needs the slot, another reader that found it): then the CAS fails and
    /// the copy is dropped, so the value is delivered once.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryReadOrphan(out T value)
    {
        long* stamp = (long*)(_data + (_orphanSlot * _stride));
        long expected = _orphanStamp;
        _orphanSlot = -1;
        value = *(T*)(stamp + 1);
        if (Interlocked.CompareExchange(ref *stamp, SlotStamp.NextLapFree(expected) | (uint)(_readerIndex + 1), expected) != expected)
        {
            value = default;
            return false;
        }

        _memory.AddInt64(SlotRingDescriptor.RedeliveriesOffset, 1);
        _memory.IncrementOwnedInt64(_readerEntry + SlotRingDescriptor.EntryMessagesOffset);
        WakeWritersIfSleeping();
        return true;
    }

    /// <summary>True if a read could make progress now: a value (or a position to pass) at the dequeue position, or a value to redeliver.</summary>
    private bool HasReadableValue()
    {
        if (_orphanSlot >= 0)
        {
            return true;
        }

        long current = Volatile.Read(ref *_dequeue);
        return SlotStamp.Compare(Volatile.Read(ref *StampAt(current)), SlotStamp.FreeOf(current, _log2) | SlotStamp.Full) >= 0;
    }

    /// <summary>
    /// True if the ring is completed and every position below the mark has been taken. The enqueue position is read
    /// first (acquire); positions below the mark are claimed and will be committed or recovered.
    /// </summary>
    private bool IsCompletedAndDrainedQuick()
    {
        long enqueue = Volatile.Read(ref *_enqueue);
        return enqueue < 0 && _orphanSlot < 0 && Volatile.Read(ref *_dequeue) >= (enqueue & ~SlotRingDescriptor.ClosedMark);
    }

    /// <summary>
    /// <see cref="IsCompletedAndDrainedQuick"/>, and no dead reader holds a value: before reporting the end of the
    /// stream, look for values of dead readers to deliver again.
    /// </summary>
    private bool IsCompletedAndDrained() => IsCompletedAndDrainedQuick() && !RecoverDeadReaders() && _orphanSlot < 0;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachReader()
    {
        int index = AttachParty(_readers, writer: false);
        _readerEntry = _readers.EntryOffset(index);
        _readerIndex = index;
        _writerDeathsAtAttach = _memory.ReadInt64Acquire(SlotRingDescriptor.WriterDeathsOffset);
    }

    /// <summary>
    /// This reader took the entry of a dead reader: a stamp still naming that entry is a value the dead reader was
    /// reading. Deliver it first.
    /// </summary>
    private void InheritOrphan(int index)
    {
        for (int k = 0; k < _slotCount; k++)
        {
            long* stamp = (long*)(_data + ((long)k * _stride));
            long seen = Volatile.Read(ref *stamp);
            if (SlotStamp.StateOf(seen) == SlotRingDescriptor.StateTaken && !SlotStamp.IsAbandoned(seen) && SlotStamp.PartyOf(seen) == index)
            {
                _orphanSlot = k;
                _orphanStamp = seen;
                return;
            }
        }
    }
}
