using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Ring.Tests;

/// <summary>Tier 3: what every public operation promises, on a real segment, writer and reader as separate mappings.</summary>
public class ContractTests
{
    public static IEnumerable<object[]> Strategies() =>
    [
        [WaitStrategy.Hybrid],
        [WaitStrategy.BusySpin],
        [WaitStrategy.Blocking],
        [WaitStrategy.Polling],
    ];

    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(100)]
    [InlineData(512)]
    public void RoundTripKeepsBytesTypeAndBoundaries(int length)
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 4096));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        byte[] message = new byte[length];
        new Random(length).NextBytes(message);
        byte[] buffer = new byte[4096];
        for (int i = 0; i < 50; i++)
        {
            Assert.True(writer.TryWrite(message, i));
            Assert.True(reader.TryRead(buffer, out RingMessage m));
            Assert.Equal(new RingMessage(length, i), m);
            Assert.Equal(message, buffer.AsSpan(0, length).ToArray());
        }

        Assert.False(reader.TryRead(buffer, out _));
    }

    [Fact]
    public void MessageOverTheMaximumIsRefusedBeforeAnythingIsWritten()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 100));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryWrite(new byte[101]));
        Assert.Contains("101 bytes is too long", e.Message);
        Assert.Contains("maximum message length is 100", e.Message);
        Assert.Equal(0, ring.GetStatistics().Tail);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryClaim(101, 0, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryClaim(-1, 0, out _));
        Assert.True(ring.TryWrite(new byte[100]));
    }

    [Fact]
    public void DestinationTooSmallConsumesNothing()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options());
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        writer.TryWrite([1, 2, 3, 4, 5], 9);
        var e = Assert.Throws<ArgumentException>(() => reader.TryRead(new byte[4], out _));
        Assert.Contains("Destination of 4 bytes is too small", e.Message);
        Assert.Contains("which has 5 bytes", e.Message);
        Assert.Equal(0, reader.GetStatistics().Head);
        byte[] big = new byte[5];
        Assert.True(reader.TryRead(big, out RingMessage m));
        Assert.Equal(new RingMessage(5, 9), m);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, big);
    }

    [Fact]
    public void NegativeTypesAreReserved()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryWrite([1], -1));
        Assert.Contains("Message type -1 is invalid", e.Message);
    }

    [Fact]
    public void ClaimCommitAbortRules()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options());
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        Assert.Throws<InvalidOperationException>(writer.Commit);
        Assert.Throws<InvalidOperationException>(writer.Abort);
        Assert.True(writer.TryClaim(3, 1, out Span<byte> p));
        p[0] = 42;
        Assert.Throws<InvalidOperationException>(() => writer.TryWrite([1]));
        Assert.Throws<InvalidOperationException>(writer.Complete);
        writer.Abort();
        Assert.True(writer.TryClaim(1, 2, out p));
        p[0] = 43;
        writer.Commit();
        byte[] buffer = new byte[16];
        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(1, 2), m);
        Assert.Equal(43, buffer[0]);
        Assert.False(reader.TryRead(buffer, out _));
    }

    [Fact]
    public void CompletionDrainsThenEndsTheStream()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options());
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        writer.TryWrite([1]);
        writer.TryWrite([2]);
        writer.Complete();
        writer.Complete(); // idempotent
        Assert.Throws<InvalidOperationException>(() => writer.TryWrite([3]));
        Assert.True(reader.IsWriterCompleted);
        byte[] buffer = new byte[8];
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out _, TimeSpan.Zero));
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out _, TimeSpan.Zero));
        Assert.Equal(ReadStatus.Completed, reader.Read(buffer, out _, TimeSpan.Zero));
        Assert.Equal(ReadStatus.Completed, reader.Read(buffer, out _, Long));
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void BlockingReadTimesOut(WaitStrategy strategy)
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options(strategy: strategy));
        Assert.Equal(ReadStatus.TimedOut, ring.Read(new byte[16], out _, TimeSpan.FromMilliseconds(30)));
        Assert.Equal(ReadStatus.TimedOut, ring.Read(new byte[16], out _, TimeSpan.Zero));
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task BlockedReaderIsWokenByAWrite(WaitStrategy strategy)
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(strategy: strategy));
        RingOptions readerOptions = seg.Options(strategy: strategy);
        readerOptions.LivenessCheckInterval = TimeSpan.FromSeconds(10); // asleep until woken, not woken by its own checks
        using var reader = OneToOneRing.Open(seg.Name, readerOptions);
        byte[] buffer = new byte[16];
        reader.TryRead(buffer, out _); // attach before the thread starts
        Task<(ReadStatus, RingMessage)> read = Task.Factory.StartNew(() =>
        {
            ReadStatus s = reader.Read(buffer, out RingMessage m, Long);
            return (s, m);
        }, TaskCreationOptions.LongRunning);
        if (strategy is WaitStrategy.Blocking)
        {
            // Write only once the reader is asleep on the futex, however busy the machine.
            await WaitUntil(() => writer.GetStatistics().ReaderSleeps >= 1);
        }
        else
        {
            await Task.Delay(50);
        }

        Assert.True(writer.TryWrite([7, 7], 3));
        Assert.Equal((ReadStatus.Message, new RingMessage(2, 3)), await read.WaitAsync(Long));
        if (strategy is WaitStrategy.Blocking)
        {
            OneToOneRingStatistics stats = writer.GetStatistics();
            Assert.True(stats.ReaderSleeps >= 1, "the reader slept on the futex");
            Assert.True(stats.ReaderWakeups >= 1, "the writer woke it");
        }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task BlockedReaderReturnsWhenTheWriterCompletes(WaitStrategy strategy)
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(strategy: strategy));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options(strategy: strategy));
        reader.TryRead(new byte[16], out _);
        Task<ReadStatus> read = Task.Factory.StartNew(() => reader.Read(new byte[16], out _, Long), TaskCreationOptions.LongRunning);
        await Task.Delay(50);
        writer.Complete();
        Assert.Equal(ReadStatus.Completed, await read.WaitAsync(Long));
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task BlockedWriterIsWokenWhenTheReaderFreesSpace(WaitStrategy strategy)
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 64, maxMessageLength: 16, strategy: strategy));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options(strategy: strategy));
        // Two frames of 24 bytes and the zero word after them fill 56 of the 64 bytes: a third does not fit.
        Assert.True(writer.TryWrite(new byte[16]));
        Assert.True(writer.TryWrite(new byte[16]));
        Assert.False(writer.TryWrite(new byte[16], 0, TimeSpan.FromMilliseconds(20)));
        Task<bool> write = Task.Factory.StartNew(() => writer.TryWrite(new byte[16], 1, Long), TaskCreationOptions.LongRunning);
        await Task.Delay(50);

        // After one read the frame still does not fit (it would need 16 bytes of padding at the end); after two it does.
        Assert.True(reader.TryRead(new byte[16], out _));
        Assert.True(reader.TryRead(new byte[16], out _));
        Assert.True(await write.WaitAsync(Long));
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task DisposeReleasesAThreadBlockedInTheRing(WaitStrategy strategy)
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(strategy: strategy));
        var reader = OneToOneRing.Open(seg.Name, seg.Options(strategy: strategy));
        reader.TryRead(new byte[8], out _);
        Task<ReadStatus> read = Task.Factory.StartNew(() => reader.Read(new byte[8], out _, Long), TaskCreationOptions.LongRunning);
        await Task.Delay(50);
        reader.Dispose(); // must neither crash the process nor leave the thread blocked
        await Assert.ThrowsAsync<ObjectDisposedException>(() => read.WaitAsync(Long));
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead(new byte[8], out _));
        Assert.Throws<ObjectDisposedException>(() => reader.GetStatistics());
    }

    [Fact]
    public void CancellationEndsABlockedRead()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options(strategy: WaitStrategy.Blocking));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        Assert.Throws<OperationCanceledException>(() => ring.Read(new byte[8], out _, Long, cts.Token));
    }

    [Fact]
    public async Task AsyncReadWaitsForAWriteAndEndsWithCompletion()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options());
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        byte[] buffer = new byte[16];
        ValueTask<RingMessage> pending = reader.ReadAsync(buffer);
        Assert.False(pending.IsCompleted);
        await Task.Delay(20);
        writer.TryWrite([5, 6, 7], 11);
        RingMessage m = await pending.AsTask().WaitAsync(Long);
        Assert.Equal(new RingMessage(3, 11), m);
        Assert.Equal(new byte[] { 5, 6, 7 }, buffer.AsSpan(0, 3).ToArray());

        ValueTask<bool> wait = reader.WaitToReadAsync();
        writer.Complete();
        Assert.False(await wait.AsTask().WaitAsync(Long));
        await Assert.ThrowsAsync<RingCompletedException>(async () => await reader.ReadAsync(buffer));
    }

    [Fact]
    public async Task AsyncWriteWaitsForSpace()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 64, maxMessageLength: 16));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        await writer.WriteAsync(new byte[16]).AsTask().WaitAsync(Long);
        await writer.WriteAsync(new byte[16]).AsTask().WaitAsync(Long);
        ValueTask write = writer.WriteAsync(new byte[16], 2);
        Assert.False(write.IsCompleted);
        Assert.True(reader.TryRead(new byte[16], out _));
        Assert.True(reader.TryRead(new byte[16], out _));
        await write.AsTask().WaitAsync(Long);
        Assert.Equal(2, writer.GetStatistics().MessagesWritten - 1);
    }

    [Fact]
    public async Task AsyncWaitIsCancellable()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options());
        using var cts = new CancellationTokenSource();
        ValueTask<bool> wait = ring.WaitToReadAsync(cts.Token);
        cts.CancelAfter(30);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait.AsTask().WaitAsync(Long));

        // The side is usable again after a cancelled wait.
        using var writer = OneToOneRing.Open(seg.Name, seg.Options());
        writer.TryWrite([1]);
        Assert.True(await ring.WaitToReadAsync().AsTask().WaitAsync(Long));
    }

    [Fact]
    public void BatchReadHonoursTheLimitAndHandsOutFrames()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        for (int i = 0; i < 10; i++)
        {
            writer.TryWrite([(byte)i, (byte)i], i);
        }

        var seen = new List<(int, byte)>();
        Assert.Equal(4, reader.Read((type, payload) => seen.Add((type, payload[0])), 4));
        Assert.Equal(6, reader.Read((type, payload) => seen.Add((type, payload[1]))));
        Assert.Equal(0, reader.Read((_, _) => { }));
        Assert.Equal(10, seen.Count);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal((i, (byte)i), seen[i]);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => reader.Read((_, _) => { }, 0));
    }

    [Fact]
    public void BatchReadCountsTheFrameAHandlerThrewOnAsConsumed()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options());
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        for (int i = 0; i < 3; i++)
        {
            writer.TryWrite([(byte)i], i);
        }

        Assert.Throws<InvalidTimeZoneException>(() => reader.Read((type, _) =>
        {
            if (type == 1)
            {
                throw new InvalidTimeZoneException();
            }
        }));
        Assert.True(reader.TryRead(new byte[1], out RingMessage m));
        Assert.Equal(2, m.Type);
        Assert.Equal(3, reader.GetStatistics().MessagesRead);
    }

    [Fact]
    public void OneWriterAndOneReaderPerRing()
    {
        using var seg = new TestSegment();
        using var a = OneToOneRing.Create(seg.Name, seg.Options());
        using var b = OneToOneRing.Open(seg.Name, seg.Options());
        a.TryWrite([1]);
        var e = Assert.Throws<InvalidOperationException>(() => b.TryWrite([1]));
        Assert.Contains("already has a writer in this process", e.Message);
        a.Dispose();
        Assert.True(b.TryWrite([2])); // the role is free again after dispose
        Assert.Equal(Environment.ProcessId, b.GetStatistics().WriterProcessId);
    }

    [Fact]
    public void CreateOrOpenOpensTheSameRingAndChecksSizes()
    {
        using var seg = new TestSegment();
        using var first = OneToOneRing.CreateOrOpen(seg.Name, seg.Options(capacity: 1024));
        using var second = OneToOneRing.CreateOrOpen(seg.Name, seg.Options(capacity: 1024));
        first.TryWrite([9]);
        Assert.True(second.TryRead(new byte[8], out _));
        var e = Assert.Throws<RingFormatException>(() => OneToOneRing.CreateOrOpen(seg.Name, seg.Options(capacity: 2048)));
        Assert.Contains("capacity 1024", e.Message);
        Assert.Contains("capacity 2048", e.Message);
    }

    [Fact]
    public void NoWakeUpSystemCallWhenNobodySleeps()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16, strategy: WaitStrategy.BusySpin));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options(strategy: WaitStrategy.BusySpin));
        byte[] buffer = new byte[64];
        for (int i = 0; i < 100_000; i++)
        {
            Assert.True(writer.TryWrite(buffer.AsSpan(0, 32)));
            Assert.Equal(ReadStatus.Message, reader.Read(buffer, out _, Long));
        }

        OneToOneRingStatistics stats = writer.GetStatistics();
        Assert.Equal(0, stats.ReaderSleeps);
        Assert.Equal(0, stats.ReaderWakeups);
        Assert.Equal(0, stats.WriterWakeups);
        Assert.Equal(100_000, stats.MessagesRead);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Long, "the condition did not hold within the timeout");
            await Task.Delay(1);
        }
    }
}
