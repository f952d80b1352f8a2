using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Ring.TestPeer;
using Xunit;
using Xunit.Abstractions;

namespace Ring.Tests;

/// <summary>
/// Tier 5 for the slot rings: real peer processes, exact accounting of every message, and processes killed with
/// SIGKILL while they hold a claim and a value in the middle of a read.
/// </summary>
public class SlotCrossProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData(WaitStrategy.Hybrid)]
    [InlineData(WaitStrategy.Blocking)]
    public void OneToOneStreamArrivesIntactAndInOrder(WaitStrategy strategy)
    {
        const long Count = 1_000_000;
        using var seg = new TestSegment();
        using var reader = SlotRing<SlotPeerMessage>.Create(seg.Name, 256, Options(seg, strategy));
        using var writer = Peer.Start("slot-write", seg.Name, $"count={Count}", "writer=7", "complete=true", $"strategy={strategy}");
        for (long i = 0; i < Count; i++)
        {
            Assert.Equal(ReadStatus.Message, reader.Read(out SlotPeerMessage m, Long));
            if (!m.IsIntact || m.Sequence != i || m.Writer != 7)
            {
                Assert.Fail($"at {i}: {m}");
            }
        }

        Assert.Equal(ReadStatus.Completed, reader.Read(out _, Long));
        writer.AssertSuccess(Long);
        SlotRingStatistics s = reader.GetStatistics();
        Assert.Equal((Count, Count), (s.MessagesWritten, s.MessagesRead));
    }

    [Fact]
    public void OneToOneSleepingWriterIsWokenByTheReaderProcess()
    {
        const long Count = 50_000;
        using var seg = new TestSegment();
        using var writer = SlotRing<SlotPeerMessage>.Create(seg.Name, 16, Options(seg, WaitStrategy.Blocking));
        using var reader = Peer.Start("slot-read", seg.Name, $"count={Count}", "writer=3", "complete=true", "strategy=Blocking");
        for (long i = 0; i < Count; i++)
        {
            Assert.True(writer.TryWrite(SlotPeerMessage.For(3, i), Long));
        }

        writer.Complete();
        reader.AssertSuccess(Long);
        SlotRingStatistics s = writer.GetStatistics();
        Assert.True(s.WriterSleeps >= 1, "the writer slept on a full ring");
        Assert.True(s.WriterWakeups >= 1, "the reader process woke it");
    }

    [Fact]
    public void ManyToManyTwoWritersTwoReadersEveryMessageExactlyOnce()
    {
        const long PerWriter = 300_000;
        using var seg = new TestSegment();
        using var ring = ManyToManySlotRing<SlotPeerMessage>.Create(seg.Name, 1024, Options(seg, WaitStrategy.Hybrid));
        string tally = TallyFile(seg, PerWriter, victims: 0);
        try
        {
            var readers = new[] { StartReader(seg, tally, PerWriter), StartReader(seg, tally, PerWriter) };
            var writers = new[] { StartWriter(seg, 0, PerWriter), StartWriter(seg, 1, PerWriter) };
            try
            {
                foreach (Peer w in writers)
                {
                    w.AssertSuccess(Long);
                }

                ring.Complete();
                long read = readers.Sum(r => ReadCount(r));
                Assert.Equal(2 * PerWriter, read);
            }
            finally
            {
                DisposeAll(readers.Concat(writers));
            }

            AssertTally(tally, PerWriter, []);
            SlotRingStatistics s = ring.GetStatistics();
            Assert.Equal((2 * PerWriter, 2 * PerWriter), (s.MessagesWritten, s.MessagesRead));
            Assert.Equal((0L, 0L, 0L), (s.AbandonedClaims, s.SkippedPositions, s.Redeliveries));
        }
        finally
        {
            File.Delete(tally);
        }
    }

    [Fact]
    public void OneToOneAHundredKillsOfAWriterInItsClaimAndAReaderInItsRead()
    {
        const int Victims = 100;
        const int PerVictim = 50;
        var clock = Stopwatch.StartNew();
        using var seg = new TestSegment();
        using var ring = SlotRing<SlotPeerMessage>.Create(seg.Name, 64, Options(seg, WaitStrategy.Hybrid));
        for (int i = 0; i < Victims; i++)
        {
            // Each victim takes over both roles from the one killed before: it writes where the dead writer's claim
            // was (overwriting the half-written slot), and reads again the value the dead reader was reading.
            using var victim = Peer.Start("slot-victim", seg.Name, $"count={PerVictim}");
            string line = victim.WaitForLine("ready", Long);
            Assert.True(line.StartsWith("ready ok", StringComparison.Ordinal), $"victim {i}: {line}");
            victim.Kill();
        }

        output.WriteLine($"{Victims} victims in {clock.Elapsed}");

        // Every value the victims committed is there, in order, none twice: the last victim's reader died reading
        // position 4999 - 1, which is read again.
        SlotRingStatistics s = ring.GetStatistics();
        Assert.Equal(Victims * PerVictim, s.EnqueuePosition);
        long position = s.DequeuePosition;
        Assert.Equal((Victims * PerVictim) - 1, position);
        while (ring.TryRead(out SlotPeerMessage m))
        {
            Assert.True(m.IsIntact && m.Sequence == position, $"at {position}: {m}");
            position++;
        }

        Assert.Equal(Victims * PerVictim, position);
        Assert.Equal(ReadStatus.WriterDied, ring.Read(out _, Long));

        // A new writer takes over after the last claim, which left nothing to repair.
        using var next = SlotRing<SlotPeerMessage>.Open(seg.Name, Options(seg, WaitStrategy.Hybrid));
        Assert.True(next.TryWrite(SlotPeerMessage.For(0, position)));
        Assert.Equal(ReadStatus.Message, ring.Read(out SlotPeerMessage last, Long));
        Assert.Equal(position, last.Sequence);
    }

    [Fact]
    public void ManyToManyAReaderKilledInItsReadAndAWriterKilledInItsClaimLoseNothing()
    {
        using var seg = new TestSegment();
        using var ring = ManyToManySlotRing<SlotPeerMessage>.Create(seg.Name, 8, Options(seg, WaitStrategy.Hybrid));
        long wrote;
        using (var victim = Peer.Start("slot-mm-victim", seg.Name, "writer=2"))
        {
            wrote = VictimWrote(victim.WaitForLine("ready", Long), ring);
            victim.Kill();
        }

        // The victim claimed position 0, passed its own claim, took position 1 and died. This reader delivers again
        // the value the victim was reading, passes the dead claim, and reads the rest: each value once.
        var seen = new bool[wrote];
        for (long i = 0; i < wrote; i++)
        {
            Assert.Equal(ReadStatus.Message, ring.Read(out SlotPeerMessage m, Long));
            Assert.True(m.IsIntact && m.Writer == 2 && m.Sequence < wrote && !seen[m.Sequence], m.ToString());
            seen[m.Sequence] = true;
        }

        Assert.Equal(ReadStatus.WriterDied, ring.Read(out _, Long));
        SlotRingStatistics s = ring.GetStatistics();
        Assert.Equal((1L, 1L, 0L), (s.AbandonedClaims, s.Redeliveries, s.LateCommits));
        Assert.Equal((wrote, wrote), (s.MessagesWritten, s.MessagesRead));
        Assert.Equal(MessageTakerStatus.Taken, ring.TryGetTaker(1, out int taker));
        Assert.Equal(ring.ReaderIndex, taker);
    }

    [Fact]
    public async Task ManyToManyAHundredKillsWhileTwoWritersAndTwoReadersRun()
    {
        const int Victims = 100;
        const long PerWriter = 20_000;
        var clock = Stopwatch.StartNew();
        using var seg = new TestSegment();
        using var ring = ManyToManySlotRing<SlotPeerMessage>.Create(seg.Name, 64, Options(seg, WaitStrategy.Hybrid));

        // This process stays attached as a writer, so that the readers never see every writer dead.
        await ring.WaitToWriteAsync();
        Assert.True(ring.WriterIndex >= 0);
        string tally = TallyFile(seg, PerWriter, Victims);
        var peers = new List<Peer>();
        try
        {
            Peer[] readers = [StartReader(seg, tally, PerWriter), StartReader(seg, tally, PerWriter)];
            Peer[] writers = [StartWriter(seg, 0, PerWriter), StartWriter(seg, 1, PerWriter)];
            peers.AddRange(readers);
            peers.AddRange(writers);
            long[] wrote = new long[Victims];
            for (int i = 0; i < Victims; i++)
            {
                // Each holds a value it is reading (through a reader entry) and a claim (through a writer entry),
                // having written values of its own (through another writer entry). SIGKILL. One at a time: a live
                // victim's taken slot would stop the writers a lap later, as a slow reader does.
                using var victim = Peer.Start("slot-mm-victim", seg.Name, $"writer={2 + i}");
                wrote[i] = VictimWrote(victim.WaitForLine("ready", Long), ring);
                victim.Kill();
            }

            output.WriteLine($"{Victims} victims in {clock.Elapsed}");
            foreach (Peer w in writers)
            {
                w.AssertSuccess(Long);
            }

            ring.Complete();
            long read = readers.Sum(r => ReadCount(r));
            long total = (2 * PerWriter) + wrote.Sum();
            Assert.Equal(total, read);
            AssertTally(tally, PerWriter, wrote);

            // Every victim's claim was passed, and every value a victim died reading was delivered again, once.
            SlotRingStatistics s = ring.GetStatistics();
            output.WriteLine(s.ToString());
            Assert.Equal(Victims, s.AbandonedClaims);
            Assert.Equal(Victims, s.Redeliveries);
            Assert.Equal(0, s.LateCommits);
            Assert.True(s.SkippedPositions >= Victims);
            Assert.Equal((total, total), (s.MessagesWritten, s.MessagesRead));
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), $"took {clock.Elapsed}");
        }
        finally
        {
            DisposeAll(peers);
            File.Delete(tally);
        }
    }

    private static RingOptions Options(TestSegment seg, WaitStrategy strategy)
    {
        RingOptions options = seg.Options(strategy: strategy);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(20);
        return options;
    }

    private static Peer StartReader(TestSegment seg, string tally, long perWriter) =>
        Peer.Start("slot-mm-read", seg.Name, $"path={tally}", $"base={perWriter}");

    private static Peer StartWriter(TestSegment seg, int writer, long count) =>
        Peer.Start("slot-mm-write", seg.Name, $"writer={writer}", $"count={count}");

    private static long ReadCount(Peer reader)
    {
        string line = reader.WaitForLine("read ", Long);
        reader.AssertSuccess(Long);
        return long.Parse(line["read ".Length..], CultureInfo.InvariantCulture);
    }

    private static long VictimWrote(string line, ManyToManySlotRing<SlotPeerMessage> ring)
    {
        Assert.True(line.StartsWith("ready ok wrote=", StringComparison.Ordinal), line + Environment.NewLine + Dump(ring));
        return long.Parse(line["ready ok wrote=".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>A zeroed tally file beside the segment: survivors' counters, then 1024 per victim.</summary>
    private static string TallyFile(TestSegment seg, long perWriter, int victims)
    {
        string path = seg.Path + ".tally";
        File.WriteAllBytes(path, new byte[((2 * perWriter) + ((long)victims * SlotModes.VictimSequences)) * sizeof(int)]);
        return path;
    }

    /// <summary>Every message counted exactly once: survivors 0 and 1 sequences below perWriter, victim i below wrote[i]; nothing else.</summary>
    private static void AssertTally(string path, long perWriter, long[] wrote)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int Count(long writer, long sequence) => BitConverter.ToInt32(bytes, (int)(SlotModes.TallyIndex(writer, sequence, perWriter) * sizeof(int)));
        for (int writer = 0; writer < 2; writer++)
        {
            for (long i = 0; i < perWriter; i++)
            {
                int c = Count(writer, i);
                if (c != 1)
                {
                    Assert.Fail($"writer {writer} message {i} was read {c} times");
                }
            }
        }

        for (int v = 0; v < wrote.Length; v++)
        {
            for (long i = 0; i < SlotModes.VictimSequences; i++)
            {
                int c = Count(2 + v, i);
                if (c != (i < wrote[v] ? 1 : 0))
                {
                    Assert.Fail($"victim writer {2 + v} (wrote {wrote[v]}) message {i} was read {c} times");
                }
            }
        }
    }

    /// <summary>The ring's positions, stamps and tables, for a failure message.</summary>
    private static unsafe string Dump(ManyToManySlotRing<SlotPeerMessage> ring)
    {
        SharedMemory m = ring.Segment.Memory;
        var text = new System.Text.StringBuilder();
        text.AppendLine(ring.GetStatistics().ToString());
        text.AppendLine($"enqueue 0x{m.ReadInt64Acquire(Layout.SlotRingDescriptor.EnqueueOffset):X16} dequeue {m.ReadInt64Acquire(Layout.SlotRingDescriptor.DequeueOffset)}");
        for (int k = 0; k < ring.SlotCount; k++)
        {
            long stamp = m.ReadInt64Acquire(Layout.SlotRingDescriptor.ManyToManyDataOffset + (k * 64L));
            text.Append(k).Append(": ").AppendLine(SlotStamp.Describe(stamp));
        }

        for (int i = 0; i < 64; i++)
        {
            long w = m.ReadInt64Acquire(Layout.SlotRingDescriptor.WriterTableOffset + (i * 128L));
            long r = m.ReadInt64Acquire(Layout.SlotRingDescriptor.ReaderTableOffsetOf(RingKind.SlotManyToMany) + (i * 128L));
            text.AppendLine($"entry {i}: writer pid {w >> 32} alive {(w != 0 && ProcessLiveness.IsAlive(w))}, reader pid {r >> 32} alive {(r != 0 && ProcessLiveness.IsAlive(r))}");
        }

        return text.ToString();
    }

    private static void DisposeAll(IEnumerable<Peer> peers)
    {
        foreach (Peer p in peers)
        {
            p.Dispose();
        }
    }
}
