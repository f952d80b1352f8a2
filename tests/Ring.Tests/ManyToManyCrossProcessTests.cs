using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// ManyToManyRing across processes: two writer processes and two competing reader processes with exact accounting and
/// the taker query; and SIGKILL of writers between claim and commit and of readers in the middle of a read, 100 times,
/// in bounded time, with every message accounted for as delivered or counted lost.
/// </summary>
public class ManyToManyCrossProcessTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private const int Max = 200;

    [Fact]
    public void TwoWriterProcessesAndTwoReaderProcessesDeliverEveryMessageExactlyOnce()
    {
        const int PerWriter = 20_000;
        using var seg = new TestSegment();
        using var ring = ManyToManyRing.Create(seg.Name, seg.Options(capacity: 8192, maxMessageLength: Max));
        var readers = Enumerable.Range(0, 2).Select(_ => Peer.Start("m2m-read", seg.Name, "writers=3", $"count={PerWriter}", $"max={Max}")).ToList();
        var writers = Enumerable.Range(0, 2).Select(w => Peer.Start("m2m-write", seg.Name, $"id={w}", $"count={PerWriter}", $"max={Max}", "claim-every=3")).ToList();
        try
        {
            var takers = new string[2];
            for (int w = 0; w < 2; w++)
            {
                takers[w] = writers[w].WaitForLine("taker ", Long);
                writers[w].AssertSuccess(Long);
            }

            // The taker query across processes, made deterministic: one more message (as writer 2, sequence n-1) that
            // nothing writes after, so its slot is not reused before the query.
            byte[] final = new byte[ManyToManyModes.Length(PerWriter - 1, Max)];
            ManyToManyModes.Fill(final, 2, PerWriter - 1);
            Assert.True(ring.TryWrite(final, 2, out long sequence));
            MessageTakerStatus status;
            int taker;
            var wait = System.Diagnostics.Stopwatch.StartNew();
            while ((status = ring.TryGetTaker(sequence, out taker)) == MessageTakerStatus.NotYetTaken && wait.Elapsed < Long)
            {
                System.Threading.Thread.Sleep(1);
            }

            Assert.Equal(MessageTakerStatus.Taken, status);
            ring.Complete();
            long[] got = new long[3];
            long[] sum = new long[3];
            long[] squares = new long[3];
            var lastTaker = new int[] { -1, -1, -1 };
            foreach (Peer reader in readers)
            {
                var lines = new List<string>();
                for (int w = 0; w < 3; w++)
                {
                    long[] fields = reader.WaitForLine($"got {w} ", Long).Split(' ').Skip(2).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
                    got[w] += fields[0];
                    sum[w] += fields[1];
                    squares[w] += fields[2];
                }

                // "last W" lines (for the writers' final messages this reader took) come before "index R".
                var lasts = new List<int>();
                string line;
                while (!(line = reader.WaitForLine(string.Empty, Long)).StartsWith("index ", StringComparison.Ordinal))
                {
                    if (line.StartsWith("last ", StringComparison.Ordinal))
                    {
                        lasts.Add(int.Parse(line[5..], CultureInfo.InvariantCulture));
                    }
                }

                int index = int.Parse(line[6..], CultureInfo.InvariantCulture);
                foreach (int w in lasts)
                {
                    Assert.Equal(-1, lastTaker[w]);
                    lastTaker[w] = index;
                }

                reader.AssertSuccess(Long);
            }

            long n = PerWriter;
            for (int w = 0; w < 2; w++)
            {
                // Every sequence 0..n-1 once: the count, the sum and the sum of squares of the union all match.
                Assert.Equal(n, got[w]);
                Assert.Equal(n * (n - 1) / 2, sum[w]);
                Assert.Equal((n - 1) * n * ((2 * n) - 1) / 6, squares[w]);

                // A writer process's query of its last message names the reader process that printed it, unless the
                // other writer had reused the slot by then.
                Assert.True(takers[w] == $"taker Taken {lastTaker[w]}" || takers[w] == "taker Unknown -1", $"writer {w}: '{takers[w]}', last taken by {lastTaker[w]}");
            }

            Assert.Equal(1, got[2]);
            Assert.Equal(taker, lastTaker[2]);

            ManyToManyRingStatistics s = ring.GetStatistics();
            Assert.Equal((2L * PerWriter) + 1, s.MessagesWritten);
            Assert.Equal((2L * PerWriter) + 1, s.MessagesRead);
            Assert.Equal(0, s.TornClaims + s.LostMessages + s.RevokedClaims);
        }
        finally
        {
            readers.ForEach(p => p.Dispose());
            writers.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task HundredKillsOfWritersBetweenClaimAndCommitAndOfReadersMidReadLoseOnlyWhatIsCounted()
    {
        const int Rounds = 40; // three kills a round
        const int BusyLimit = 1 << 14; // more than a busy writer can write before the ring fills
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1 << 16, maxMessageLength: Max);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(10);
        using var drain = ManyToManyRing.Create(seg.Name, options);
        var random = new Random(42);
        int[] committed = new int[Rounds];
        var delivered = new int[2 * Rounds][];
        var heldWhenKilled = new List<(int Writer, long Sequence)>();
        byte[] buffer = new byte[Max];
        for (int round = 0; round < Rounds; round++)
        {
            // The writer commits 4 to 20 messages and dies holding a claim; the reader takes 0 to 3 of them and dies
            // inside its handler, holding the next.
            committed[round] = random.Next(4, 21);
            delivered[round] = new int[committed[round]];
            int hold = random.Next(0, 4);
            using var writer = Peer.Start("m2m-claim-hang", seg.Name, $"id={round}", $"count={committed[round]}", $"max={Max}");
            using var reader = Peer.Start("m2m-read-hang", seg.Name, $"hold={hold}", $"max={Max}");
            writer.WaitForLine("claimed", Long);
            for (int i = 0; i < hold; i++)
            {
                Count(delivered, reader.WaitForLine("got ", Long), round);
            }

            string holding = reader.WaitForLine("holding ", Long);
            string[] parts = holding.Split(' ');
            heldWhenKilled.Add((int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture)));

            // A third writer is killed at an arbitrary moment of its stream (in a copy, a claim, a wait for room...).
            delivered[Rounds + round] = new int[BusyLimit];
            using var busy = Peer.Start("m2m-write", seg.Name, $"id={Rounds + round}", "count=100000000", $"max={Max}", "claim-every=3");
            busy.WaitForLine("attached", Long);
            Thread.Sleep(random.Next(0, 10));
            busy.Kill();
            writer.Kill();
            reader.Kill();

            // This process takes the rest; it passes the torn claim and frees the dead reader's message on the way.
            await Task.Run(() =>
            {
                while (true)
                {
                    ReadStatus status = drain.Read(buffer, out RingMessage m, TimeSpan.FromMilliseconds(100));
                    if (status == ReadStatus.Message)
                    {
                        long sequence = ManyToManyModes.Verify(buffer.AsSpan(0, m.Length), m.Type, Max);
                        Assert.True(sequence >= 0 && (m.Type <= round || (m.Type >= Rounds && m.Type <= Rounds + round)), $"bad message: type {m.Type}, length {m.Length}");
                        delivered[m.Type][sequence]++;
                        continue;
                    }

                    ManyToManyRingStatistics s = drain.GetStatistics();
                    if (s.EnqueuePosition == s.DequeuePosition && s.LostMessages == round + 1)
                    {
                        return;
                    }
                }
            }).WaitAsync(Long);
        }

        foreach ((int w, long sequence) in heldWhenKilled)
        {
            Assert.Equal(0, delivered[w][sequence]);
            delivered[w][sequence] = -1; // lost
        }

        // Every committed message was delivered exactly once or is one of the counted losses; nothing else arrived.
        int total = 0;
        int hangCommitted = committed.Sum();
        for (int w = 0; w < Rounds; w++)
        {
            for (int i = 0; i < committed[w]; i++)
            {
                Assert.True(delivered[w][i] is 1 or -1, $"writer {w} message {i}: delivered {delivered[w][i]} times");
                total += delivered[w][i] == 1 ? 1 : 0;
            }
        }

        // A writer killed at an arbitrary moment committed a prefix 0..m-1 of its stream: each delivered once, or lost
        // with a killed reader; nothing after it.
        for (int w = Rounds; w < 2 * Rounds; w++)
        {
            int end = Array.FindLastIndex(delivered[w], x => x != 0) + 1;
            for (int i = 0; i < end; i++)
            {
                Assert.True(delivered[w][i] is 1 or -1, $"busy writer {w} message {i} of {end}: delivered {delivered[w][i]} times");
                total += delivered[w][i] == 1 ? 1 : 0;
            }

            committed[w - Rounds] += end;
        }

        ManyToManyRingStatistics stats = drain.GetStatistics();
        Assert.InRange(stats.TornClaims, Rounds, 2 * Rounds);
        Assert.Equal(Rounds, stats.LostMessages);
        Assert.Equal(committed.Sum(), total + stats.LostMessages);
        Assert.True(committed.Sum() > hangCommitted, "the busy writers committed nothing");
        for (long p = stats.DequeuePosition; p < stats.DequeuePosition + stats.SlotCount; p++)
        {
            Assert.Equal(p, drain.StampAt(p)); // every slot free for its next position
        }
    }

    private static void Count(int[][] delivered, string line, int round)
    {
        string[] parts = line.Split(' ');
        int w = int.Parse(parts[1], CultureInfo.InvariantCulture);
        long sequence = long.Parse(parts[2], CultureInfo.InvariantCulture);
        Assert.True(w < delivered.Length && delivered[w] is not null && sequence >= 0, $"bad message from the reader: {line}");
        delivered[w][sequence]++;
    }
}
