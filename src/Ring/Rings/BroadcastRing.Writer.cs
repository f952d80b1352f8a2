using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class BroadcastRing
{
    private const int Header = BroadcastFrameDescriptor.HeaderLength;

    /// <summary>
    /// Writes one message if there is room, without blocking. Gated: returns false if a registered reader has not read
    /// the frames the message needs (nothing written). Lossy: always writes, overwriting the oldest frames.
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
        Commit();
        return true;
    }

    /// <summary>
    /// Claims room for a message of <paramref name="length"/> bytes and hands out the payload span to fill in place
    /// (zero copy). Follow with <see cref="Commit"/> or <see cref="Abort"/> before the next write; until then readers see
    /// the frame as in progress. Returns false if a gated ring has no room (never in lossy mode).
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

        int frameLength = length + Header;
        int aligned = BroadcastFrameDescriptor.Align(frameLength);
        long tail = _tail;
        long index = tail & _mask;
        long toEnd = _capacity - index;

        // The frame (after padding to the end if it does not fit there) and the empty header after it. Positions below
        // need - capacity are overwritten; with frames of at most capacity / 2 that is never past the tail.
        long frameEnd = aligned <= toEnd ? tail + aligned : tail + toEnd + aligned;
        long need = frameEnd + Header;
        if (need - _capacity > _oldest && !Release(need - _capacity))
        {
            _memory.IncrementOwnedInt64(BroadcastRingDescriptor.FullStallsOffset);
            payload = default;
            return false;
        }

        long sequence = _sequence;
        byte* header;
        if (aligned <= toEnd)
        {
            header = _data + index;
            WriteEmptyHeader((index + aligned) & _mask, sequence + 1);
            WriteClaimHeader(header, type, sequence, frameLength);
            _claimPosition = tail;
        }
        else
        {
            // The frame starts at 0 and padding fills [index, end). The frame's header (in progress) and the empty
            // header after it go first; the padding is published last, with release, so a reader that passes the
            // padding finds the claim, not bytes of the previous lap.
            header = _data;
            WriteEmptyHeader(aligned, sequence + 1);
            WriteClaimHeader(header, type, sequence, frameLength);
            byte* padding = _data + index;
            ((int*)padding)[1] = BroadcastFrameDescriptor.PaddingType;
            *(long*)(padding + BroadcastFrameDescriptor.SequenceOffset) = sequence;
            Volatile.Write(ref *(int*)padding, (int)toEnd);
            _claimPosition = tail + toEnd;
            index = 0;
        }

        _tail = frameEnd;
        _claimIndex = index;
        _claimFrameLength = frameLength;
        payload = new Span<byte>(header + Header, length);
        return true;
    }

    /// <summary>Publishes the claimed message to every reader.</summary>
    /// <exception cref="InvalidOperationException">No claim is pending.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Commit()
    {
        int frameLength = _claimFrameLength;
        if (frameLength == 0)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        // Release: the payload stores happen before a reader can see a positive length.
        Volatile.Write(ref *(int*)(_data + _claimIndex), frameLength);
        _claimFrameLength = 0;
        long sequence = ++_sequence;

        // Release on the newest position: a joining reader that loads it (acquire) sees the frame committed there.
        // Release on the tail: the count stored before it is seen with it (statistics and a writer taking over).
        _memory.WriteInt64Release(BroadcastRingDescriptor.LatestOffset, _claimPosition);
        _memory.WriteInt64Plain(BroadcastRingDescriptor.MessagesWrittenOffset, sequence);
        _memory.WriteInt64Release(BroadcastRingDescriptor.TailOffset, _tail);
        WakeReadersIfSleeping();
    }

    /// <summary>Withdraws the pending claim: the frame becomes padding that readers skip; the next message takes its sequence number.</summary>
    /// <exception cref="InvalidOperationException">No claim is pending.</exception>
    public void Abort()
    {
        int frameLength = _claimFrameLength;
        if (frameLength == 0)
        {
            ThrowHelper.ThrowNoClaim(Name);
        }

        TurnClaimIntoPadding(_claimIndex, frameLength, _sequence);
        _claimFrameLength = 0;
        _memory.WriteInt64Release(BroadcastRingDescriptor.TailOffset, _tail);
        WakeReadersIfSleeping();
    }

    /// <summary>
    /// Marks the end of the stream: readers read what is left, then see <see cref="ReadStatus.Completed"/>, and readers
    /// blocked in a read return. Idempotent; writing afterwards throws.
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
        _memory.WriteInt32Release(BroadcastRingDescriptor.CompletedOffset, 1);

        // Rare: wake unconditionally rather than reason about sleepers.
        _core.DataSite.Wake();
    }

    /// <summary>
    /// The empty header after the newest frame: length 0 stops readers there, and the sequence says which message comes
    /// next (written before the frame before it is committed; readers reach it only after that commit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteEmptyHeader(long index, long nextSequence)
    {
        byte* header = _data + index;
        *(long*)header = 0;
        *(long*)(header + BroadcastFrameDescriptor.SequenceOffset) = nextSequence;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteClaimHeader(byte* header, int type, long sequence, int frameLength)
    {
        ((int*)header)[1] = type;
        *(long*)(header + BroadcastFrameDescriptor.SequenceOffset) = sequence;
        *(int*)header = -frameLength;
    }

    /// <summary>
    /// Turns the claim at <paramref name="index"/> into padding: the empty header after it first takes the claim's
    /// sequence (the next message reuses it), then the padding is published with release.
    /// </summary>
    private void TurnClaimIntoPadding(long index, int frameLength, long sequence)
    {
        int aligned = BroadcastFrameDescriptor.Align(frameLength);
        byte* header = _data + index;
        *(long*)(_data + ((index + aligned) & _mask) + BroadcastFrameDescriptor.SequenceOffset) = sequence;
        ((int*)header)[1] = BroadcastFrameDescriptor.PaddingType;
        *(long*)(header + BroadcastFrameDescriptor.SequenceOffset) = sequence;
        Volatile.Write(ref *(int*)header, aligned);
    }

    /// <summary>
    /// The waking half of the protocol proven at <see cref="WaitLoop"/>: after the release store that published a frame
    /// (W1), a fence (W2, asymmetric) and a load of the sleeper count (W3). No system call unless a reader sleeps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WakeReadersIfSleeping()
    {
        AsymmetricFence.Light();
        FutexSite site = _core.DataSite;
        if (site.HasSleepers)
        {
            site.Wake();
        }
    }

    /// <summary>
    /// Moves <c>oldest</c> to at least <paramref name="target"/> (every position below it is about to be overwritten) and
    /// publishes it before any byte is overwritten. False if a gated ring's readers have not read that far.
    /// </summary>
    private bool Release(long target)
    {
        if (_lossy)
        {
            Publish(Walk(_oldest, target));
            return true;
        }

        return ReleaseGated(target);
    }

    /// <summary>
    /// Stores the new <c>oldest</c> (release), then a store barrier: no byte below it is overwritten before a reader can
    /// see it. Pairs with a lossy reader's read barrier between its copy and its load of <c>oldest</c>: if the copy saw a
    /// byte of the new lap, the load sees this store (or a later one), and the reader discards the copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Publish(long oldest)
    {
        _oldest = oldest;
        _memory.WriteInt64Release(BroadcastRingDescriptor.OldestOffset, oldest);
        Volatile.WriteBarrier();
    }

    /// <summary>
    /// The first frame boundary at or after <paramref name="target"/>, walking the writer's own frames from
    /// <paramref name="from"/> (a boundary; every frame from there to the tail is committed or padding).
    /// </summary>
    private long Walk(long from, long target)
    {
        long position = from;
        while (position < target)
        {
            long index = position & _mask;
            int* header = (int*)(_data + index);
            int frameLength = Volatile.Read(ref header[0]);
            if (frameLength <= 0 || !_core.IsSaneFrame(index, frameLength, header[1]) ||
                position + BroadcastFrameDescriptor.Align(frameLength) > _tail)
            {
                ThrowHelper.ThrowCorrupted(Name,
                    $"the writer's walk from the oldest kept frame found length {frameLength} and type {header[1]} at position {position} (tail {_tail}); " +
                    "every frame below the tail must be committed, within the region and before the tail");
            }

            position += BroadcastFrameDescriptor.Align(frameLength);
        }

        return position;
    }

    /// <summary>
    /// Gated: the position below which every registered reader has read (its slowest reader's), or with no reader the
    /// first frame boundary at or after <paramref name="target"/>; false if a reader is below <paramref name="target"/>.
    /// The release point is published, then (full fence) the table is read again: a reader that joined meanwhile either
    /// is seen now or sees the new <c>oldest</c> and moves up to it (its half: store position, full fence, load oldest).
    /// </summary>
    private bool ReleaseGated(long target)
    {
        long slowest = SlowestReader();
        if (slowest < target && SweepDue() && EvictDeadReaders() > 0)
        {
            slowest = SlowestReader();
        }

        if (slowest < target)
        {
            return false;
        }

        long previous = _oldest;
        long release = slowest == long.MaxValue ? Walk(Math.Max(previous, _walkFloor), target) : slowest;
        _memory.WriteInt64Release(BroadcastRingDescriptor.OldestOffset, release);
        Interlocked.MemoryBarrier();
        long again = SlowestReader();
        if (again < release)
        {
            // A reader joined between the two looks: keep its frames. Frames below the previous release point may already
            // be overwritten, and a reader that completes its join is never below it, so a lower position belongs to a
            // reader still joining, which will move up.
            release = Math.Max(again, previous);
            _memory.WriteInt64Release(BroadcastRingDescriptor.OldestOffset, release);
        }

        _oldest = release;
        return again >= target;
    }

    /// <summary>The lowest position of a gating reader (long.MaxValue if none), each checked against the rules.</summary>
    private long SlowestReader()
    {
        int mark = _core.ReaderHighWater();
        long slowest = long.MaxValue;
        for (int i = 0; i < mark; i++)
        {
            long position = _memory.ReadInt64Acquire(BroadcastCore.ReaderSlotOffset(i) + BroadcastRingDescriptor.ReaderPositionOffset);
            if (position == BroadcastRingDescriptor.NotGating)
            {
                continue;
            }

            if (position < 0 || position > _tail || (position & (BroadcastFrameDescriptor.Alignment - 1)) != 0)
            {
                ThrowHelper.ThrowCorrupted(Name,
                    $"reader slot {i} holds position {position}; the rule is -1 (not gating) or a multiple of {BroadcastFrameDescriptor.Alignment} between 0 and the tail {_tail}");
            }

            slowest = Math.Min(slowest, position);
        }

        return slowest;
    }

    /// <summary>
    /// Detaches every reader whose process is dead (pid and start time), so that it stops gating: the slot is taken from
    /// the dead identity by compare-and-swap (a reader reclaiming the same slot wins or loses cleanly), its position set
    /// to not gating, and the slot freed. Returns how many it evicted.
    /// </summary>
    private int EvictDeadReaders()
    {
        PartyTable readers = _core.Readers;
        long me = ProcessLiveness.CurrentIdentity;
        int mark = _core.ReaderHighWater();
        int evicted = 0;
        for (int i = 0; i < mark; i++)
        {
            long holder = readers.IdentityAt(i);
            if (holder == 0 || ProcessLiveness.IsAlive(holder) || !readers.TryReclaim(i, holder, me))
            {
                continue;
            }

            _memory.WriteInt64Release(BroadcastCore.ReaderSlotOffset(i) + BroadcastRingDescriptor.ReaderPositionOffset, BroadcastRingDescriptor.NotGating);
            readers.Detach(i, me);
            _memory.IncrementOwnedInt64(BroadcastRingDescriptor.ReadersEvictedOffset);
            evicted++;
        }

        return evicted;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AttachWriter()
    {
        ThrowIfDisposed();
        long me = ProcessLiveness.CurrentIdentity;
        PartyTable writers = _core.Writers;
        while (writers.TryAttach(me, reclaimDead: false) < 0)
        {
            long holder = writers.IdentityAt(0);
            if (holder == me)
            {
                throw new InvalidOperationException($"Broadcast ring '{Name}' already has a writer in this process (pid {ProcessLiveness.CurrentProcessId}): one writer object per ring.");
            }

            if (holder != 0 && ProcessLiveness.IsAlive(holder))
            {
                throw new InvalidOperationException(
                    $"Broadcast ring '{Name}' already has a writer: process {ProcessLiveness.ProcessIdOf(holder)} is alive. A broadcast ring takes one writer at a time.");
            }

            if (holder != 0 && writers.TryReclaim(0, holder, me))
            {
                break;
            }
        }

        // Taken (the compare-and-swap was a full fence): whatever the previous writer published is visible.
        (long oldest, _, long tail) = _core.ReadPublishedPositions();
        if (tail - oldest > _capacity)
        {
            ThrowHelper.ThrowCorrupted(Name, $"the writer's positions are oldest {oldest} and tail {tail}; the rule is tail - oldest <= capacity {_capacity}");
        }

        _oldest = oldest;
        _tail = tail;
        _sequence = _memory.ReadInt64Acquire(BroadcastRingDescriptor.MessagesWrittenOffset);
        _writerCompleted = _core.IsCompleted;
        RecoverFromPreviousWriter();
        _walkFloor = oldest;
        if (!_lossy)
        {
            FinishPreviousRelease();
        }

        _isWriter = true;
    }

    /// <summary>
    /// Gated, on attach: the previous writer may have died between publishing <c>oldest</c> and reading the reader table
    /// again, so a reader may have completed its join below it, against a release that was never finished. Finish it:
    /// publish, full fence, read the table; a reader below keeps its frames (they are intact: the dead writer overwrote
    /// nothing past its previous release, which that reader had passed). Walks never start below the published value,
    /// whose frames are known to be whole.
    /// </summary>
    private void FinishPreviousRelease()
    {
        _memory.WriteInt64Release(BroadcastRingDescriptor.OldestOffset, _oldest);
        Interlocked.MemoryBarrier();
        _oldest = Math.Min(_oldest, SlowestReader());
    }

    /// <summary>
    /// Walks from the published tail to the empty header: a frame the previous writer committed without publishing the
    /// tail is kept (counted), a claim it never committed (it died, or disposed mid-claim) becomes padding (counted as a
    /// torn claim). Then the tail, the count and the newest position are published again. Frames are written only by
    /// writers, and the previous one no longer writes, so the walk races with nothing but readers' reads.
    /// </summary>
    private void RecoverFromPreviousWriter()
    {
        long position = _tail;
        long latest = -1;
        while (true)
        {
            if (position - _tail > _capacity)
            {
                ThrowHelper.ThrowCorrupted(Name, $"the writer found no empty header within a lap of the tail {_tail}");
            }

            long index = position & _mask;
            byte* header = _data + index;
            int frameLength = Volatile.Read(ref *(int*)header);
            int type = ((int*)header)[1];
            long sequence = *(long*)(header + BroadcastFrameDescriptor.SequenceOffset);
            if (frameLength == 0)
            {
                if (sequence < _sequence)
                {
                    ThrowHelper.ThrowCorrupted(Name, $"the empty header at position {position} names message {sequence}, but {_sequence} were committed");
                }

                _sequence = sequence;
                break;
            }

            int length = frameLength < 0 ? (frameLength == int.MinValue ? 0 : -frameLength) : frameLength;
            if (!_core.IsSaneFrame(index, length, frameLength < 0 ? 0 : type))
            {
                _core.ThrowBadFrame(position, frameLength, type);
            }

            if (frameLength < 0)
            {
                TurnClaimIntoPadding(index, length, sequence);
                _memory.IncrementOwnedInt64(BroadcastRingDescriptor.TornClaimsOffset);
            }
            else if (type != BroadcastFrameDescriptor.PaddingType)
            {
                latest = position;
            }

            position += BroadcastFrameDescriptor.Align(length);
        }

        _tail = position;
        if (latest >= 0)
        {
            _memory.WriteInt64Release(BroadcastRingDescriptor.LatestOffset, latest);
        }

        _memory.WriteInt64Plain(BroadcastRingDescriptor.MessagesWrittenOffset, _sequence);
        _memory.WriteInt64Release(BroadcastRingDescriptor.TailOffset, _tail);
    }
}
