using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class ManyToManySlotRing<T>
{
    /// <summary>Writes one value if a slot is free, without blocking. Returns false if the ring is full (nothing written).</summary>
    /// <exception cref="System.InvalidOperationException">The ring was completed, or 64 live writers hold every entry.</exception>
    /// <exception cref="RingCorruptedException">A slot or the enqueue position holds a value no correct party writes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(in T value) => TryWrite(in value, out _);

    /// <summary>
    /// Writes one value if a slot is free, without blocking, and returns its sequence (its position in the ring): the
    /// number <see cref="TryGetTaker"/> takes to tell which reader took it. Returns false if the ring is full.
    /// </summary>
    public bool TryWrite(in T value, out long sequence)
    {
        while (TryClaim(out sequence))
        {
            *(T*)(StampAt(sequence) + 1) = value;
            if (Commit())
            {
                return true;
            }

            // The claim was abandoned while this writer was stuck between claim and commit (longer than the stuck-writer
            // timeout): nothing was published. Write the value again in a fresh slot.
        }

        return false;
    }

    /// <summary>
    /// Marks the end of the stream for every party: sets bit 63 of the enqueue position, so no claim can succeed after
    /// it; readers read what was claimed before, then see <see cref="ReadStatus.Completed"/>, and blocked readers and
    /// writers return. Idempotent; writing afterwards throws, in every writer.
    /// </summary>
    public void Complete()
    {
        if (_writerIndex < 0)
        {
            AttachWriter();
        }

        if (_claimPending)
        {
            ThrowHelper.ThrowClaimPending(Name);
        }

        long current = Volatile.Read(ref *_enqueue);
        while (current >= 0)
        {
            long seen = Interlocked.CompareExchange(ref *_enqueue, current | SlotRingDescriptor.ClosedMark, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        // Rare: wake unconditionally rather than reason about sleepers.
        _dataSite.Wake();
        _spaceSite.Wake();
    }

    /// <summary>
    /// Claims the slot at the enqueue position: a compare-and-swap of its stamp from free to writing(this writer), then
    /// the move of the enqueue position past it (or the discovery that another party moved it). Returns false if the
    /// slot still holds the previous lap (the ring is full). For <see cref="TryWrite(in T, out long)"/> and for tests
    /// that stop a writer between claim and commit.
    /// </summary>
    internal bool TryClaim(out long position)
    {
        if (_writerIndex < 0 || _claimPending)
        {
            CheckWritable();
        }

        long* cursor = _enqueue;
        long current = Volatile.Read(ref *cursor);
        while (true)
        {
            if (current < 0)
            {
                ThrowHelper.ThrowCompleted(Name);
            }

            long* stamp = StampAt(current);

            // Acquire: pairs with the release store (or compare-and-swap) that made the slot free for this lap.
            long seen = Volatile.Read(ref *stamp);
            long free = SlotStamp.FreeOf(current, _log2);
            long compare = SlotStamp.Compare(seen, free);
            if (compare == 0)
            {
                long mine = free | SlotStamp.Writing | (uint)_writerIndex;
                if (Interlocked.CompareExchange(ref *stamp, mine, seen) == seen)
                {
                    // The claim counts only if the enqueue position moves past it. The move fails if another party
                    // already did it (fine), or if Complete marked the position at this claim: then it never happened.
                    long moved = Interlocked.CompareExchange(ref *cursor, current + 1, current);
                    if (moved != current && (moved & ~SlotRingDescriptor.ClosedMark) <= current)
                    {
                        Interlocked.CompareExchange(ref *stamp, seen, mine);
                        ThrowHelper.ThrowCompleted(Name);
                    }

                    _claimPosition = current;
                    _claimStamp = mine;
                    _claimPending = true;
                    position = current;
                    return true;
                }

                current = Volatile.Read(ref *cursor);
                continue;
            }

            if (compare > 0)
            {
                // The position is claimed (or done with): move the enqueue position past it for its claimer.
                current = HelpPast(cursor, current, seen, compare);
                continue;
            }

            if (compare < -3)
            {
                ThrowBadStamp(current, seen, "a stamp of this lap or of the previous one");
            }

            if (SlotStamp.IsAbandoned(seen))
            {
                // A stuck writer still holds the slot from the previous lap: pass over it again (it stays reserved for
                // that writer), which counts as a position without a message.
                CheckParty(current, seen);
                long carried = free | SlotStamp.Taken | SlotStamp.AbandonedFlag | (seen & SlotStamp.PartyMask);
                if (Interlocked.CompareExchange(ref *stamp, carried, seen) == seen)
                {
                    _memory.AddInt64(SlotRingDescriptor.SkippedPositionsOffset, 1);
                }

                continue;
            }

            position = -1;
            return RefuseFull(current, seen);
        }
    }

    /// <summary>
    /// Commits the claim: a compare-and-swap from writing(this writer) to full, which also publishes the value (it is a
    /// full fence). Returns false if the claim had been abandoned (this writer was stuck longer than the stuck-writer
    /// timeout): the slot is then freed and nothing is published.
    /// </summary>
    internal bool Commit()
    {
        if (!_claimPending)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        long* stamp = StampAt(_claimPosition);
        long full = SlotStamp.FreeOf(_claimPosition, _log2) | SlotStamp.Full;
        _claimPending = false;
        if (Interlocked.CompareExchange(ref *stamp, full, _claimStamp) != _claimStamp)
        {
            ReleaseAbandonedClaim(stamp);
            _memory.AddInt64(SlotRingDescriptor.LateCommitsOffset, 1);
            return false;
        }

        _memory.IncrementOwnedInt64(_writerEntry + SlotRingDescriptor.EntryMessagesOffset);

        // W2/W3 of the wake-up protocol: the compare-and-swap above was W1 (and a full fence already).
        AsymmetricFence.Light();
        if (_dataSite.HasSleepers)
        {
            _dataSite.Wake();
        }

        return true;
    }

    /// <summary>The value of the claimed slot, to fill in place.</summary>
    internal ref T ClaimedValue => ref *(T*)(StampAt(_claimPosition) + 1);

    /// <summary>Gives up the claim: the position becomes a skipped one (free for the next lap), which readers pass.</summary>
    internal void Abort()
    {
        if (!_claimPending)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        long* stamp = StampAt(_claimPosition);
        _claimPending = false;
        if (Interlocked.CompareExchange(ref *stamp, SlotStamp.NextLapFree(_claimStamp), _claimStamp) == _claimStamp)
        {
            _memory.AddInt64(SlotRingDescriptor.SkippedPositionsOffset, 1);
            WakeReadersIfSleeping();
        }
        else
        {
            ReleaseAbandonedClaim(stamp);
        }
    }

    /// <summary>
    /// This writer's claim was abandoned and the slot has been passed over, perhaps for several laps since: free it for
    /// the lap after the latest one it was passed over in. A writer on that lap may be passing over it at the same time
    /// (then retry with its stamp); once the stamp no longer names this writer, the slot is not ours to touch.
    /// </summary>
    private void ReleaseAbandonedClaim(long* stamp)
    {
        while (true)
        {
            long seen = Volatile.Read(ref *stamp);
            if (!SlotStamp.IsAbandoned(seen) || SlotStamp.PartyOf(seen) != _writerIndex)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref *stamp, SlotStamp.NextLapFree(seen), seen) == seen)
            {
                WakeWritersIfSleeping();
                return;
            }
        }
    }

    /// <summary>
    /// Moves a position (enqueue or dequeue) from <paramref name="current"/> to the next one, for the party whose stamp
    /// shows the position taken, and returns the position to try next. A stamp too far ahead of a position that was
    /// current is corruption: while a position is current its slot is at most a lap and a state or two ahead of it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long HelpPast(long* cursor, long current, long seen, long compare)
    {
        long moved = Interlocked.CompareExchange(ref *cursor, current + 1, current);
        if (moved != current)
        {
            return moved;
        }

        if (compare > 8)
        {
            ThrowBadStamp(current, seen, "a stamp at most a lap ahead of the position");
        }

        return current + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WakeReadersIfSleeping()
    {
        AsymmetricFence.Light();
        if (_dataSite.HasSleepers)
        {
            _dataSite.Wake();
        }
    }

    /// <summary>W2/W3 of the wake-up protocol after a slot was freed, with the writers as sleepers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WakeWritersIfSleeping()
    {
        AsymmetricFence.Light();
        if (_spaceSite.HasSleepers)
        {
            _spaceSite.Wake();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CheckWritable()
    {
        if (_writerIndex < 0)
        {
            AttachWriter();
        }

        if (_claimPending)
        {
            ThrowHelper.ThrowClaimPending(Name);
        }
    }

    /// <summary>
    /// The slot at the enqueue position holds the previous lap: full, being read, or being written. Counts a stall; now
    /// and then (at most once per liveness interval) checks whether a dead party is the reason and recovers it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RefuseFull(long position, long seen)
    {
        CheckParty(position, seen);
        _memory.IncrementOwnedInt64(_writerEntry + SlotRingDescriptor.EntryFullStallsOffset);
        if ((++_fullPolls & 63) == 0)
        {
            long now = Now();
            if (now >= _nextWriterCheck)
            {
                _nextWriterCheck = now + _livenessTicks;
                RecoverAtEnqueue();
            }
        }

        return false;
    }

    /// <summary>True if a write could make progress now: the slot at the enqueue position is free (or passable), or the ring is completed.</summary>
    private bool HasSpace()
    {
        long current = Volatile.Read(ref *_enqueue);
        if (current < 0)
        {
            return true;
        }

        long seen = Volatile.Read(ref *StampAt(current));
        return SlotStamp.Compare(seen, SlotStamp.FreeOf(current, _log2)) >= 0 || SlotStamp.IsAbandoned(seen);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachWriter()
    {
        int index = AttachParty(_writers, writer: true);
        _writerEntry = _writers.EntryOffset(index);
        _writerIndex = index;
    }
}
