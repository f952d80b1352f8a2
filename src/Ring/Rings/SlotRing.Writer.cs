using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class SlotRing<T>
{
    /// <summary>Writes one value if its slot is free, without blocking. Returns false if the ring is full (nothing written).</summary>
    /// <exception cref="System.InvalidOperationException">The ring was completed, or another live process is the writer.</exception>
    /// <exception cref="RingCorruptedException">The slot holds a stamp no correct reader writes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(in T value)
    {
        if (!TryClaim())
        {
            return false;
        }

        *(T*)(StampAt(_tail) + 1) = value;
        Commit();
        return true;
    }

    /// <summary>
    /// Marks the end of the stream: sets the closed mark in the enqueue position (release), so the reader reads what is
    /// left, then sees <see cref="ReadStatus.Completed"/>, and a reader blocked in a read returns. Idempotent; writing
    /// afterwards throws.
    /// </summary>
    public void Complete()
    {
        if (!_isWriter)
        {
            AttachWriter();
        }

        if (_claimPending)
        {
            ThrowHelper.ThrowClaimPending(Name);
        }

        _writerCompleted = true;
        Volatile.Write(ref *_enqueue, _tail | SlotRingDescriptor.ClosedMark);

        // Rare: wake unconditionally rather than reason about sleepers.
        _dataSite.Wake();
    }

    /// <summary>
    /// Claims the slot at the writer's position if it is free (for <see cref="TryWrite(in T)"/>, and for tests that stop
    /// a writer between claim and commit). Nothing in shared memory changes until <see cref="Commit"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryClaim()
    {
        if (!_isWriter || _writerCompleted || _claimPending)
        {
            CheckWritable();
        }

        long tail = _tail;

        // Acquire: pairs with the reader's release store of free(tail); its copy out of the slot is complete.
        if (Volatile.Read(ref *StampAt(tail)) != SlotStamp.FreeOf(tail, _log2))
        {
            return RefuseFull(tail);
        }

        _claimPending = true;
        return true;
    }

    /// <summary>The value of the claimed slot, to fill in place.</summary>
    internal ref T ClaimedValue => ref *(T*)(StampAt(_tail) + 1);

    /// <summary>Publishes the claimed slot: the full stamp with a release store, then the enqueue position, then a wake-up if a reader sleeps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Commit()
    {
        if (!_claimPending)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        long tail = _tail;

        // Release: the value stores happen before a reader can see full(tail).
        Volatile.Write(ref *StampAt(tail), SlotStamp.FreeOf(tail, _log2) | SlotStamp.Full);
        _claimPending = false;
        _tail = tail + 1;

        // The writer's own line; read only by statistics, completion and a writer taking over.
        Volatile.Write(ref *_enqueue, tail + 1);
        WakeReaderIfSleeping();
    }

    /// <summary>Gives up the claim: the slot was never stamped, so there is nothing to undo.</summary>
    internal void Abort()
    {
        if (!_claimPending)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        _claimPending = false;
    }

    /// <summary>
    /// The waking half of the protocol proven at <see cref="WaitLoop"/>: after the release store that published a value
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CheckWritable()
    {
        if (!_isWriter)
        {
            AttachWriter();
        }

        if (_claimPending)
        {
            ThrowHelper.ThrowClaimPending(Name);
        }

        if (_writerCompleted)
        {
            ThrowHelper.ThrowCompleted(Name);
        }
    }

    /// <summary>The slot at the writer's position is not free: it must still hold the previous lap's value (the ring is full).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RefuseFull(long tail)
    {
        long stamp = Volatile.Read(ref *StampAt(tail));
        long previousFull = (SlotStamp.FreeOf(tail, _log2) - (1L << SlotStamp.LapShift)) | SlotStamp.Full;
        if (stamp != previousFull && stamp != SlotStamp.FreeOf(tail, _log2))
        {
            ThrowBadStamp(tail, stamp, "free for this lap, or full from the previous lap");
        }

        _memory.IncrementOwnedInt64(_writers.EntryOffset(0) + SlotRingDescriptor.EntryFullStallsOffset);
        return false;
    }

    /// <summary>True if the slot at the writer's position is free now.</summary>
    private bool HasSpace() => Volatile.Read(ref *StampAt(_tail)) == SlotStamp.FreeOf(_tail, _log2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachWriter()
    {
        Attach(_writers, "writer");
        long enqueue = Volatile.Read(ref *_enqueue);
        long tail = enqueue & ~SlotRingDescriptor.ClosedMark;
        CheckPositions(Volatile.Read(ref *_dequeue), tail, "attaching the writer");

        // A writer that died after a commit but before storing the enqueue position left full(tail) (or, once read,
        // free(tail + slot count)) at the published position: step over those, at most a lap.
        for (int i = 0; i <= _slotCount; i++)
        {
            long stamp = Volatile.Read(ref *StampAt(tail));
            long free = SlotStamp.FreeOf(tail, _log2);
            if (stamp == free || stamp == ((free - (1L << SlotStamp.LapShift)) | SlotStamp.Full))
            {
                break;
            }

            if (i == _slotCount || (stamp != (free | SlotStamp.Full) && stamp != SlotStamp.NextLapFree(free)))
            {
                ThrowBadStamp(tail, stamp, "free for this lap, full from the previous lap, or a value committed by the previous writer");
            }

            tail++;
        }

        _tail = tail;
        _writerCompleted = enqueue < 0;
        if (!_writerCompleted)
        {
            Volatile.Write(ref *_enqueue, tail);
        }

        _isWriter = true;
    }
}
