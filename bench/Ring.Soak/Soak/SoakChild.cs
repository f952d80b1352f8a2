using System;
using System.Diagnostics;
using System.Threading;

namespace Ring.Soak;

/// <summary>
/// The soak's writer and reader processes. A writer sends numbered messages until the parent says stop (a sixteenth of
/// them through claim/commit in place, the rest through the blocking copy), then completes. A reader takes messages in
/// zero-copy batches and, when none is there, through the blocking copy path, verifying each one, until the parent says
/// everything has arrived. Neither allocates per message.
/// </summary>
internal static class SoakChild
{
    private static readonly TimeSpan WaitSlice = TimeSpan.FromMilliseconds(100);

    internal static int RunWriter(Args a, ControlBlock control, ControlSlot slot)
    {
        IRingTopology topology = Topologies.Find(a.Required("topology"));
        TopologySettings settings = ChildMain.FromArgs(a);
        int index = a.Int("index", 0);
        int minSize = a.Int("min-size", SoakMessage.MinLength);
        int maxSize = a.Int("max-size", 256);
        double rate = a.Double("rate", 0);
        using ITopologyWriter writer = topology.OpenWriter(a.Required("name"), index, settings);
        byte[] buffer = new byte[maxSize];
        if (!WaitForGo(control, slot))
        {
            return 0;
        }

        long sequence = 0;
        long bytes = 0;
        long timeouts = 0;
        long collections = 0;
        long start = Stopwatch.GetTimestamp();
        double ticksPerMessage = rate > 0 ? Stopwatch.Frequency / rate : 0;
        while (!control.Stop)
        {
            CollectIfAsked(control, slot, ref collections);
            if (ticksPerMessage > 0 && !Pace(control, start + (long)(sequence * ticksPerMessage)))
            {
                break;
            }

            int length = SoakMessage.Length(index, sequence, minSize, maxSize);
            if ((sequence & 15) == 15 && writer.TryClaim(length, SoakMessage.MessageType, out Span<byte> payload))
            {
                SoakMessage.Fill(payload, index, sequence, Stopwatch.GetTimestamp());
                writer.Commit();
            }
            else
            {
                Span<byte> message = buffer.AsSpan(0, length);
                SoakMessage.Fill(message, index, sequence, Stopwatch.GetTimestamp());
                bool written;
                while (!(written = writer.TryWrite(message, SoakMessage.MessageType, WaitSlice)) && !control.Stop)
                {
                    CollectIfAsked(control, slot, ref collections);
                    timeouts++;
                    slot.WaitTimeouts = timeouts;
                    slot.Beat();
                }

                if (!written)
                {
                    break;
                }
            }

            sequence++;
            bytes += length;
            if ((sequence & 1023) == 0)
            {
                slot.Bytes = bytes;
                Volatile.Write(ref slot.Messages, sequence);
                slot.Beat();
            }
        }

        // Completion ends the stream for every writer of the ring: only a sole writer completes it (the parent ends the
        // readers of a ring with several writers once everything sent has arrived).
        if (settings.Writers == 1)
        {
            writer.Complete();
        }

        slot.Bytes = bytes;
        slot.WaitTimeouts = timeouts;
        Volatile.Write(ref slot.Messages, sequence);
        slot.Beat();
        slot.State = SlotState.Done;
        return 0;
    }

    internal static int RunReader(Args a, ControlBlock control, ControlSlot slot)
    {
        IRingTopology topology = Topologies.Find(a.Required("topology"));
        TopologySettings settings = ChildMain.FromArgs(a);
        using ITopologyReader reader = topology.OpenReader(a.Required("name"), a.Int("index", 0), settings);
        var verifier = new MessageVerifier(settings.Writers, topology.Delivery == Delivery.EveryReaderGetsAll);
        byte[] buffer = new byte[reader.MaxMessageLength];
        if (!WaitForGo(control, slot))
        {
            return 0;
        }

        long published = 0;
        long collections = 0;
        while (true)
        {
            int n = reader.TryRead(verifier, 256);
            if (n == 0)
            {
                CollectIfAsked(control, slot, ref collections);
                if (control.Finish)
                {
                    break;
                }

                ReadOutcome outcome = reader.Read(buffer, out int length, WaitSlice);
                if (outcome == ReadOutcome.Message)
                {
                    verifier.OnMessage(buffer.AsSpan(0, length));
                }
                else if (outcome == ReadOutcome.PeerDied)
                {
                    slot.PeerDeaths++;
                    slot.SetError("a writer died during the soak");
                    Thread.Sleep(10);
                }
                else if (outcome == ReadOutcome.Completed)
                {
                    Thread.Sleep(1);
                }

                verifier.Publish(slot);
                published = verifier.Messages;
                slot.Beat();
            }
            else if (verifier.Messages - published >= 4096)
            {
                CollectIfAsked(control, slot, ref collections);
                verifier.Publish(slot);
                published = verifier.Messages;
                slot.Beat();
            }
        }

        verifier.Publish(slot);
        slot.Beat();
        slot.State = SlotState.Done;
        return 0;
    }

    /// <summary>
    /// When the parent asks (after the warm-up, and at the end), a full blocking GC and the live heap it leaves: what the
    /// soak judges growth by, so that garbage (the EventPipe counters themselves allocate in the watched process) is not
    /// taken for a leak. A cheap check per message; the collection pauses this process for a few milliseconds, twice.
    /// </summary>
    private static void CollectIfAsked(ControlBlock control, ControlSlot slot, ref long done)
    {
        long asked = Volatile.Read(ref control.Shared(SoakRunner.CollectRequestWord));
        if (asked == done)
        {
            return;
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        long live = GC.GetTotalMemory(forceFullCollection: false);
        if (asked == 1)
        {
            slot.LiveHeapAfterWarmup = live;
        }
        else
        {
            slot.LiveHeapAtEnd = live;
        }

        done = asked;
        Volatile.Write(ref slot.CollectionsDone, asked);
    }

    /// <summary>Announces readiness and waits for the parent's go (false if it said stop first).</summary>
    internal static bool WaitForGo(ControlBlock control, ControlSlot slot)
    {
        slot.State = SlotState.Ready;
        slot.Beat();
        while (!control.Go)
        {
            if (control.Stop || control.Finish)
            {
                slot.State = SlotState.Done;
                return false;
            }

            Thread.Sleep(1);
        }

        slot.State = SlotState.Running;
        return true;
    }

    /// <summary>
    /// Waits until <paramref name="due"/> in naps of a millisecond, so that a paced writer sleeps and sends what fell due
    /// in bursts (its rate holds over time, not per message); false if told to stop.
    /// </summary>
    private static bool Pace(ControlBlock control, long due)
    {
        while (due - Stopwatch.GetTimestamp() > 0)
        {
            if (control.Stop)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }
}
