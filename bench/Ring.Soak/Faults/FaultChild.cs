using System;
using System.Diagnostics;
using System.Threading;

namespace Ring.Soak;

/// <summary>Where a fault writer is in its cycle; the parent reads it with the process stopped.</summary>
internal enum WriterPhase
{
    /// <summary>Between messages: everything committed is in the ledger.</summary>
    Idle = 0,

    /// <summary>About to claim (or waiting for room to claim): the claim may or may not exist.</summary>
    Claiming = 1,

    /// <summary>The claim exists; the commit may or may not have happened.</summary>
    Claimed = 2,

    /// <summary>Holding a claim on purpose, uncommitted, until killed.</summary>
    Held = 3,

    /// <summary>Inside a blocking copy write: claim and commit may or may not have happened.</summary>
    Writing = 4,

    /// <summary>The message is committed; the ledger may or may not count it yet.</summary>
    Recording = 5,
}

/// <summary>
/// The fault harness's writer and reader processes. Both keep their accounting in the control block, not in their own
/// memory, so that it survives their death: a writer stores how many messages it committed right after each commit, and
/// marks its phase around each claim and commit; a reader records each message's sequence number in the ledger before
/// the ring consumes it (zero-copy read of one message at a time), so a reader killed in between sees the same message
/// again in its successor, which is told apart from a real repeat.
/// </summary>
internal static class FaultChild
{
    private static readonly TimeSpan WaitSlice = TimeSpan.FromMilliseconds(500);

    internal static int RunWriter(Args a, ControlBlock control, ControlSlot slot)
    {
        IRingTopology topology = Topologies.Find(a.Required("topology"));
        TopologySettings settings = ChildMain.FromArgs(a);
        int incarnation = a.Int("incarnation", 0, 0, ControlBlock.LedgerEntries - 1);
        int maxSize = a.Int("max-size", 256);
        LedgerEntry ledger = control.Ledger(incarnation);
        using ITopologyWriter writer = topology.OpenWriter(a.Required("name"), a.Int("index", 0), settings);
        byte[] buffer = new byte[maxSize];
        slot.Incarnation = incarnation;
        slot.Beat();

        // Running is announced after the first commit, not before: rings attach a writer on its first claim, and the
        // parent may kill a running party at once and then expect its peers to notice. A party that never attached
        // leaves nothing in the segment to notice.
        for (long sequence = 0; !control.Stop; sequence++)
        {
            int length = SoakMessage.Length(incarnation, sequence, SoakMessage.MinLength, maxSize);
            if ((sequence & 3) != 3)
            {
                // Claim and commit, with the phase marked around each step (interlocked: ordered against the ring's stores).
                Interlocked.Exchange(ref slot.Phase, (long)WriterPhase.Claiming);
                Span<byte> payload;
                while (!writer.TryClaim(length, SoakMessage.MessageType, out payload))
                {
                    if (writer.WaitForSpace(length, WaitSlice) == ReadOutcome.PeerDied)
                    {
                        NoticePeerDeath(slot);
                    }

                    slot.Beat();
                    if (control.Stop)
                    {
                        return 0;
                    }
                }

                Interlocked.Exchange(ref slot.Phase, (long)WriterPhase.Claimed);
                SoakMessage.Fill(payload, incarnation, sequence, Stopwatch.GetTimestamp());
                if (Volatile.Read(ref slot.HoldRequest) != 0)
                {
                    Interlocked.Exchange(ref slot.Phase, (long)WriterPhase.Held);
                    while (!control.Stop)
                    {
                        slot.Beat();
                        Thread.Sleep(5);
                    }

                    return 0;
                }

                writer.Commit();
            }
            else
            {
                Interlocked.Exchange(ref slot.Phase, (long)WriterPhase.Writing);
                Span<byte> message = buffer.AsSpan(0, length);
                SoakMessage.Fill(message, incarnation, sequence, Stopwatch.GetTimestamp());
                while (true)
                {
                    try
                    {
                        if (writer.TryWrite(message, SoakMessage.MessageType, WaitSlice))
                        {
                            break;
                        }
                    }
                    catch (RingPeerDeadException)
                    {
                        NoticePeerDeath(slot);
                    }

                    slot.Beat();
                    if (control.Stop)
                    {
                        return 0;
                    }
                }
            }

            // Committed: say so before the ledger counts it, so that a stop in between is told apart from a claim.
            Interlocked.Exchange(ref slot.Phase, (long)WriterPhase.Recording);
            Interlocked.Exchange(ref ledger.Committed, sequence + 1);
            Interlocked.Exchange(ref slot.Phase, (long)WriterPhase.Idle);
            if (sequence == 0)
            {
                slot.State = SlotState.Running;
            }

            if ((sequence & 63) == 0)
            {
                Volatile.Write(ref slot.Messages, sequence + 1);
                slot.Beat();
            }
        }

        return 0;
    }

