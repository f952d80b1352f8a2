using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class ManyToManyRing
{
    private enum ClaimResult
    {
        Claimed,
        Full,
        Retry,
    }

    /// <summary>
    /// Writes one message if there is room, without blocking. Returns false if the ring is full (nothing written).
    /// </summary>
    /// <param name="message">The payload: at most <see cref="MaxMessageLength"/> bytes, else <see cref="ArgumentOutOfRangeException"/>.</param>
    /// <param name="type">The message type, 0 or more.</param>
    /// <exception cref="InvalidOperationException">The ring was completed, a claim is pending, or the writer table is full.</exception>
    public bool TryWrite(ReadOnlySpan<byte> message, int type = 0) => TryWrite(message, type, out _);

    /// <summary>
    /// Writes one message if there is room, without blocking, and returns its sequence: the position to pass to
    /// <see cref="TryGetTaker"/> to learn which reader took it. Returns false if the ring is full.
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> message, int type, out long sequence)
    {
        long slots = CheckWrite(message.Length, type);
        if (!TryReserve(slots, out long position))
        {
            sequence = -1;
            return false;
        }

        byte* slot = SlotOf(position);
        *(int*)slot = message.Length;
        *(int*)(slot + 4) = type;
        message.CopyTo(new Span<byte>(slot + ManyToManyRingDescriptor.MessageHeaderLength, message.Length));

        // The compare-and-swap is a full fence: the header and payload are visible before "committed", which readers
        // load with acquire. A compare-and-swap rather than a store, because a reader may have revoked the claim.
        long writing = MakeStamp(ManyToManyRingDescriptor.Writing, _writerIndex, position);
        if (Interlocked.CompareExchange(ref *StampOf(position), MakeStamp(ManyToManyRingDescriptor.Committed, 0, position), writing) != writing)
        {
            AcknowledgeRevocation(position, slots);
            ThrowRevoked(message.Length);
        }

        sequence = position;
        _lastSequence = position;
        Committed();
        return true;
    }

    /// <summary>
    /// Claims room for a message of <paramref name="length"/> bytes and hands out the payload span to fill in place
    /// (zero copy). Follow with <see cref="Commit"/> or <see cref="Abort"/>; until then readers wait at this message,
    /// for at most <see cref="RingOptions.StuckWriterTimeout"/>. Returns false if the ring is full.
    /// </summary>
    public bool TryClaim(int length, int type, out Span<byte> payload)
    {
        long slots = CheckWrite(length, type);
        if (!TryReserve(slots, out long position))
        {
            payload = default;
            return false;
        }

        byte* slot = SlotOf(position);
        *(int*)slot = length;
        *(int*)(slot + 4) = type;
        _claimPosition = position;
        _claimSlots = slots;
        payload = new Span<byte>(slot + ManyToManyRingDescriptor.MessageHeaderLength, length);
        return true;
    }

    /// <summary>Publishes the claimed message to the readers.</summary>
    /// <exception cref="InvalidOperationException">
    /// No claim is pending, or a reader revoked the claim because it was held longer than
    /// <see cref="RingOptions.StuckWriterTimeout"/> (the message is not delivered).
    /// </exception>
    public void Commit()
    {
        long position = _claimPosition;
        if (position < 0)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        _claimPosition = -1;
        long writing = MakeStamp(ManyToManyRingDescriptor.Writing, _writerIndex, position);
        if (Interlocked.CompareExchange(ref *StampOf(position), MakeStamp(ManyToManyRingDescriptor.Committed, 0, position), writing) != writing)
        {
            AcknowledgeRevocation(position, _claimSlots);
            ThrowRevoked(*(int*)SlotOf(position));
        }

        _lastSequence = position;
        Committed();
    }

    /// <summary>Withdraws the pending claim: the message becomes padding that readers skip.</summary>
    /// <exception cref="InvalidOperationException">No claim is pending.</exception>
    public void Abort()
    {
        if (_claimPosition < 0)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        AbortClaim();
    }

    /// <summary>The sequence of the last message this object committed (see <see cref="TryGetTaker"/>); -1 if none.</summary>
    public long LastSequence => _lastSequence;

    /// <summary>
    /// Marks the end of the stream for every writer: the completed bit is set in the enqueue cursor, so no claim
    /// succeeds afterwards; readers take what was claimed before, then see <see cref="ReadStatus.Completed"/>. Idempotent.
    /// </summary>
    public void Complete()
    {
        if (!_isWriter)
        {
            AttachWriter();
        }

        if (_claimPosition >= 0)
        {
            ThrowHelper.ThrowClaimPending(Name);
        }

        long cursor = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset);
        while (cursor >= 0)
        {
            long seen = _memory.CompareExchangeInt64(ManyToManyRingDescriptor.EnqueueOffset, cursor | ManyToManyRingDescriptor.CompletedMark, cursor);
            if (seen == cursor)
            {
                _memory.WriteInt32Release(ManyToManyRingDescriptor.CompletedByOffset, ProcessLiveness.CurrentProcessId);
                break;
            }

            cursor = seen;
        }

        _dataSite.Wake();
        _spaceSite.Interrupt();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long CheckWrite(int length, int type)
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

        if (_claimPosition >= 0)
        {
            ThrowHelper.ThrowClaimPending(Name);
        }

        return ManyToManyRingDescriptor.SlotsFor(length);
    }

    /// <summary>
    /// Claims <paramref name="slots"/> consecutive slots at the enqueue cursor, first filling the end of the slot array
    /// with a padding message if they would wrap. Returns false if the ring is full.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReserve(long slots, out long position)
    {
        while (true)
        {
            long cursor = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset);
            if (cursor < 0)
            {
                ThrowHelper.ThrowCompleted(Name);
            }

            long toEnd = _slotCount - (cursor % _slotCount);
            long claim = slots <= toEnd ? slots : toEnd;
            ClaimResult result = TryClaimAt(cursor, claim);
            if (result == ClaimResult.Retry)
            {
                continue;
            }

            if (result == ClaimResult.Full)
            {
                _memory.WriteInt64Release(_writerEntry + ManyToManyRingDescriptor.FullStallsField, ++_fullStalls);
                position = -1;
                return false;
            }

            if (claim != slots)
            {
                // A padding message over the end of the slot array; the message itself goes at the start.
                byte* slot = SlotOf(cursor);
                *(int*)slot = (int)((claim * ManyToManyRingDescriptor.SlotLength) - ManyToManyRingDescriptor.MessageHeaderLength);
                *(int*)(slot + 4) = FrameDescriptor.PaddingType;
                long writing = MakeStamp(ManyToManyRingDescriptor.Writing, _writerIndex, cursor);
                if (Interlocked.CompareExchange(ref *StampOf(cursor), MakeStamp(ManyToManyRingDescriptor.Committed, 0, cursor), writing) != writing)
                {
                    AcknowledgeRevocation(cursor, claim);
                }

                WakeReadersIfSleeping();
                continue;
            }

            position = cursor;
            return true;
        }
    }

    /// <summary>One attempt to claim <paramref name="slots"/> slots at <paramref name="cursor"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ClaimResult TryClaimAt(long cursor, long slots)
    {
        long* head = StampOf(cursor);
        long stamp = Volatile.Read(ref *head);
        if (stamp != cursor)
        {
            // Not "free for cursor" (that stamp is the position itself).
            long at = PositionOf(stamp);
            if (at == cursor)
            {
                HelpAdvance(ManyToManyRingDescriptor.EnqueueOffset, cursor, stamp);
                return ClaimResult.Retry;
            }

            return at < cursor && _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset) == cursor ? ClaimResult.Full : ClaimResult.Retry;
        }

        // The slots after the head must be free for this lap too (a message of the previous lap may still cover them).
        for (long i = 1; i < slots; i++)
        {
            long interior = Volatile.Read(ref *StampOf(cursor + i));
            if (interior != cursor + i)
            {
                return PositionOf(interior) < cursor + i && _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset) == cursor ? ClaimResult.Full : ClaimResult.Retry;
            }
        }

        // The intent, then the claim: the compare-and-swap is a full fence, so whoever sees our number in the stamp
        // finds the intent that says how many slots the claim covers.
        RecordIntent(_writerEntry, cursor, slots);
        if (Interlocked.CompareExchange(ref *head, MakeStamp(ManyToManyRingDescriptor.Writing, _writerIndex, cursor), cursor) != cursor)
        {
            return ClaimResult.Retry;
        }

        long seen = _memory.CompareExchangeInt64(ManyToManyRingDescriptor.EnqueueOffset, cursor + slots, cursor);
        if (seen == (cursor | ManyToManyRingDescriptor.CompletedMark))
        {
            // Completed while we claimed: the claim is past the end of the stream. Give the slot back (no reader or
            // recoverer touches a claim at an un-advanced, completed cursor).
            Volatile.Write(ref *head, cursor);
            ThrowHelper.ThrowCompleted(Name);
        }

        // Otherwise the cursor moved past us, by us or by a party that helped.
        return ClaimResult.Claimed;
    }

    /// <summary>
    /// Records the claim this party is about to make: slot count first, then the position with a release store. A
    /// helper reads position, count, position and trusts the count only if both positions match (a party's positions
    /// only grow, so an unchanged position means an unchanged count).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RecordIntent(long entry, long position, long slots)
    {
        if (_memory.ReadInt64Plain(entry + ManyToManyRingDescriptor.IntentSlotsField) != slots)
        {
            _memory.WriteInt64Release(entry + ManyToManyRingDescriptor.IntentPositionField, -1);
            _memory.WriteInt64Release(entry + ManyToManyRingDescriptor.IntentSlotsField, slots);
        }

        _memory.WriteInt64Release(entry + ManyToManyRingDescriptor.IntentPositionField, position);
    }

    /// <summary>
    /// Moves the cursor at <paramref name="offset"/> from <paramref name="position"/> past the claim named by
    /// <paramref name="stamp"/> (a claimed stamp at that position), using the claimant's recorded intent. Lock-free
    /// helping: a failed compare-and-swap means someone else moved it.
    /// </summary>
    private void HelpAdvance(long offset, long position, long stamp)
    {
        if (IntentOf(PartyOf(stamp), position, out long slots))
        {
            _memory.CompareExchangeInt64(offset, position + slots, position);
        }
    }

    /// <summary>The slot count of party <paramref name="party"/>'s claim at <paramref name="position"/>, if its intent still says so.</summary>
    private bool IntentOf(int party, long position, out long slots)
    {
        long entry = EntryOfParty(party);
        slots = 0;
        if (entry < 0)
        {
            ThrowHelper.ThrowCorrupted(Name, $"the stamp at position {position} names party {party}; parties are writers 0 to {ManyToManyRingDescriptor.MaxWriters - 1} and readers {ManyToManyRingDescriptor.ReaderPartyBase} to {ManyToManyRingDescriptor.ReaderPartyBase + ManyToManyRingDescriptor.MaxReaders - 1}");
        }

        if (_memory.ReadInt64Acquire(entry + ManyToManyRingDescriptor.IntentPositionField) != position)
        {
            return false;
        }

        slots = _memory.ReadInt64Acquire(entry + ManyToManyRingDescriptor.IntentSlotsField);
        if (_memory.ReadInt64Acquire(entry + ManyToManyRingDescriptor.IntentPositionField) != position)
        {
            return false;
        }

        if (slots < 1 || slots > _slotCount - (position % _slotCount))
        {
            ThrowHelper.ThrowCorrupted(Name, $"party {party} records a claim of {slots} slots at position {position}; a claim takes 1 to {_slotCount - (position % _slotCount)} slots there");
        }

        return true;
    }

    private long EntryOfParty(int party) =>
        party < ManyToManyRingDescriptor.MaxWriters ? _writers.EntryOffset(party)
        : party >= ManyToManyRingDescriptor.ReaderPartyBase && party < ManyToManyRingDescriptor.ReaderPartyBase + ManyToManyRingDescriptor.MaxReaders ? _readers.EntryOffset(party - ManyToManyRingDescriptor.ReaderPartyBase)
        : -1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Committed()
    {
        _memory.WriteInt64Release(_writerEntry + ManyToManyRingDescriptor.MessagesField, ++_messagesWritten);
        WakeReadersIfSleeping();
    }

    /// <summary>W2/W3 of the wake-up protocol (see WaitLoop): a fence after the publishing store, then the sleeper count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WakeReadersIfSleeping()
    {
        AsymmetricFence.Light();
        if (_dataSite.HasSleepers)
        {
            _dataSite.Wake();
        }
    }

    private void AbortClaim()
    {
        long position = _claimPosition;
        _claimPosition = -1;
        byte* slot = SlotOf(position);
        *(int*)slot = (int)((_claimSlots * ManyToManyRingDescriptor.SlotLength) - ManyToManyRingDescriptor.MessageHeaderLength);
        *(int*)(slot + 4) = FrameDescriptor.PaddingType;
        long writing = MakeStamp(ManyToManyRingDescriptor.Writing, _writerIndex, position);
        if (Interlocked.CompareExchange(ref *StampOf(position), MakeStamp(ManyToManyRingDescriptor.Committed, 0, position), writing) != writing)
        {
            AcknowledgeRevocation(position, _claimSlots);
        }

        WakeReadersIfSleeping();
    }

    /// <summary>A reader revoked our claim (readers have passed it): we no longer touch its slots, so free them.</summary>
    private void AcknowledgeRevocation(long position, long slots)
    {
        long revoked = MakeStamp(ManyToManyRingDescriptor.Revoked, _writerIndex, position);
        if (Volatile.Read(ref *StampOf(position)) == revoked)
        {
            // The revoking reader may not have moved the dequeue cursor past the claim yet: do it before freeing, or
            // readers would find a stamp of the next lap at the cursor and never learn how far to move it.
            _memory.CompareExchangeInt64(ManyToManyRingDescriptor.DequeueOffset, position + slots, position);
            FreeSlots(position, slots, revoked);
        }
    }

    /// <summary>
    /// Frees the <paramref name="slots"/> slots of the message at <paramref name="position"/> for the next lap: the
    /// interior stamps, then the head stamp by compare-and-swap from <paramref name="expected"/> (release: every read of
    /// the message happened before; a writer's acquire load of the stamp pairs with it).
    /// </summary>
    private bool FreeSlots(long position, long slots, long expected)
    {
        for (long i = 1; i < slots; i++)
        {
            Volatile.Write(ref *StampOf(position + i), position + i + _slotCount);
        }

        bool freed = Interlocked.CompareExchange(ref *StampOf(position), position + _slotCount, expected) == expected;
        AsymmetricFence.Light();
        if (_spaceSite.HasSleepers)
        {
            _spaceSite.Wake();
        }

        return freed;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowRevoked(int length) =>
        throw new InvalidOperationException(
            $"The claim of {length} bytes on ring '{Name}' was revoked by a reader: it was held longer than the stuck-writer timeout. The message was not delivered.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachWriter()
    {
        ThrowIfDisposed();
        int index = Attach(_writers, 0);
        if (index < 0)
        {
            throw new InvalidOperationException(
                $"Ring '{Name}' has {ManyToManyRingDescriptor.MaxWriters} writers attached, live or with claims not yet recovered: the most a many-to-many ring takes at once.");
        }

        _writerEntry = _writers.EntryOffset(index);
        _writerIndex = index;
        _messagesWritten = 0;
        _fullStalls = 0;
        _isWriter = true;
    }

    /// <summary>Takes a free entry, or a dead party's entry once its pending claim is recovered; resets its fields.</summary>
    private int Attach(PartyTable table, int partyBase)
    {
        long me = ProcessLiveness.CurrentIdentity;
        int index = table.TryAttach(me, reclaimDead: false);
        if (index < 0)
        {
            for (int i = 0; i < table.Count && index < 0; i++)
            {
                long holder = table.IdentityAt(i);
                // Reclaim first: holding the entry makes us the only one who may finish its pending claim.
                if (holder != 0 && !ProcessLiveness.IsAlive(holder) && table.TryReclaim(i, holder, me))
                {
                    RecoverReclaimed(partyBase + i);
                    Retire(table.EntryOffset(i), partyBase == 0);
                    index = i;
                }
            }
        }

        if (index >= 0)
        {
            long entry = table.EntryOffset(index);
            _memory.WriteInt64Plain(entry + ManyToManyRingDescriptor.MessagesField, 0);
            _memory.WriteInt64Plain(entry + ManyToManyRingDescriptor.FullStallsField, 0);
            _memory.WriteInt64Plain(entry + ManyToManyRingDescriptor.IntentSlotsField, 0);
            _memory.WriteInt64Release(entry + ManyToManyRingDescriptor.IntentPositionField, -1);
        }

        return index;
    }

    /// <summary>Adds an entry's counters to the retired totals (atomic adds: any party may retire one).</summary>
    private void Retire(long entry, bool isWriter)
    {
        long messages = _memory.ReadInt64Acquire(entry + ManyToManyRingDescriptor.MessagesField);
        _memory.AddInt64(isWriter ? ManyToManyRingDescriptor.RetiredMessagesWrittenOffset : ManyToManyRingDescriptor.RetiredMessagesReadOffset, messages);
        if (isWriter)
        {
            _memory.AddInt64(ManyToManyRingDescriptor.RetiredFullStallsOffset, _memory.ReadInt64Acquire(entry + ManyToManyRingDescriptor.FullStallsField));
        }
    }

    private void Detach(PartyTable table, int index, long entry, bool isWriter)
    {
        Retire(entry, isWriter);
        _memory.WriteInt64Plain(entry + ManyToManyRingDescriptor.MessagesField, 0);
        _memory.WriteInt64Plain(entry + ManyToManyRingDescriptor.FullStallsField, 0);
        _memory.WriteInt64Plain(entry + ManyToManyRingDescriptor.IntentPositionField, -1);
        table.Detach(index, ProcessLiveness.CurrentIdentity);
    }

    /// <summary>
    /// True if the slots a message of <paramref name="length"/> bytes would claim at the enqueue cursor are free for
    /// this lap (or the cursor moved, or the ring is completed: the write then retries or fails at once).
    /// </summary>
    private bool HasSpaceFor(int length)
    {
        long cursor = _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset);
        if (cursor < 0)
        {
            return true;
        }

        long slots = ManyToManyRingDescriptor.SlotsFor(length);
        long toEnd = _slotCount - (cursor % _slotCount);
        long claim = slots <= toEnd ? slots : toEnd;
        for (long i = 0; i < claim; i++)
        {
            if (PositionOf(Volatile.Read(ref *StampOf(cursor + i))) < cursor + i)
            {
                return false;
            }
        }

        return true;
    }
}
