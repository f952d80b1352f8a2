using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// Tier 5 for the broadcast ring: writer and reader processes (Ring.TestPeer), exit codes as verdicts, exact accounting,
/// processes killed with SIGKILL at the worst moments.
/// </summary>
public class BroadcastCrossProcessTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Fact]
    public void GatedEveryMessageReachesEveryReaderProcessIntactAndInOrder()
    {
        const long Count = 300_000;
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 1 << 16, maxMessageLength: 256));
        using var copy = Peer.Start("broadcast-read", seg.Name, "seed=21", "max=256", "strategy=Blocking");
        using var batch = Peer.Start("broadcast-read", seg.Name, "seed=21", "max=256", "strategy=Blocking", "batch=true");
        using var hybrid = Peer.Start("broadcast-read", seg.Name, "seed=21", "max=256", "strategy=Hybrid");
        Peer[] readers = [copy, batch, hybrid];
        foreach (Peer reader in readers)
        {
            reader.WaitForLine("joined", Long);
        }

        using var writer = Peer.Start("broadcast-write", seg.Name, $"count={Count}", "seed=21", "max=256", "complete=true", "readers=3");
        writer.AssertSuccess(Long);
        foreach (Peer reader in readers)
        {
            (long received, long lost, _) = ParseEnd(reader.WaitForLine("received", Long));
            Assert.Equal((Count, 0L), (received, lost));
            reader.AssertSuccess(Long);
        }

        BroadcastRingStatistics stats = ring.GetStatistics();
        Assert.Equal(Count, stats.MessagesWritten);
        Assert.True(stats.IsWriterCompleted);
        Assert.Empty(stats.Readers); // each reader process unregistered when it finished
    }

    [Fact]
    public void LossyReaderProcessesReceiveIntactMessagesAndCountExactlyWhatTheyLost()
    {
        const long Count = 500_000;
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, BroadcastMode.Lossy, seg.Options(capacity: 1 << 14, maxMessageLength: 200));
        using var copy = Peer.Start("broadcast-read", seg.Name, "seed=22", "max=200", "strategy=Blocking");
        using var batch = Peer.Start("broadcast-read", seg.Name, "seed=22", "max=200", "strategy=Blocking", "batch=true");

        // This one stops after 1,000 messages until it is more than two rings behind: it must be lapped.
        using var laggard = Peer.Start("broadcast-read", seg.Name, "seed=22", "max=200", "strategy=Blocking", "lag-at=1000");
        Peer[] readers = [copy, batch, laggard];
        foreach (Peer reader in readers)
        {
            reader.WaitForLine("joined", Long);
        }

        using var writer = Peer.Start("broadcast-write", seg.Name, $"count={Count}", "seed=22", "max=200", "complete=true", "readers=3");
        writer.AssertSuccess(Long);
        var ends = new List<(long Received, long Lost, long Laps)>();
        foreach (Peer reader in readers)
        {
            ends.Add(ParseEnd(reader.WaitForLine("received", Long)));
            reader.AssertSuccess(Long);
        }

        foreach ((long received, long lost, long laps) in ends)
        {
            Assert.Equal(Count, received + lost);
            Assert.True(received > 0, "after the completion a reader reads at least the newest message, which the ring keeps");
            Assert.True(lost == 0 || laps > 0, $"lost {lost} without being lapped");
        }

        Assert.True(ends[2].Lost > 0 && ends[2].Laps > 0, $"the laggard was not lapped: {ends[2]}");
        Assert.Equal(Count, ring.GetStatistics().MessagesWritten);
    }

    [Fact]
    public async Task ADeadReaderProcessStopsGatingTheWriter()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 4096, maxMessageLength: 64, strategy: WaitStrategy.Blocking);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(20);
        using var writer = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, options);
        using var live = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, options);
        using var stuck = Peer.Start("broadcast-attach-reader", seg.Name);
        stuck.WaitForLine("attached", Long);
        Assert.Equal(2, writer.GetStatistics().Readers.Count);

        byte[] message = new byte[64];
        long written = 0;
        while (writer.TryWrite(message, 1))
        {
            written++;
        }

        // Full: the stuck reader has read nothing. The live one reads everything, which does not help.
        Assert.Equal(written, Drain(live));
        Assert.False(writer.TryWrite(message, 1));
        Task<bool> blocked = Task.Factory.StartNew(() => writer.TryWrite(message, 2, Long), TaskCreationOptions.LongRunning);
        await WaitUntil(() => writer.GetStatistics().WriterSleeps >= 1);
        Assert.False(blocked.IsCompleted);
        BroadcastReaderStatistics before = writer.GetStatistics().Readers.Single(r => r.ProcessId == stuck.ProcessId);
        Assert.True(before.IsAlive);
        Assert.Equal(written, before.LagMessages);

        stuck.Kill();
        Assert.True(await blocked.WaitAsync(Long));
        written++;
        Assert.Equal(1, Drain(live));
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(writer.TryWrite(message, 3, Long));
            written++;
            Assert.Equal(1, Drain(live));
        }

        Assert.Equal(0, Drain(live));
        BroadcastRingStatistics stats = writer.GetStatistics();
        Assert.Equal(1, stats.ReadersEvicted);
        Assert.Equal(live.Id, Assert.Single(stats.Readers).Id);
        Assert.Equal(written, live.MessagesRead);
    }

    [Theory]
    [InlineData(BroadcastMode.Gated)]
    [InlineData(BroadcastMode.Lossy)]
    public void WriterKilledBetweenClaimAndCommitLosesNoCommittedMessageAndANewWriterRepairsTheClaim(BroadcastMode mode)
    {
        const int Count = 1000;
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1 << 18, maxMessageLength: 200);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(20);
        BroadcastRing.Create(seg.Name, mode, options).Dispose();
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, options);
        using (var writer = Peer.Start("broadcast-write-then-hang", seg.Name, $"count={Count}", "seed=11", "max=200"))
        {
            writer.WaitForLine("claimed", Long);
            Assert.True(reader.GetStatistics().IsWriterAlive);
            writer.Kill();
        }

        byte[] buffer = new byte[200];
        for (long i = 0; i < Count; i++)
        {
            Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
            Assert.Null(MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, 11, i, 200));
        }

        // The claim in progress is never committed: the reader does not wait for it past the writer's death.
        Assert.Equal(ReadStatus.WriterDied, reader.Read(buffer, out _, Long));
        Assert.False(reader.GetStatistics().IsWriterAlive);
        Assert.Equal(0, reader.GetStatistics().TornClaims);

        // A new writer takes over: the torn claim becomes padding (counted), and the next message takes its number.
        using var next = BroadcastRing.Open(seg.Name, options);
        Assert.True(next.TryWrite([1, 2, 3], 9));
        Assert.Equal(Count, reader.Read(buffer, out RingMessage last, Long) == ReadStatus.Message ? reader.LastSequence : -1);
        Assert.Equal(new RingMessage(3, 9), last);
        BroadcastRingStatistics stats = next.GetStatistics();
        Assert.Equal(1, stats.TornClaims);
        Assert.Equal(Count + 1, stats.MessagesWritten);
        Assert.Equal(Environment.ProcessId, stats.WriterProcessId);
        Assert.Equal(0, reader.MessagesLost);
    }

    [Theory]
    [InlineData(BroadcastMode.Gated)]
    [InlineData(BroadcastMode.Lossy)]
    public async Task WriterKilledAtAnArbitraryMomentLeavesEveryCommittedMessageAccountedFor(BroadcastMode mode)
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1 << 16, maxMessageLength: 300);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(20);
        BroadcastRing.Create(seg.Name, mode, options).Dispose();
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, options);
        using var writer = Peer.Start("broadcast-write-forever", seg.Name, "seed=13", "max=300");
        Task killer = Task.Run(() =>
        {
            writer.WaitForLine("progress 40960", Long);
            writer.Kill();
        });

        byte[] buffer = new byte[300];
        long received = 0;
        ReadStatus status;
        while ((status = reader.Read(buffer, out RingMessage m, Long)) == ReadStatus.Message)
        {
            Assert.Null(MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, 13, reader.LastSequence, 300));
            received++;
            Assert.Equal(reader.LastSequence + 1, received + reader.MessagesLost);
        }

        await killer.WaitAsync(Long);
        Assert.Equal(ReadStatus.WriterDied, status);
        long written = reader.GetStatistics().MessagesWritten;
        Assert.True(written > 40960);
        Assert.Equal(reader.NextSequence, received + reader.MessagesLost);

        // The writer may have died between committing its last message and publishing the count.
        Assert.InRange(reader.NextSequence - written, 0, 1);
        if (mode == BroadcastMode.Gated)
        {
            Assert.Equal(0, reader.MessagesLost);
        }
    }

    /// <summary>
    /// 100 rounds, each killing a writer process between claim and commit and a reader process in the middle of a batch
    /// read (holding frames it has not released), while two reader processes read throughout. Every writer takes over
    /// from the dead one and repairs its claim. Gated: every dead reader is evicted and stops gating, and both survivors
    /// receive every committed message intact and in order. Lossy: the writer never waits for anyone, dead readers' slots
    /// are reclaimed by new readers once the table is full, and each survivor's received + lost is exactly what was
    /// committed.
    /// </summary>
    [Theory]
    [InlineData(BroadcastMode.Gated)]
    [InlineData(BroadcastMode.Lossy)]
    public void HundredRoundsOfKilledWritersAndReadersNeitherHangNorLoseACommittedMessage(BroadcastMode mode)
    {
        const int Rounds = 100;
        const int PerWriter = 120;
        var clock = Stopwatch.StartNew();
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 4096, maxMessageLength: 96);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(10);
        BroadcastRing.Create(seg.Name, mode, options).Dispose();
        using var survivorA = Peer.Start("broadcast-read", seg.Name, "seed=31", "max=96", "strategy=Blocking", "liveness=10", "through-deaths=true");
        using var survivorB = Peer.Start("broadcast-read", seg.Name, "seed=31", "max=96", "strategy=Hybrid", "batch=true", "liveness=10", "through-deaths=true");
        survivorA.WaitForLine("joined", Long);
        survivorB.WaitForLine("joined", Long);

        for (int round = 0; round < Rounds; round++)
        {
            using Peer victim = Peer.Start("broadcast-read-then-hang", seg.Name, "seed=31", "max=96", "start=Newest", "count=3", "liveness=10", "through-deaths=true");
            victim.WaitForLine("joined", Long);
            using Peer writer = Peer.Start("broadcast-write-then-hang", seg.Name, $"count={PerWriter}", "seed=31", "max=96", "liveness=10");

            // The victim reads 3 messages, then dies inside a batch read. Gated: 120 messages (about 7 KiB) do not fit in
            // the ring past it, so the writer can only finish once it has found the victim dead and evicted it.
            victim.WaitForLine("mid-read", Long);
            victim.Kill();
            writer.WaitForLine("claimed", Long);
            writer.Kill();
        }

        using (var last = BroadcastRing.Open(seg.Name, options))
        {
            last.Complete(); // takes over from the last dead writer, repairing its claim
            BroadcastRingStatistics stats = last.GetStatistics();
            Assert.Equal((long)Rounds * PerWriter, stats.MessagesWritten);
            Assert.Equal(Rounds, stats.TornClaims);
            Assert.Equal(mode == BroadcastMode.Gated ? Rounds : 0, stats.ReadersEvicted);
        }

        foreach (Peer survivor in new[] { survivorA, survivorB })
        {
            (long received, long lost, _) = ParseEnd(survivor.WaitForLine("received", Long));
            Assert.Equal((long)Rounds * PerWriter, received + lost);
            if (mode == BroadcastMode.Gated)
            {
                Assert.Equal(0, lost);
            }

            survivor.AssertSuccess(Long);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), $"took {clock.Elapsed}"); // a bound against hangs, not a timing claim
    }

    private static (long Received, long Lost, long Laps) ParseEnd(string line)
    {
        // "received R lost L laps X next N end S"
        string[] words = line.Split(' ');
        return (long.Parse(words[1], CultureInfo.InvariantCulture), long.Parse(words[3], CultureInfo.InvariantCulture), long.Parse(words[5], CultureInfo.InvariantCulture));
    }

    private static long Drain(BroadcastReader reader)
    {
        byte[] buffer = new byte[reader.MaxMessageLength];
        long n = 0;
        while (reader.TryRead(buffer, out _))
        {
            n++;
        }

        return n;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Long, "the condition did not hold within the timeout");
            await Task.Delay(1);
        }
    }
}
