using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class SlotRing<T>
{
    /// <summary>Reads the next value if one is committed, without blocking. Returns false if there is none.</summary>
    /// <exception cref="RingCorruptedException">The slot holds a stamp no correct writer writes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead(out T value)
    {
        if (!TryTake())
        {
            value = default;
            return false;
        }

        value = *(T*)(StampAt(_head) + 1);
        Release();
        return true;
    }

    /// <summary>
    /// Reads up to <paramref name="limit"/> committed values without blocking, handing each to
    /// <paramref name="handler"/> by reference into its slot (zero copy), and returns how many it handled. Each slot is
    /// freed after its handler call returns; the dequeue position is published once, at the end, in a finally block.
    /// If the handler throws, the values before it and the one it threw on count as consumed, and the exception
    /// propagates.
    /// </summary>
    public int Read<THandler>(ref THandler handler, int limit = int.MaxValue)
        where THandler : ISlotHandler<T>, allows ref struct
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
        long* held = null;
        int count = 0;
        try
        {
            while (count < limit)
            {
                long* stamp = StampAt(head);
                long full = SlotStamp.FreeOf(head, _log2) | SlotStamp.Full;
                long seen = Volatile.Read(ref *stamp);
                if (seen != full)
                {
                    if (seen != (full ^ SlotStamp.Full))
                    {
                        ThrowBadStamp(head, seen, "full or free for this lap");
                    }

                    break;
                }

                held = stamp;
                count++;
                handler.OnMessage(in *(T*)(stamp + 1));

                // Release: the handler's reads of the slot are done before the writer may reuse it.
                Volatile.Write(ref *stamp, SlotStamp.NextLapFree(full));
                held = null;
                head++;
            }
        }
        finally
        {
            if (held != null)
            {
                // The handler threw: its value counts as consumed.
                Volatile.Write(ref *held, SlotStamp.FreeOf(head + _slotCount, _log2));
                head++;
            }

            if (head != _head)
            {
                _head = head;
                Volatile.Write(ref *_dequeue, head);
                WakeWriterIfSleeping();
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
    /// True if the slot at the reader's position is full (for <see cref="TryRead"/>, and for tests that stop a reader in
    /// the middle of a read). Nothing in shared memory changes until <see cref="Release"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryTake()
    {
        if (!_isReader)
        {
            AttachReader();
        }

        long head = _head;
        long full = SlotStamp.FreeOf(head, _log2) | SlotStamp.Full;

        // Acquire: pairs with the writer's release store of full(head); the value is visible.
        long seen = Volatile.Read(ref *StampAt(head));
        if (seen != full)
        {
            if (seen != (full ^ SlotStamp.Full))
            {
                ThrowBadStamp(head, seen, "full or free for this lap");
            }

            return false;
        }

        return true;
    }

    /// <summary>The value in the slot at the reader's position.</summary>
    internal ref readonly T TakenValue => ref *(T*)(StampAt(_head) + 1);

    /// <summary>Frees the slot at the reader's position (release), publishes the dequeue position and wakes a sleeping writer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Release()
    {
        long head = _head;

        // Release: the copy out of the slot is done before the writer can see the slot free for the next lap.
        Volatile.Write(ref *StampAt(head), SlotStamp.FreeOf(head + _slotCount, _log2));
        _head = head + 1;
        Volatile.Write(ref *_dequeue, head + 1);
        WakeWriterIfSleeping();
    }

    /// <summary>W2/W3 of the wake-up protocol (see WaitLoop.Sleep), with the writer as the sleeper.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WakeWriterIfSleeping()
    {
        AsymmetricFence.Light();
        if (_spaceSite.HasSleepers)
        {
            _spaceSite.Wake();
        }
    }

    /// <summary>True if the slot at the reader's position is full.</summary>
    private bool HasReadableValue() => Volatile.Read(ref *StampAt(_head)) == (SlotStamp.FreeOf(_head, _log2) | SlotStamp.Full);

    /// <summary>
    /// True if the writer completed the ring and nothing is left. The enqueue position is read first (acquire): it was
    /// stored with the closed mark after the writer's last commit, so a reader at or past it has read everything.
    /// </summary>
    private bool IsCompletedAndDrained()
    {
        long enqueue = Volatile.Read(ref *_enqueue);
        return enqueue < 0 && _head >= (enqueue & ~SlotRingDescriptor.ClosedMark);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachReader()
    {
        Attach(_readers, "reader");
        long head = Volatile.Read(ref *_dequeue);
        CheckPositions(head, Volatile.Read(ref *_enqueue) & ~SlotRingDescriptor.ClosedMark, "attaching the reader");

        // A reader that died after freeing slots but before storing the dequeue position (a batch publishes it at its
        // end) left them stamped free for the next lap, or already rewritten: step over those, at most a lap. A slot it
        // was reading when it died is still full: this reader reads that value again.
        for (int i = 0; i <= _slotCount; i++)
        {
            long stamp = Volatile.Read(ref *StampAt(head));
            long full = SlotStamp.FreeOf(head, _log2) | SlotStamp.Full;
            if (stamp == full || stamp == (full ^ SlotStamp.Full))
            {
                break;
            }

            long next = SlotStamp.FreeOf(head + _slotCount, _log2);
            if (i == _slotCount || (stamp != next && stamp != (next | SlotStamp.Full)))
            {
                ThrowBadStamp(head, stamp, "full or free for this lap, or a slot the previous reader freed");
            }

            head++;
        }

        _head = head;
        Volatile.Write(ref *_dequeue, head);
        _isReader = true;
    }
}
