using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class ManyToManyRing
{
    /// <summary>True when the liveness interval has passed since the last recovery check (read on the empty path only).</summary>
    private bool RecoveryDue()
    {
        long now = Now();
        if (now < _nextRecoveryCheck)
        {
            return false;
        }

        _nextRecoveryCheck = now + _waitPolicy.LivenessTicks;
        return true;
    }

    /// <summary>
    /// A reader found a claim in progress at the dequeue cursor. If its writer is dead, the claim becomes padding (a
    /// torn claim); if a live writer has held it for longer than the stuck-writer timeout, it is revoked. Every other
    /// dead party's pending claim is recovered too. Returns true if the message at the cursor can be taken or passed now.
    /// </summary>
    private bool TryRecoverAtCursor()
    {
        RecoverDeadParties();
        long cursor = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.DequeueOffset);
        long* head = StampOf(cursor);
        long stamp = Volatile.Read(ref *head);
        if (PositionOf(stamp) != cursor || StateOf(stamp) != ManyToManyRingDescriptor.Writing)
        {
            _stallPosition = -1;
            return HasReadableMessage();
        }

        long now = Now();
        if (cursor != _stallPosition || stamp != _stallStamp)
        {
            _stallPosition = cursor;
            _stallStamp = stamp;
            _stallSince = now;
            return false;
        }

        if (now - _stallSince < _stuckTicks)
        {
            return false;
        }

        // Revocation only for a claim the enqueue cursor has passed (help it there first): a claim at a completed,
        // un-advanced cursor is being given back by its writer.
        long enqueue = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset);
        if ((enqueue & ~ManyToManyRingDescriptor.CompletedMark) == cursor)
        {
            if (enqueue < 0)
            {
                return false;
            }

            HelpAdvance(ManyToManyRingDescriptor.EnqueueOffset, cursor, stamp);
        }

        if (Interlocked.CompareExchange(ref *head, MakeStamp(ManyToManyRingDescriptor.Revoked, PartyOf(stamp), cursor), stamp) == stamp)
        {
            _memory.AddInt64(ManyToManyRingDescriptor.RevokedClaimsOffset, 1);
            _stallPosition = -1;
        }

        return true;
    }

    /// <summary>Recovers the pending claim of every attached party that has died (needs this object attached on some side).</summary>
    private void RecoverDeadParties()
    {
        long ownEntry;
        int ownParty;
        if (_isReader)
        {
            ownEntry = _readerEntry;
            ownParty = ManyToManyRingDescriptor.ReaderPartyBase + _readerIndex;
        }
        else if (_isWriter && _claimPosition < 0)
        {
            ownEntry = _writerEntry;
            ownParty = _writerIndex;
        }
        else
        {
            return;
        }

        for (int i = 0; i < _writers.Count; i++)
        {
            if (_writers.IsHeldByDeadParty(i))
            {
                RecoverParty(i, ownEntry, ownParty);
            }
        }

        for (int i = 0; i < _readers.Count; i++)
        {
            if (_readers.IsHeldByDeadParty(i))
            {
                RecoverParty(ManyToManyRingDescriptor.ReaderPartyBase + i, ownEntry, ownParty);
            }
        }
    }

    /// <summary>
    /// Finishes the pending claim of dead party <paramref name="party"/>, acting as <paramref name="ownParty"/> (whose
    /// entry is <paramref name="ownEntry"/>): a claim being written becomes padding (torn, counted), a message being
    /// read is freed (lost, counted; its taker word names the dead reader), a revoked claim is freed. Unless we hold the
    /// dead party's entry ourselves (reclaimed it), we first take the claim over by compare-and-swap, so exactly one
    /// party finishes it, and one that dies while finishing it is recovered in turn.
    /// </summary>
    private void RecoverParty(int party, long ownEntry, int ownParty)
    {
        long entry = EntryOfParty(party);
        long position = _memory.ReadInt64Acquire(entry + ManyToManyRingDescriptor.IntentPositionField);
        if (position < 0 || !IntentOf(party, position, out long slots))
        {
            return;
        }

        long* head = StampOf(position);
        long stamp = Volatile.Read(ref *head);
        int state = StateOf(stamp);
        if (PositionOf(stamp) != position || PartyOf(stamp) != party ||
            state is not (ManyToManyRingDescriptor.Writing or ManyToManyRingDescriptor.Reading or ManyToManyRingDescriptor.Revoked))
        {
            return; // nothing pending: the claim was finished
        }

        if (ownParty != party)
        {
            RecordIntent(ownEntry, position, slots);
            long mine = MakeStamp(state, ownParty, position);
            if (Interlocked.CompareExchange(ref *head, mine, stamp) != stamp)
            {
                return; // someone else is finishing it
            }

            stamp = mine;
        }

        byte* slot = SlotOf(position);
        if (state == ManyToManyRingDescriptor.Writing)
        {
            long enqueue = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset);
            if (enqueue == position)
            {
                _memory.CompareExchangeInt64(ManyToManyRingDescriptor.EnqueueOffset, position + slots, position);
                enqueue = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset);
            }

            if (enqueue == (position | ManyToManyRingDescriptor.CompletedMark))
            {
                // Claimed as the ring was completed, never advanced: past the end of the stream. Give it back.
                Interlocked.CompareExchange(ref *head, position, stamp);
                return;
            }

            *(int*)slot = (int)((slots * ManyToManyRingDescriptor.SlotLength) - ManyToManyRingDescriptor.MessageHeaderLength);
            *(int*)(slot + 4) = FrameDescriptor.PaddingType;
            if (Interlocked.CompareExchange(ref *head, MakeStamp(ManyToManyRingDescriptor.Committed, 0, position), stamp) == stamp)
            {
                _memory.AddInt64(ManyToManyRingDescriptor.TornClaimsOffset, 1);
            }

            WakeReadersIfSleeping();
            return;
        }

        // Before freeing, the dequeue cursor must be past the message (a dead reader may have died before moving it;
        // a revoked claim may not have been passed yet): a freed stamp no longer tells readers how far to move it.
        _memory.CompareExchangeInt64(ManyToManyRingDescriptor.DequeueOffset, position + slots, position);
        if (state == ManyToManyRingDescriptor.Reading)
        {
            if (*(int*)(slot + 4) != FrameDescriptor.PaddingType)
            {
                *(long*)(slot + 8) = MakeStamp(ManyToManyRingDescriptor.Lost, party, position);
                _memory.AddInt64(ManyToManyRingDescriptor.LostMessagesOffset, 1);
            }
        }

        FreeSlots(position, slots, stamp);
    }

    /// <summary>Recovers a dead party's claim while holding its (reclaimed) entry: the party number is ours now.</summary>
    private void RecoverReclaimed(int party)
    {
        long entry = EntryOfParty(party);
        RecoverParty(party, entry, party);
    }

    /// <summary>True if at least one writer is attached and every attached writer is dead.</summary>
    private bool AllWritersDead() => AllDead(_writers);

    /// <summary>True if at least one reader is attached and every attached reader is dead.</summary>
    private bool AllReadersDead() => AllDead(_readers);

    private static bool AllDead(PartyTable table)
    {
        bool any = false;
        for (int i = 0; i < table.Count; i++)
        {
            long identity = table.IdentityAt(i);
            if (identity == 0)
            {
                continue;
            }

            if (ProcessLiveness.IsAlive(identity))
            {
                return false;
            }

            any = true;
        }

        return any;
    }
}
