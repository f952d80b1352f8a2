using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

/// <summary>
/// Recovery from dead and stuck parties. Every step is a compare-and-swap from a stamp just read, after checking that
/// the entry the stamp names still holds the dead process: a stamp names its lap, so a stale swap fails, and an entry
/// is given to a new process only after the stamps naming it were recovered, so no recovery touches a new holder's
/// slot.
/// </summary>
public sealed unsafe partial class ManyToManySlotRing<T>
{
    /// <summary>
    /// The slot at the dequeue position is claimed but not committed, seen by a read that found nothing: at most once
    /// per liveness interval, check on the writer that holds it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ClaimAtHead()
    {
        long now = Now();
        if (now >= _nextReaderCheck)
        {
            _nextReaderCheck = now + _livenessTicks;
            InspectHead(now);
        }
    }

    /// <summary>Every 1024 reads that found nothing, at most once per liveness interval: look for values dead readers left.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EmptyNowAndThen()
    {
        long now = Now();
        if (now >= _nextReaderCheck)
        {
            _nextReaderCheck = now + _livenessTicks;
            RecoverDeadReaders();
        }
    }

    /// <summary>
    /// Looks at the claim at the dequeue position, if there is one. Its writer dead: recover its claims (each becomes
    /// a skipped position). Its writer alive, and this reader has seen the same claim for the stuck-writer timeout:
    /// abandon the claim. Returns true if it changed the slot.
    /// </summary>
    private bool InspectHead(long now)
    {
        long current = Volatile.Read(ref *_dequeue);
        long* stamp = StampAt(current);
        long seen = Volatile.Read(ref *stamp);
        if ((seen & ~SlotStamp.PartyMask) != (SlotStamp.FreeOf(current, _log2) | SlotStamp.Writing))
        {
            _watchedStamp = 0;
            return false;
        }

        CheckParty(current, seen);
        int writer = SlotStamp.PartyOf(seen);
        long holder = _writers.IdentityAt(writer);
        if (holder != 0 && !ProcessLiveness.IsAlive(holder))
        {
            RecoverDeadWriter(writer, holder);
            return true;
        }

        if (seen != _watchedStamp)
        {
            _watchedStamp = seen;
            _watchedSince = now;
            return false;
        }

        if (now - _watchedSince < _stuckTicks)
        {
            return false;
        }

        // Alive but stuck: the position is passed (taken state, abandoned flag, same lap and writer). The slot stays
        // the writer's, so whatever it still copies into it harms nobody; its commit fails and it frees the slot.
        long abandoned = (seen & ~SlotStamp.StateMask) | SlotStamp.Taken | SlotStamp.AbandonedFlag;
        _watchedStamp = 0;
        if (Interlocked.CompareExchange(ref *stamp, abandoned, seen) != seen)
        {
            return false;
        }

        _memory.AddInt64(SlotRingDescriptor.AbandonedClaimsOffset, 1);
        _memory.AddInt64(SlotRingDescriptor.SkippedPositionsOffset, 1);
        WakeReadersIfSleeping();
        return true;
    }

    /// <summary>
    /// The writer in entry <paramref name="index"/> (identity <paramref name="deadIdentity"/>) is dead: recover its
    /// claims, and count its death once (the entry's recovered-identity word records who was recovered). The entry
    /// stays held by the dead identity, so readers can tell that the writers died, until a new writer reclaims it.
    /// </summary>
    private void RecoverDeadWriter(int index, long deadIdentity)
    {
        RecoverWriterStamps(index, deadIdentity);
        long recovered = _writers.EntryOffset(index) + SlotRingDescriptor.EntryRecoveredOffset;
        long previous = _memory.ReadInt64Acquire(recovered);
        if (previous != deadIdentity && _writers.IdentityAt(index) == deadIdentity &&
            _memory.CompareExchangeInt64(recovered, deadIdentity, previous) == previous)
        {
            _memory.AddInt64(SlotRingDescriptor.WriterDeathsOffset, 1);
        }

        // Readers may pass the recovered positions; writers may use the freed slots.
        WakeReadersIfSleeping();
        WakeWritersIfSleeping();
    }

