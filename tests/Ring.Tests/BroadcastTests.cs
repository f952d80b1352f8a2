using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// What a broadcast ring promises beyond the shared contract: every reader sees every message, the slowest reader gates
/// a gated writer, a lossy reader counts exactly what it lost, late readers start at the oldest or the newest message,
/// and the segment shows each reader's lag.
/// </summary>
public class BroadcastTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public void EveryReaderSeesEveryMessageAndTheSlowestGatesTheWriter()
    {
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 1024, maxMessageLength: 64));
        using var a = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        using var b = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        using var c = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        Assert.Equal(new[] { 0, 1, 2 }, new[] { a.Id, b.Id, c.Id });

        // 8-byte messages take 32-byte frames: 31 fit in 1024 bytes with the 16-byte empty header after the newest.
        long written = 0;
        while (writer.TryWrite(Sequence(written), 1))
        {
            written++;
            Assert.InRange(written, 0, 100);
        }

        Assert.Equal(31, written);
        Assert.Equal(1, writer.GetStatistics().FullStalls);

        // a and b read everything; c reads nothing and still holds the writer back.
        Assert.Equal(written, ReadAll(a, 0));
        Assert.Equal(written, ReadAll(b, 0));
        Assert.False(writer.TryWrite(Sequence(written), 1));

        // c reads one message: one frame's room, no more.
        Assert.True(c.TryRead(new byte[8], out _));
        Assert.True(writer.TryWrite(Sequence(written++), 1));
        Assert.False(writer.TryWrite(Sequence(written), 1));

        // c leaves: the writer runs on; a and b see every message, in order.
        c.Dispose();
        Assert.Equal(1, ReadAll(a, written - 1));
        Assert.Equal(1, ReadAll(b, written - 1));
        for (int i = 0; i < 100; i++)
        {
            Assert.True(writer.TryWrite(Sequence(written++), 1));
            Assert.Equal(1, ReadAll(a, written - 1));
            Assert.Equal(1, ReadAll(b, written - 1));
        }

        Assert.Equal(written, a.MessagesRead);
        Assert.Equal(written, b.MessagesRead);
        Assert.Equal(0, a.MessagesLost);
        Assert.Equal(written - 1, a.LastSequence);
        Assert.Equal(written, a.NextSequence);
    }

    [Fact]
    public void LossyReaderLappedByTheWriterCountsExactlyWhatItLostAndResumesAtTheOldestIntactMessage()
    {
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, BroadcastMode.Lossy, seg.Options(capacity: 256, maxMessageLength: 16));
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());

        // 20 messages of 32-byte frames through a 256-byte ring: after message k the writer keeps k-6 .. k (224 bytes and
        // the empty header), so after message 19 the oldest intact one is 13.
        for (long i = 0; i < 20; i++)
        {
            Assert.True(writer.TryWrite(Sequence(i), 2));
        }

        BroadcastRingStatistics stats = writer.GetStatistics();
        Assert.Equal(13 * 32, stats.Oldest);
        Assert.Equal(20 * 32, stats.Tail);
        Assert.Equal(20 * 32, stats.Readers[0].LagBytes);
        Assert.Equal(20, stats.Readers[0].LagMessages);

        byte[] buffer = new byte[16];
        for (long expected = 13; expected < 20; expected++)
        {
            Assert.True(reader.TryRead(buffer, out RingMessage m));
            Assert.Equal(new RingMessage(8, 2), m);
            Assert.Equal(expected, BinaryPrimitives.ReadInt64LittleEndian(buffer));
            Assert.Equal(expected, reader.LastSequence);
            Assert.Equal(13, reader.MessagesLost);
            Assert.Equal(expected + 1, reader.MessagesRead + reader.MessagesLost);
        }

        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal(1, reader.LapCount);
        BroadcastReaderStatistics mine = reader.GetStatistics().Readers.Single();
        Assert.Equal((0L, 0L, 7L, 13L, 1L, 20 * 32L, 20L), (mine.LagBytes, mine.LagMessages, mine.MessagesRead, mine.MessagesLost, mine.Laps, mine.Position, mine.NextSequence));

        // Reading as fast as the writer writes loses nothing more.
        for (long i = 20; i < 1000; i++)
        {
            Assert.True(writer.TryWrite(Sequence(i), 2));
            Assert.True(reader.TryRead(buffer, out _));
            Assert.Equal(i, BinaryPrimitives.ReadInt64LittleEndian(buffer));
        }

        Assert.Equal(13, reader.MessagesLost);
        Assert.Equal(1, reader.LapCount);
    }

    [Fact]
    public void LossyBatchReadHandsOutOnlyIntactCopiesAndCountsTheLoss()
    {
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, BroadcastMode.Lossy, seg.Options(capacity: 4096, maxMessageLength: 100));
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        var random = new Random(5);
        long written = 0;
        long received = 0;
        for (int round = 0; round < 200; round++)
        {
            int burst = random.Next(1, 300);
            for (int i = 0; i < burst; i++)
            {
                byte[] message = Pattern(written, random.Next(8, 101));
                Assert.True(writer.TryWrite(message, (int)(written % 7)));
                written++;
            }

            int handled = reader.Read((type, payload) =>
            {
                long sequence = BinaryPrimitives.ReadInt64LittleEndian(payload);
                Assert.Equal(Pattern(sequence, payload.Length), payload.ToArray());
                Assert.Equal((int)(sequence % 7), type);
                Assert.Equal(sequence, reader.LastSequence);
                Assert.Equal(sequence, received + reader.MessagesLost); // exact: everything before it was read or counted lost
                received++;
            }, random.Next(1, 400));
            Assert.True(handled >= 0);
        }

        while (reader.Read((_, _) => received++) > 0)
        {
        }

        Assert.Equal(written, received + reader.MessagesLost);
        Assert.Equal(received, reader.MessagesRead);
        Assert.True(reader.LapCount > 0, "the bursts were meant to lap the reader");
        Assert.True(received > 0);
    }

    [Fact]
    public void LateReadersStartAtTheOldestOrTheNewestMessage()
    {
        foreach (BroadcastMode mode in new[] { BroadcastMode.Gated, BroadcastMode.Lossy })
        {
            using var seg = new TestSegment();
            using var writer = BroadcastRing.Create(seg.Name, mode, seg.Options(capacity: 4096));
            using (var early = BroadcastReader.Open(seg.Name, BroadcastStart.Newest, seg.Options()))
            {
                // On an empty ring, Newest starts with the first message written.
                Assert.True(writer.TryWrite(Sequence(0)));
                Assert.True(early.TryRead(new byte[8], out _));
                Assert.Equal(0, early.LastSequence);
            }

            for (long i = 1; i < 5; i++)
            {
                Assert.True(writer.TryWrite(Sequence(i)));
            }

            using var oldest = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
            using var newest = BroadcastReader.Open(seg.Name, BroadcastStart.Newest, seg.Options());
            Assert.Equal(0, oldest.NextSequence);
            Assert.Equal(4, newest.NextSequence);
            Assert.True(writer.TryWrite(Sequence(5)));
            Assert.Equal(6, ReadAll(oldest, 0));
            Assert.Equal(2, ReadAll(newest, 4));
            Assert.Equal(0, oldest.MessagesLost + newest.MessagesLost);
        }
    }

    [Fact]
    public void GatedLateReaderWithoutOtherReadersGetsEveryMessageNotYetOverwritten()
    {
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 256, maxMessageLength: 16));

        // With no reader attached the gated writer releases only what it overwrites, like a lossy one.
        for (long i = 0; i < 20; i++)
        {
            Assert.True(writer.TryWrite(Sequence(i)));
        }

        Assert.Equal(13 * 32, writer.GetStatistics().Oldest);
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        Assert.Equal(13, reader.NextSequence);
        Assert.Equal(7, ReadAll(reader, 13));

        // From now on the reader gates: 7 more fit, then the writer must wait for it.
        int accepted = 0;
        while (writer.TryWrite(Sequence(20 + accepted)))
        {
            accepted++;
        }

        Assert.Equal(7, accepted);
        Assert.Equal(7, ReadAll(reader, 20));
        Assert.Equal(0, reader.MessagesLost);
    }

    [Fact]
    public void StatisticsShowEachReadersLag()
    {
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 4096));
        using var a = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        using var b = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        for (long i = 0; i < 3; i++)
        {
            Assert.True(writer.TryWrite(Sequence(i), 4));
        }

        Assert.True(a.TryRead(new byte[8], out _));
        BroadcastRingStatistics s = b.GetStatistics();
        Assert.Equal(BroadcastMode.Gated, s.Mode);
        Assert.Equal(3, s.MessagesWritten);
        Assert.Equal(96, s.Tail);
        Assert.Equal(Environment.ProcessId, s.WriterProcessId);
        Assert.True(s.IsWriterAlive);
        Assert.False(s.IsWriterCompleted);
        Assert.Equal(1, s.MessagesRead);
        Assert.Equal(2, s.Readers.Count);
        Assert.Equal(new BroadcastReaderStatistics(0, Environment.ProcessId, true, 32, 1, 64, 2, 1, 0, 0), s.Readers[0]);
        Assert.Equal(new BroadcastReaderStatistics(1, Environment.ProcessId, true, 0, 0, 96, 3, 0, 0, 0), s.Readers[1]);
        a.Dispose();
        Assert.Single(b.GetStatistics().Readers);
        Assert.Throws<ObjectDisposedException>(() => a.GetStatistics());
    }

    [Fact]
    public void AnAbortedClaimAndAWriterDisposedMidClaimLeaveNoTraceButPadding()
    {
        using var seg = new TestSegment();
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, Create(seg, BroadcastMode.Gated));
        using (var writer = BroadcastRing.Open(seg.Name, seg.Options()))
        {
            Assert.True(writer.TryWrite(Sequence(0)));
            Assert.True(writer.TryClaim(8, 1, out Span<byte> payload));
            payload.Fill(0xAB);
            writer.Abort();
            Assert.True(writer.TryWrite(Sequence(1)));
            Assert.True(writer.TryClaim(8, 1, out _)); // disposed with the claim pending: aborted
        }

        using (var next = BroadcastRing.Open(seg.Name, seg.Options()))
        {
            Assert.True(next.TryWrite(Sequence(2)));
            Assert.Equal(0, next.GetStatistics().TornClaims);
            Assert.Equal(3, next.GetStatistics().MessagesWritten);
        }

        Assert.Equal(3, ReadAll(reader, 0));
    }

    [Fact]
    public void OneWriterPerRingAndAtMost64Readers()
    {
        using var seg = new TestSegment();
        using var a = BroadcastRing.Create(seg.Name, BroadcastMode.Lossy, seg.Options());
        using var b = BroadcastRing.Open(seg.Name, seg.Options());
        Assert.Equal(BroadcastMode.Lossy, b.Mode);
        a.TryWrite([1]);
        var e = Assert.Throws<InvalidOperationException>(() => b.TryWrite([1]));
        Assert.Contains("already has a writer in this process", e.Message);
        a.Dispose();
        Assert.True(b.TryWrite([2])); // free again after dispose

        var readers = new List<BroadcastReader>();
        try
        {
            for (int i = 0; i < 64; i++)
            {
                readers.Add(BroadcastReader.Open(seg.Name, BroadcastStart.Newest, seg.Options()));
            }

            var full = Assert.Throws<InvalidOperationException>(() => BroadcastReader.Open(seg.Name, BroadcastStart.Newest, seg.Options()));
            Assert.Contains("has no free reader slot: all 64 are held by live processes", full.Message);
            readers[17].Dispose();
            readers.Add(BroadcastReader.Open(seg.Name, BroadcastStart.Newest, seg.Options()));
            Assert.Equal(17, readers[^1].Id);
        }
        finally
        {
            readers.ForEach(r => r.Dispose());
        }
    }

    [Fact]
    public void CreateOrOpenChecksTheMode()
    {
        using var seg = new TestSegment();
        using var first = BroadcastRing.CreateOrOpen(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 1024));
        using var second = BroadcastRing.CreateOrOpen(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 1024));
        Assert.Equal(BroadcastMode.Gated, second.Mode);
        var e = Assert.Throws<RingFormatException>(() => BroadcastRing.CreateOrOpen(seg.Name, BroadcastMode.Lossy, seg.Options(capacity: 1024)));
        Assert.Contains("exists in mode Gated, but mode Lossy was asked for", e.Message);
        Assert.Throws<RingFormatException>(() => BroadcastRing.CreateOrOpen(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 2048)));
    }

    [Fact]
    public async Task AsyncReadersOfOneRingAllSeeTheMessage()
    {
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options());
        using var a = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        using var b = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        byte[] bufferA = new byte[8];
        byte[] bufferB = new byte[8];
        ValueTask<RingMessage> readA = a.ReadAsync(bufferA);
        ValueTask<RingMessage> readB = b.ReadAsync(bufferB);
        await writer.WriteAsync(Sequence(42), 3);
        Assert.Equal(new RingMessage(8, 3), await readA.AsTask().WaitAsync(Long));
        Assert.Equal(new RingMessage(8, 3), await readB.AsTask().WaitAsync(Long));
        Assert.Equal(42, BinaryPrimitives.ReadInt64LittleEndian(bufferA));
        Assert.Equal(42, BinaryPrimitives.ReadInt64LittleEndian(bufferB));
    }

    private static RingOptions Create(TestSegment seg, BroadcastMode mode)
    {
        BroadcastRing.Create(seg.Name, mode, seg.Options()).Dispose();
        return seg.Options();
    }

    /// <summary>Reads until none is left, checking that the messages carry the sequences first, first + 1, ...</summary>
    private static long ReadAll(BroadcastReader reader, long first)
    {
        byte[] buffer = new byte[reader.MaxMessageLength];
        long n = 0;
        while (reader.TryRead(buffer, out RingMessage m))
        {
            Assert.Equal(first + n, BinaryPrimitives.ReadInt64LittleEndian(buffer));
            Assert.Equal(first + n, reader.LastSequence);
            n++;
        }

        return n;
    }

    private static byte[] Sequence(long value)
    {
        byte[] b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return b;
    }

    private static byte[] Pattern(long sequence, int length)
    {
        byte[] b = new byte[length];
        BinaryPrimitives.WriteInt64LittleEndian(b, sequence);
        for (int i = 8; i < length; i++)
        {
            b[i] = (byte)((sequence * 31) + i);
        }

        return b;
    }
}
