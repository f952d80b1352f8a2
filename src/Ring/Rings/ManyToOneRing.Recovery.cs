using System;
using System.Threading;
using Ring.Layout;

namespace Ring;

public sealed unsafe partial class ManyToOneRing
{
    private enum Claimant
    {
        /// <summary>No writer's intent covers the position.</summary>
        None,

        /// <summary>A live writer's intent covers it: the claim may still be written.</summary>
        Alive,

        /// <summary>Only dead writers' intents cover it.</summary>
        Dead,
    }

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
    /// The reader found no committed frame at head although the tail is past it: a claim there is unwritten (length 0)
    /// or in progress (negative). If every writer whose intent covers it is dead, the claim is turned into padding (a
    /// torn claim); if a live writer has held a zero-copy claim there for longer than the stuck-writer timeout, it is
    /// revoked. Returns true if the frame at head can be read or passed now.
    /// </summary>
    private bool TryRecoverAtHead()
    {
        long head = _head;
        long index = head & _mask;
        long* header = (long*)(_data + index);
        long word = Volatile.Read(ref *header);
        int frameLength = (int)word;
        if (frameLength > 0 || (frameLength < 0 && (int)(word >> 32) == ManyToOneRingDescriptor.RevokedType))
        {
            return true;
        }

        long tail = _memory.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset) & ~ManyToOneRingDescriptor.CompletedMark;
        if (tail == head)
        {
            _stallPosition = -1;
            return false; // nothing claimed: simply empty
        }

        CheckPositions(_free, head, tail, "the reader's recovery check");
        long now = Now();
        if (head != _stallPosition || word != _stallWord)
        {
            _stallPosition = head;
            _stallWord = word;
            _stallSince = now;
        }

        bool stuck = now - _stallSince >= _stuckTicks;
        Claimant claimant = ClaimantState(head, out long claimEnd);

        // The claimant may have written the header while we looked at the table: start again from the frame.
        if (Volatile.Read(ref *header) != word)
        {
            return true;
        }

        if (frameLength < 0)
        {
            int aligned = FrameDescriptor.Align(-frameLength);
            if (claimant != Claimant.Alive)
            {
                // Dead (or unknown) writer: its claim will never be committed.
                if (Interlocked.CompareExchange(ref *header, HeaderWord(aligned, FrameDescriptor.PaddingType), word) == word)
                {
                    _memory.IncrementOwnedInt64(ManyToOneRingDescriptor.TornClaimsOffset);
                }

                return true;
            }

            if (stuck)
            {
                // A live writer holds it too long: revoke it. Its commit will fail; readers pass it at once, but the space
                // is not reused until the writer acknowledges (turns it into padding) or dies.
                if (Interlocked.CompareExchange(ref *header, HeaderWord(frameLength, ManyToOneRingDescriptor.RevokedType), word) == word)
                {
                    _memory.IncrementOwnedInt64(ManyToOneRingDescriptor.RevokedClaimsOffset);
                }

                return true;
            }

            return false;
        }

        // Length 0: claimed, nothing written yet. A live claimant is inside a copy (no user code runs there): wait.
        if (claimant == Claimant.Alive)
        {
            return false;
        }

        if (claimant == Claimant.None)
        {
            // The tail says claimed, no writer says so. Correct writers never leave this state (the intent is recorded
            // before the claim); give a writer outside the protocol the stuck-writer timeout, then report corruption.
            if (stuck)
            {
                ThrowHelper.ThrowCorrupted(Name, $"the tail is {tail} but nothing was written at position {head} for {TimeSpan.FromSeconds((double)(now - _stallSince) / System.Diagnostics.Stopwatch.Frequency)} and no writer has claimed it");
            }

            return false;
        }

        if (claimEnd > tail || ((claimEnd - head) & (FrameDescriptor.Alignment - 1)) != 0)
        {
            ThrowHelper.ThrowCorrupted(Name, $"a dead writer's claim at position {head} ends at {claimEnd}, past the tail {tail} or not a multiple of {FrameDescriptor.Alignment}");
        }

        PadRange(head, claimEnd);
        _memory.IncrementOwnedInt64(ManyToOneRingDescriptor.TornClaimsOffset);
        return true;
    }

    /// <summary>
    /// Whose claim covers <paramref name="position"/>, from the intents in the writer table. For a dead claimant,
    /// <paramref name="claimEnd"/> is where its claim ends (the nearest end, should two dead writers have recorded
    /// intents over the same position: only one of them won the claim, and the shorter never overruns a live frame).
    /// </summary>
    private Claimant ClaimantState(long position, out long claimEnd)
    {
        claimEnd = long.MaxValue;
        bool dead = false;
        for (int i = 0; i < _writers.Count; i++)
        {
            long identity = _writers.IdentityAt(i);
            if (identity == 0)
            {
                continue;
            }

            long entry = _writers.EntryOffset(i);
            long intent = _memory.ReadInt64Acquire(entry + ManyToOneRingDescriptor.IntentPositionField);
            long length = _memory.ReadInt64Acquire(entry + ManyToOneRingDescriptor.IntentLengthField);
            if (intent < 0 || length <= 0 || position < intent || position - intent >= length ||
                _memory.ReadInt64Acquire(entry + ManyToOneRingDescriptor.IntentPositionField) != intent)
            {
                continue;
            }

            if (ProcessLiveness.IsAlive(identity))
            {
                return Claimant.Alive;
            }

            dead = true;
            claimEnd = Math.Min(claimEnd, intent + length);
        }

        return dead ? Claimant.Dead : Claimant.None;
    }

    /// <summary>Turns positions [from, to) into padding records (two if the range wraps), the record at <paramref name="from"/> last.</summary>
    private void PadRange(long from, long to)
    {
        long start = from & _mask;
        long length = to - from;
        long first = Math.Min(length, _capacity - start);
        if (length > first)
        {
            Volatile.Write(ref *(long*)_data, HeaderWord((int)(length - first), FrameDescriptor.PaddingType));
        }

        Volatile.Write(ref *(long*)(_data + start), HeaderWord((int)first, FrameDescriptor.PaddingType));
    }

    /// <summary>True if at least one writer is attached and every attached writer is dead.</summary>
    private bool AllWritersDead()
    {
        bool any = false;
        for (int i = 0; i < _writers.Count; i++)
        {
            long identity = _writers.IdentityAt(i);
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
