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
/// ManyToOneRing across processes: several writer processes with exact accounting, and SIGKILL of writers (between
/// claim and commit, and at arbitrary moments) and of readers (mid-read), over and over, in bounded time.
/// </summary>
public class ManyToOneCrossProcessTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private const int Max = 200;

    [Fact]
    public void ThreeWriterProcessesDeliverEveryMessageExactlyOnceInEachWritersOrder()
    {
        const int PerWriter = 30_000;
        using var seg = new TestSegment();
        using var reader = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 4096, maxMessageLength: Max));
        var peers = Enumerable.Range(0, 3)
            .Select(w => Peer.Start("m1-write", seg.Name, $"id={w}", $"count={PerWriter}", $"max={Max}", "claim-every=5"))
            .ToList();
        try
        {
            var ledger = new Ledger(3);
            byte[] buffer = new byte[Max];
            while (ledger.Total < 3 * PerWriter)
            {
                ReadStatus status = reader.Read(buffer, out RingMessage m, Long);
                Assert.Equal(ReadStatus.Message, status);
                ledger.Check(buffer, m);
            }

            peers.ForEach(p => p.AssertSuccess(Long));
            Assert.False(reader.TryRead(buffer, out _));
            Assert.All(ledger.Delivered, n => Assert.Equal(PerWriter, n));
            ManyToOneRingStatistics s = reader.GetStatistics();
            Assert.Equal(3L * PerWriter, s.MessagesWritten);
            Assert.Equal(3L * PerWriter, s.MessagesRead);
            Assert.Equal(0, s.TornClaims);
        }
        finally
        {
            peers.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task HundredWriterKillsLoseNoCommittedMessageAndNeverBlockTheReader()
    {
        const int Kills = 100;
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 16 * 1024, maxMessageLength: Max);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(10);
        using var reader = ManyToOneRing.Create(seg.Name, options);
        var ledger = new Ledger(Kills + 1);
        using var stop = new CancellationTokenSource();
        Task<ReadStatus> reading = Task.Factory.StartNew(() => ReadAll(reader, ledger, stop.Token), TaskCreationOptions.LongRunning);
        var random = new Random(42);
        var committed = new long[Kills + 1];
        int claimHangs = 0;
        for (int id = 0; id < Kills; id += 2)
        {
            // Two writers at a time: one dies holding a zero-copy claim, one at an arbitrary moment of its stream.
            using var hang = Peer.Start("m1-claim-hang", seg.Name, $"id={id}", $"count={random.Next(0, 40)}", $"max={Max}");
            using var busy = Peer.Start("m1-write-forever", seg.Name, $"id={id + 1}", $"max={Max}", "claim-every=3");
            WaitOrDescribe(hang, "claimed", reader, id);
            WaitOrDescribe(busy, "attached", reader, id + 1);
            Thread.Sleep(random.Next(0, 15));
            busy.Kill();
            hang.Kill();
            claimHangs++;
            committed[id] = CommittedBy(reader, hang.ProcessId);
            committed[id + 1] = CommittedBy(reader, busy.ProcessId);
            Assert.False(reading.IsCompleted, $"the reader stopped: {reading.Status} {reading.Exception}");
        }

        // A last writer completes the ring: the reader reaches it only if every torn claim before was recovered.
        using (var last = Peer.Start("m1-write", seg.Name, $"id={Kills}", "count=200", $"max={Max}", "complete"))
        {
            last.AssertSuccess(Long);
        }

        Assert.Equal(ReadStatus.Completed, await reading.WaitAsync(Long));
        for (int id = 0; id < Kills; id++)
        {
            // A writer killed between publishing a frame and counting it has one more delivered than counted.
            long delivered = ledger.Delivered[id];
            Assert.True(delivered == committed[id] || delivered == committed[id] + 1, $"writer {id}: {delivered} delivered, {committed[id]} committed");
        }

        Assert.Equal(200, ledger.Delivered[Kills]);
        ManyToOneRingStatistics s = reader.GetStatistics();
        Assert.Equal(ledger.Total, s.MessagesRead);
        Assert.InRange(s.TornClaims, claimHangs, Kills);
    }

    [Fact]
    public async Task ReaderKilledMidReadIsReplacedWithoutLosingAMessage()
    {
        const int Kills = 20;
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 8192, maxMessageLength: Max);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(10);
        using var writer = ManyToOneRing.Create(seg.Name, options);
        using var stop = new CancellationTokenSource();
        Task<long> writing = Task.Factory.StartNew(() => WriteUntilStopped(writer, stop.Token), TaskCreationOptions.LongRunning);
        var random = new Random(7);
        long readBefore = 0;
        for (int i = 0; i < Kills; i++)
        {
            using var reader = Peer.Start("m1-read", seg.Name, "writers=1", $"max={Max}");
            long first = long.Parse(reader.WaitForLine("first 0 ", Long).Split(' ')[2], CultureInfo.InvariantCulture);

            // The new reader starts where the dead one stopped: at the message it had not yet passed (re-read if it
            // died after copying it), never further.
            Assert.InRange(first, readBefore, readBefore + 1);
            Thread.Sleep(random.Next(1, 20));
            reader.Kill();
            readBefore = writer.GetStatistics().MessagesRead;
            Assert.False(writing.IsCompleted, $"the writer stopped: {writing.Exception}");
        }

        stop.Cancel();
        long written = await writing.WaitAsync(Long);
        writer.Complete();
        using var final = Peer.Start("m1-read", seg.Name, "writers=1", $"max={Max}");
        Assert.InRange(long.Parse(final.WaitForLine("first 0 ", Long).Split(' ')[2], CultureInfo.InvariantCulture), readBefore, readBefore + 1);
        Assert.Equal($"got 0 {written}", final.WaitForLine("got 0 ", Long));
        final.AssertSuccess(Long);
    }

    /// <summary>Waits for a peer's line; on failure says where the ring stands, so a stuck reader shows its frame at head.</summary>
    private static void WaitOrDescribe(Peer peer, string line, ManyToOneRing reader, int id)
    {
        try
        {
            peer.WaitForLine(line, Long);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ManyToOneRingStatistics s = reader.GetStatistics();
            long word = reader.Segment.Memory.ReadInt64Acquire(Layout.ManyToOneRingDescriptor.DataOffset + (s.Head & (reader.Capacity - 1)));
            string writers = string.Join("; ", s.Writers.Select(w => $"{w.Index}:{w.ProcessId}:{(w.IsAlive ? "alive" : "dead")}:{w.MessagesWritten}"));
            throw new Xunit.Sdk.XunitException($"writer {id}: {e.Message}\nring: {s with { Writers = [] }}\nheader at head: length {(int)word}, type {(int)(word >> 32)}\nwriters: {writers}");
        }
    }

    private static long CommittedBy(ManyToOneRing ring, int pid)
    {
        foreach (ManyToOneWriterInfo w in ring.GetStatistics().Writers)
        {
            if (w.ProcessId == pid)
            {
                return w.MessagesWritten;
            }
        }

        return 0; // killed before it attached
    }

    private static ReadStatus ReadAll(ManyToOneRing reader, Ledger ledger, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[Max];
        while (true)
        {
            ReadStatus status = reader.Read(buffer, out RingMessage m, Long, cancellationToken);
            if (status == ReadStatus.WriterDied)
            {
                continue; // between rounds every writer is dead; the next round's writers attach
            }

            if (status != ReadStatus.Message)
            {
                return status;
            }

            ledger.Check(buffer, m);
        }
    }

    private static long WriteUntilStopped(ManyToOneRing writer, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[Max];
        long sequence = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            int length = MessagePattern.Length(1, sequence, Max);
            MessagePattern.Fill(buffer.AsSpan(0, length), 1, sequence);
            try
            {
                if (writer.TryWrite(buffer.AsSpan(0, length), 0, TimeSpan.FromMilliseconds(50), CancellationToken.None))
                {
                    sequence++;
                }
            }
            catch (RingPeerDeadException)
            {
                // The reader was killed while the ring was full; the next one will drain it.
            }
        }

        return sequence;
    }

    /// <summary>Checks each message against its writer's pattern and that each writer's messages arrive in order, from 0, without gaps.</summary>
    private sealed class Ledger(int writers)
    {
        private long _total;

        public long[] Delivered { get; } = new long[writers];

        public long Total => Interlocked.Read(ref _total);

        public void Check(byte[] buffer, RingMessage m)
        {
            int w = m.Type;
            Assert.InRange(w, 0, Delivered.Length - 1);
            long sequence = BitConverter.ToInt64(buffer, 0);
            Assert.True(sequence == Delivered[w], $"writer {w}: message {sequence} arrived, {Delivered[w]} expected");
            string? error = MessagePattern.Verify(buffer.AsSpan(0, m.Length), MessagePattern.Type(sequence), (ulong)w + 1, sequence, Max);
            Assert.True(error is null, $"writer {w}: {error}");
            Delivered[w] = sequence + 1;
            Interlocked.Increment(ref _total);
        }
    }
}