    internal static int RunReader(Args a, ControlBlock control, ControlSlot slot)
    {
        IRingTopology topology = Topologies.Find(a.Required("topology"));
        TopologySettings settings = ChildMain.FromArgs(a);
        int index = a.Int("index", 0, 0, LedgerEntry.MaxReaders - 1);
        using ITopologyReader reader = topology.OpenReader(a.Required("name"), index, settings);
        var sink = new LedgerSink(control, slot, index);

        // Read once before announcing Running: the ring attaches its reader on the first read, and a reader killed
        // before that would leave no trace for the writers to notice (the parent kills running parties at once).
        reader.TryRead(sink, 1);
        slot.State = SlotState.Running;
        slot.Beat();
        long beats = 0;
        while (!control.Stop)
        {
            if (reader.TryRead(sink, 1) == 0)
            {
                ReadOutcome outcome = reader.WaitForData(WaitSlice);
                if (outcome == ReadOutcome.PeerDied)
                {
                    NoticePeerDeath(slot);
                    Thread.Sleep(1);
                }
                else if (outcome == ReadOutcome.Completed)
                {
                    Thread.Sleep(1);
                }

                slot.Beat();
            }
            else if ((++beats & 63) == 0)
            {
                slot.Beat();
            }
        }

        return 0;
    }

    /// <summary>Counts a wait that ended because the peer died (the parent checks that a survivor notices).</summary>
    private static void NoticePeerDeath(ControlSlot slot) => Interlocked.Increment(ref slot.PeerDeaths);

    /// <summary>Records each message in the ledger before the ring consumes it, and checks it against what was due.</summary>
    private sealed class LedgerSink(ControlBlock control, ControlSlot slot, int reader) : IMessageSink
    {
        private bool _first = true;

        public void OnMessage(ReadOnlySpan<byte> payload)
        {
            if (!SoakMessage.IsIntact(payload))
            {
                slot.SetError($"reader {reader}: a corrupt message of {payload.Length} bytes arrived");
                Interlocked.Increment(ref slot.Corrupt);
                return;
            }

            int incarnation = SoakMessage.Writer(payload);
            long sequence = SoakMessage.Sequence(payload);
            ref long expected = ref control.Ledger(incarnation).Expected(reader);
            long due = Volatile.Read(ref expected);
            if (sequence == due)
            {
                Interlocked.Exchange(ref expected, due + 1);
            }
            else if (_first && sequence == due - 1 && incarnation == Volatile.Read(ref slot.Incarnation))
            {
                // The reader before this one recorded this message and was killed before the ring consumed it.
                Interlocked.Increment(ref slot.Redelivered);
            }
            else if (sequence > due)
            {
                Interlocked.Add(ref slot.Lost, sequence - due);
                slot.SetError($"reader {reader}: writer incarnation {incarnation} sent message {sequence} where {due} was due: {sequence - due} committed messages lost");
            }
            else
            {
                Interlocked.Increment(ref slot.Duplicated);
                slot.SetError($"reader {reader}: writer incarnation {incarnation}'s message {sequence} arrived again ({due} was due)");
            }

            _first = false;
            Interlocked.Exchange(ref slot.Incarnation, incarnation);
            Volatile.Write(ref slot.Messages, slot.Messages + 1);
        }
    }
}