    /// <summary>
    /// Turns every claim of the dead writer in entry <paramref name="index"/> into a skipped position: writing(p) and
    /// abandoned(p) become free(p + slot count). Readers pass a free stamp of the next lap as a position without a
    /// message; writers see the slot free for its next lap. Stops if the entry no longer holds the dead identity.
    /// </summary>
    private void RecoverWriterStamps(int index, long deadIdentity)
    {
        for (int k = 0; k < _slotCount; k++)
        {
            long* stamp = (long*)(_data + ((long)k * _stride));
            long seen = Volatile.Read(ref *stamp);
            bool writing = SlotStamp.StateOf(seen) == SlotRingDescriptor.StateWriting;
            if (SlotStamp.PartyOf(seen) != index || !(writing || SlotStamp.IsAbandoned(seen)))
            {
                continue;
            }

            // Read after the stamp: if the dead process still holds the entry, the stamp was its own.
            if (_writers.IdentityAt(index) != deadIdentity)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref *stamp, SlotStamp.NextLapFree(seen), seen) == seen && writing)
            {
                _memory.AddInt64(SlotRingDescriptor.AbandonedClaimsOffset, 1);
                _memory.AddInt64(SlotRingDescriptor.SkippedPositionsOffset, 1);
            }
        }
    }

    /// <summary>
    /// Looks for readers that died (their entries held by dead processes). A value one was reading becomes this
    /// reader's to deliver again (one at a time); an entry with no value left is freed, counting the death. Returns
    /// true if this reader now has a value to deliver.
    /// </summary>
    private bool RecoverDeadReaders()
    {
        if (_readerIndex < 0)
        {
            return false;
        }

        for (int i = 0; i < _readers.Count; i++)
        {
            long holder = _readers.IdentityAt(i);
            if (holder == 0 || i == _readerIndex || ProcessLiveness.IsAlive(holder))
            {
                continue;
            }

            RecoverReaderStamps(i, holder);
        }

        return _orphanSlot >= 0;
    }

    /// <summary>
    /// Finds the value the dead reader in entry <paramref name="index"/> was reading: a stamp taken(p, index). If there
    /// is none, frees the entry. The value is delivered by <see cref="TryReadOrphan"/>, which frees the slot with a
    /// compare-and-swap from the stamp found here.
    /// </summary>
    private void RecoverReaderStamps(int index, long deadIdentity)
    {
        for (int k = 0; k < _slotCount; k++)
        {
            long seen = Volatile.Read(ref *(long*)(_data + ((long)k * _stride)));
            if (SlotStamp.StateOf(seen) != SlotRingDescriptor.StateTaken || SlotStamp.IsAbandoned(seen) || SlotStamp.PartyOf(seen) != index)
            {
                continue;
            }

            if (_readers.IdentityAt(index) == deadIdentity && _orphanSlot < 0)
            {
                _orphanSlot = k;
                _orphanStamp = seen;
            }

            return;
        }

        if (_readers.TryReclaim(index, deadIdentity, 0))
        {
            _memory.AddInt64(SlotRingDescriptor.ReaderDeathsOffset, 1);
        }
    }

    /// <summary>
    /// The slot at the enqueue position is still in use from the previous lap (checked by a writer that found the ring
    /// full, at most once per liveness interval). If a dead reader was reading it, the value is delivered again right
    /// there: the stamp goes from taken(p - slot count, dead reader) straight to full(p), which claims position p for
    /// it. If a dead writer claimed it, its claims are recovered. Returns true if the slot changed.
    /// </summary>
    private bool RecoverAtEnqueue()
    {
        long current = Volatile.Read(ref *_enqueue);
        if (current < 0)
        {
            return true;
        }

        long* stamp = StampAt(current);
        long seen = Volatile.Read(ref *stamp);
        long free = SlotStamp.FreeOf(current, _log2);
        long compare = SlotStamp.Compare(seen, free);
        if (compare >= 0 || SlotStamp.IsAbandoned(seen))
        {
            return true;
        }

        CheckParty(current, seen);
        int party = SlotStamp.PartyOf(seen);
        if (compare == -1)
        {
            long holder = _readers.IdentityAt(party);
            if (holder == 0 || ProcessLiveness.IsAlive(holder))
            {
                return false;
            }

            // Read after the stamp: the dead reader still holds the entry, so the stamp is its own.
            if (Interlocked.CompareExchange(ref *stamp, free | SlotStamp.Full, seen) != seen)
            {
                return true;
            }

            // Like a claim, it counts only if the enqueue position moves past it; if Complete marked the position here,
            // put the stamp back (a reader that took the value meanwhile delivered it, and the undo fails).
            long moved = Interlocked.CompareExchange(ref *_enqueue, current + 1, current);
            if (moved != current && (moved & ~SlotRingDescriptor.ClosedMark) <= current)
            {
                Interlocked.CompareExchange(ref *stamp, seen, free | SlotStamp.Full);
                return true;
            }

            _memory.AddInt64(SlotRingDescriptor.RedeliveriesOffset, 1);
            WakeReadersIfSleeping();
            return true;
        }

        if (compare == -3)
        {
            long holder = _writers.IdentityAt(party);
            if (holder != 0 && !ProcessLiveness.IsAlive(holder))
            {
                RecoverDeadWriter(party, holder);
                return true;
            }
        }

        return false;
    }

    /// <summary>True if no live writer is attached and at least one dead one is (not yet replaced): nothing more will be written.</summary>
    private bool AllWritersDead()
    {
        bool dead = false;
        for (int i = 0; i < _writers.Count; i++)
        {
            long holder = _writers.IdentityAt(i);
            if (holder == 0)
            {
                continue;
            }

            if (ProcessLiveness.IsAlive(holder))
            {
                return false;
            }

            dead = true;
        }

        return dead;
    }
}
