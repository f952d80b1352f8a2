using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;

namespace Ring.Soak;

/// <summary>
/// The fuzz victim: one thread that writes a burst of numbered messages into its ring and reads them back, round after
/// round, verifying each one, while the hostile process writes into the segment (without frame checksums every eighth
/// message goes through claim and commit in place; with them all go through the copy path, which they protect). Every 16 rounds it also opens the
/// segment again (header validation) and replaces its reader object (attach validation). It classifies what each round
/// saw (<see cref="FuzzOutcome"/>); anything but a benign round ends the ring's generation and it makes a new ring.
/// Outcome counts go to its control slot (the first 16 per-writer words with checksums, the next 16 without); a bug is
/// also recorded as the slot's error, with the mutation that preceded it, and ends the run.
/// </summary>
internal static class FuzzVictim
{
    internal const int OutcomesWithChecksums = 0;
    internal const int OutcomesWithoutChecksums = 16;

    internal static string SegmentName(int victimPid, long generation) =>
        string.Create(CultureInfo.InvariantCulture, $"ringfuzz-{victimPid}-{generation}");

    internal static int Run(Args a, ControlBlock control, ControlSlot slot)
    {
        IRingTopology topology = Topologies.Find(a.Required("topology"));
        TopologySettings baseSettings = ChildMain.FromArgs(a);
        FuzzTarget target = topology.FuzzLayout(baseSettings) ?? throw new ArgumentException($"topology {topology.Name} cannot be fuzzed");
        string checksums = a.String("checksums-mode", "on");
        int maxSize = a.Int("max-size", 200);
        var random = new Random(a.Int("seed", 1) ^ 0x5EED);
        slot.State = SlotState.Running;
        byte[] buffer = new byte[maxSize + 64];
        var sink = new CheckingSink();
        long round = 0;
        for (long generation = 1; !control.Stop; generation++)
        {
            bool withChecksums = checksums == "on" || (checksums == "both" && (generation & 1) == 0);
            TopologySettings settings = baseSettings with { FrameChecksums = withChecksums };
            string name = SegmentName(Environment.ProcessId, generation);
            ITopologyInstance instance = topology.Create(name, settings);
            ITopologyWriter? writer = null;
            ITopologyReader? reader = null;
            try
            {
                writer = topology.OpenWriter(name, 0, settings);
                reader = topology.OpenReader(name, 0, settings);
                Volatile.Write(ref control.Shared(FuzzHostile.GenerationWord), generation);
                long written = 0;
                long read = 0;
                int idle = 0;
                FuzzOutcome outcome = FuzzOutcome.Benign;
                while (outcome == FuzzOutcome.Benign && !control.Stop)
                {
                    round++;
                    try
                    {
                        int wrote = 0;
                        int burst = random.Next(1, 33);
                        for (; wrote < burst; wrote++)
                        {
                            int length = SoakMessage.Length(0, written, SoakMessage.MinLength, maxSize);
                            if (!withChecksums && (written & 7) == 7)
                            {
                                if (!writer.TryClaim(length, SoakMessage.MessageType, out Span<byte> payload))
                                {
                                    break;
                                }

                                SoakMessage.Fill(payload, 0, written, 0);
                                writer.Commit();
                            }
                            else
                            {
                                SoakMessage.Fill(buffer.AsSpan(0, length), 0, written, 0);
                                if (!writer.TryWrite(buffer.AsSpan(0, length), SoakMessage.MessageType, TimeSpan.Zero))
                                {
                                    break;
                                }
                            }

                            written++;
                        }

                        int got = 0;
                        bool zeroCopy = (round & 3) == 0;
                        while (outcome == FuzzOutcome.Benign)
                        {
                            long due = read;
                            if (zeroCopy)
                            {
                                sink.Reset(due);
                                if (reader.TryRead(sink, 1) == 0)
                                {
                                    break;
                                }

                                outcome = Classify(sink.Intact, sink.Sequence, due, withChecksums, zeroCopyRead: true);
                            }
                            else
                            {
                                if (!reader.TryRead(buffer, out int length))
                                {
                                    break;
                                }

                                ReadOnlySpan<byte> message = buffer.AsSpan(0, length);
                                outcome = Classify(SoakMessage.IsIntact(message), message.Length >= 8 ? SoakMessage.Sequence(message) : -1, due, withChecksums, zeroCopyRead: false);
                            }

                            read++;
                            got++;
                        }

                        idle = wrote == 0 && got == 0 ? idle + 1 : 0;
                        if (outcome == FuzzOutcome.Benign && idle >= 2)
                        {
                            outcome = FuzzOutcome.Stalled;
                        }

                        if (outcome == FuzzOutcome.Benign && (round & 15) == 0)
                        {
                            outcome = Reopen(topology, name, settings, ref reader);
                        }
                    }
                    catch (RingCorruptedException)
                    {
                        outcome = FuzzOutcome.Detected;
                    }
                    catch (InvalidOperationException e) when (e.Message.Contains("already has a", StringComparison.Ordinal) || e.Message.Contains("was completed", StringComparison.Ordinal) ||
                        e.Message.Contains("was revoked", StringComparison.Ordinal))
                    {
                        outcome = FuzzOutcome.Refused;
                    }
                    catch (Exception e)
                    {
                        slot.SetError($"round {round}: {e.GetType().Name}: {e.Message} after the mutation: {FuzzHostile.Describe(control, target)} at {TopFrames(e)}");
                        outcome = FuzzOutcome.Bug;
                    }

                    if (outcome == FuzzOutcome.Bug && slot.Error.Length == 0)
                    {
                        slot.SetError($"round {round}: a corrupt message was delivered on a path frame checksums protect, after the mutation: {FuzzHostile.Describe(control, target)}");
                    }

                    slot.Received[(withChecksums ? OutcomesWithChecksums : OutcomesWithoutChecksums) + (int)outcome]++;
                    Volatile.Write(ref slot.Messages, round);
                    slot.Beat();
                    if (outcome == FuzzOutcome.Bug)
                    {
                        slot.State = SlotState.Failed;
                        return 1;
                    }
                }
            }
            finally
            {
                // The ring's objects validate nothing on dispose beyond their own pids; a forged pid just stays.
                writer?.Dispose();
                reader?.Dispose();
                instance.Dispose();
            }
        }

        slot.State = SlotState.Done;
        return 0;
    }

    /// <summary>
    /// What one message says about the ring: the next one in order and intact (benign), a later one (skipped), an older
    /// one (repeated), or damaged bytes. With frame checksums the victim writes only through the copy path (the checksum
    /// is taken from its own bytes), so damage may then only come through a zero-copy read, which hands out shared memory
    /// after checking it; anywhere else it is a bug.
    /// </summary>
    private static FuzzOutcome Classify(bool intact, long sequence, long due, bool withChecksums, bool zeroCopyRead)
    {
        if (!intact)
        {
            return withChecksums && !zeroCopyRead ? FuzzOutcome.Bug : FuzzOutcome.CorruptDelivered;
        }

        return sequence == due ? FuzzOutcome.Benign : sequence > due ? FuzzOutcome.Skipped : FuzzOutcome.Repeated;
    }

    /// <summary>Opens the segment again with a new reader object: the header rules now, the attach rules at its first read.</summary>
    private static FuzzOutcome Reopen(IRingTopology topology, string name, TopologySettings settings, ref ITopologyReader reader)
    {
        reader.Dispose();
        try
        {
            reader = topology.OpenReader(name, 0, settings with { OpenTimeout = TimeSpan.Zero });
            return FuzzOutcome.Benign;
        }
        catch (RingFormatException)
        {
            return FuzzOutcome.RefusedOnOpen;
        }
        catch (TimeoutException)
        {
            return FuzzOutcome.RefusedOnOpen;
        }
    }

    private static string TopFrames(Exception e) =>
        string.Join(" < ", (e.StackTrace ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(4).Select(l => l.Split(" in ")[0]));

    /// <summary>Checks a message in place (zero copy); remembers what it saw.</summary>
    private sealed class CheckingSink : IMessageSink
    {
        internal bool Intact { get; private set; }

        internal long Sequence { get; private set; }

        internal void Reset(long due)
        {
            Intact = true;
            Sequence = due;
        }

        public void OnMessage(ReadOnlySpan<byte> payload)
        {
            Intact = SoakMessage.IsIntact(payload);
            Sequence = payload.Length >= 8 ? SoakMessage.Sequence(payload) : -1;
        }
    }
}
