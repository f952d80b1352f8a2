using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// Tier 3: what every public operation of a frame ring promises, on a real segment, writer and reader as separate
/// mappings. One subclass per ring kind supplies the endpoints (<see cref="CreateWriter"/>, <see cref="OpenReader"/>);
/// every test here runs for every kind.
/// </summary>
public abstract class RingContractTests
{
    public static IEnumerable<object[]> Strategies() =>
    [
        [WaitStrategy.Hybrid],
        [WaitStrategy.BusySpin],
        [WaitStrategy.Blocking],
        [WaitStrategy.Polling],
    ];

    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    /// <summary>Creates the ring's segment and returns a writer on it (a mapping of its own).</summary>
    protected abstract IMessageWriter CreateWriter(TestSegment segment, RingOptions options);

    /// <summary>Opens a reader on the existing ring (a mapping of its own).</summary>
    protected abstract IMessageReader OpenReader(TestSegment segment, RingOptions options);

    /// <summary>The ring's sleep and wake-up counters, read through any endpoint.</summary>
    protected abstract WakeCounters GetWakeCounters(IMessageWriter writer);

    /// <summary>Whether a full ring makes the writer wait (false for a lossy broadcast ring, whose writer overwrites).</summary>
    protected virtual bool WriterWaitsForSpace => true;

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
        using var writer = CreateWriter(seg, seg.Options(capacity: 4096));
        using var reader = OpenReader(seg, seg.Options());
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
        using var ring = CreateWriter(seg, seg.Options(capacity: 1024, maxMessageLength: 100));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryWrite(new byte[101]));
        Assert.Contains("101 bytes is too long", e.Message);
        Assert.Contains("maximum message length is 100", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryClaim(101, 0, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryClaim(-1, 0, out _));
        Assert.True(ring.TryWrite(new byte[100], 5));
        using var reader = OpenReader(seg, seg.Options());
        byte[] buffer = new byte[100];
        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(100, 5), m); // the refused writes left nothing behind
        Assert.False(reader.TryRead(buffer, out _));
    }

    [Fact]
    public void DestinationTooSmallConsumesNothing()
    {
        using var seg = new TestSegment();
        using var writer = CreateWriter(seg, seg.Options());
        using var reader = OpenReader(seg, seg.Options());
        writer.TryWrite([1, 2, 3, 4, 5], 9);
        var e = Assert.Throws<ArgumentException>(() => reader.TryRead(new byte[4], out _));
        Assert.Contains("Destination of 4 bytes is too small", e.Message);
        Assert.Contains("which has 5 bytes", e.Message);
        byte[] big = new byte[5];
        Assert.True(reader.TryRead(big, out RingMessage m));
        Assert.Equal(new RingMessage(5, 9), m);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, big);
    }

    [Fact]
    public void NegativeTypesAreReserved()
    {
        using var seg = new TestSegment();
        using var ring = CreateWriter(seg, seg.Options());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryWrite([1], -1));
        Assert.Contains("Message type -1 is invalid", e.Message);
    }

    [Fact]
    public void ClaimCommitAbortRules()
    {
        using var seg = new TestSegment();
        using var writer = CreateWriter(seg, seg.Options());
        using var reader = OpenReader(seg, seg.Options());
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
        using var writer = CreateWriter(seg, seg.Options());
        using var reader = OpenReader(seg, seg.Options());
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
        using var writer = CreateWriter(seg, seg.Options(strategy: strategy));
        using var ring = OpenReader(seg, seg.Options(strategy: strategy));
        Assert.Equal(ReadStatus.TimedOut, ring.Read(new byte[16], out _, TimeSpan.FromMilliseconds(30)));
        Assert.Equal(ReadStatus.TimedOut, ring.Read(new byte[16], out _, TimeSpan.Zero));
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task BlockedReaderIsWokenByAWrite(WaitStrategy strategy)
    {
        using var seg = new TestSegment();
        using var writer = CreateWriter(seg, seg.Options(strategy: strategy));
        RingOptions readerOptions = seg.Options(strategy: strategy);
        readerOptions.LivenessCheckInterval = TimeSpan.FromSeconds(10); // asleep until woken, not woken by its own checks
        using var reader = OpenReader(seg, readerOptions);
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
            await WaitUntil(() => GetWakeCounters(writer).ReaderSleeps >= 1);
        }
        else
        {
            await Task.Delay(50);
        }

        Assert.True(writer.TryWrite([7, 7], 3));
        Assert.Equal((ReadStatus.Message, new RingMessage(2, 3)), await read.WaitAsync(Long));
        if (strategy is WaitStrategy.Blocking)
        {
            WakeCounters stats = GetWakeCounters(writer);
            Assert.True(stats.ReaderSleeps >= 1, "the reader slept on the futex");
            Assert.True(stats.ReaderWakeups >= 1, "the writer woke it");
        }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task BlockedReaderReturnsWhenTheWriterCompletes(WaitStrategy strategy)
    {
        using var seg = new TestSegment();
        using var writer = CreateWriter(seg, seg.Options(strategy: strategy));
        using var reader = OpenReader(seg, seg.Options(strategy: strategy));
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
        using var writer = CreateWriter(seg, seg.Options(capacity: 256, maxMessageLength: 16, strategy: strategy));
        using var reader = OpenReader(seg, seg.Options(strategy: strategy));
        reader.TryRead(new byte[16], out _); // attach, so that a gating reader is registered
        int written = Fill(writer);
        if (!WriterWaitsForSpace)
        {
            return;
        }

        Assert.False(writer.TryWrite(new byte[16], 0, TimeSpan.FromMilliseconds(20)));
        Task<bool> write = Task.Factory.StartNew(() => writer.TryWrite(new byte[16], 1, Long), TaskCreationOptions.LongRunning);
        await Task.Delay(50);

        // Reading everything that was there makes room; the blocked write then lands behind it.
        for (int i = 0; i < written; i++)
        {
            Assert.True(reader.TryRead(new byte[16], out RingMessage m));
            Assert.Equal(0, m.Type);
        }

        Assert.True(await write.WaitAsync(Long));
        Assert.True(reader.TryRead(new byte[16], out RingMessage last));
        Assert.Equal(1, last.Type);
    }

    /// <summary>
    /// Writes 16-byte messages of type 0 until the ring refuses one and returns how many it took; a ring whose writer
    /// never waits (lossy) must accept far more than fit, which is checked instead.
    /// </summary>
    protected int Fill(IMessageWriter writer)
    {
        int written = 0;
        while (writer.TryWrite(new byte[16]))
        {
            written++;
            if (written == 1_000)
            {
                Assert.False(WriterWaitsForSpace, "a ring of 256 bytes took 1,000 messages of 16 bytes without waiting");
                return written;
            }
        }

        Assert.True(WriterWaitsForSpace, "a ring whose writer never waits refused a message");
        Assert.True(written >= 2, $"a ring of 256 bytes took only {written} messages of 16 bytes");
        return written;
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task DisposeReleasesAThreadBlockedInTheRing(WaitStrategy strategy)
    {
        using var seg = new TestSegment();
        using var writer = CreateWriter(seg, seg.Options(strategy: strategy));
        var reader = OpenReader(seg, seg.Options(strategy: strategy));
        reader.TryRead(new byte[8], out _);
        Task<ReadStatus> read = Task.Factory.StartNew(() => reader.Read(new byte[8], out _, Long), TaskCreationOptions.LongRunning);
        await Task.Delay(50);
        reader.Dispose(); // must neither crash the process nor leave the thread blocked
        await Assert.ThrowsAsync<ObjectDisposedException>(() => read.WaitAsync(Long));
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead(new byte[8], out _));
        Assert.Throws<ObjectDisposedException>(() => reader.IsWriterCompleted); // reads the segment: must not touch the unmapped memory
    }

    [Fact]
    public void CancellationEndsABlockedRead()
    {
        using var seg = new TestSegment();
        using var writer = CreateWriter(seg, seg.Options(strategy: WaitStrategy.Blocking));
        using var ring = OpenReader(seg, seg.Options(strategy: WaitStrategy.Blocking));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        Assert.Throws<OperationCanceledException>(() => ring.Read(new byte[8], out _, Long, cts.Token));
    }

    [Fact]
    public async Task AsyncReadWaitsForAWriteAndEndsWithCompletion()
    {
        using var seg = new TestSegment();
        using var writer = CreateWriter(seg, seg.Options());
        using var reader = OpenReader(seg, seg.Options());
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
        using var writer = CreateWriter(seg, seg.Options(capacity: 256, maxMessageLength: 16));
        using var reader = OpenReader(seg, seg.Options());
        reader.TryRead(new byte[16], out _);
        int written = Fill(writer);
        if (!WriterWaitsForSpace)
        {
            return;
        }

        ValueTask write = writer.WriteAsync(new byte[16], 2);
        Assert.False(write.IsCompleted);
        for (int i = 0; i < written; i++)
        {
            Assert.True(reader.TryRead(new byte[16], out _));
        }

        await write.AsTask().WaitAsync(Long);
        Assert.True(reader.TryRead(new byte[16], out RingMessage last));
        Assert.Equal(2, last.Type);
    }

    [Fact]
    public async Task AsyncWaitIsCancellable()
    {
        using var seg = new TestSegment();
        using var writer = CreateWriter(seg, seg.Options());
        using var ring = OpenReader(seg, seg.Options());
        using var cts = new CancellationTokenSource();
        ValueTask<bool> wait = ring.WaitToReadAsync(cts.Token);
        cts.CancelAfter(30);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait.AsTask().WaitAsync(Long));

        // The side is usable again after a cancelled wait.
        writer.TryWrite([1]);
        Assert.True(await ring.WaitToReadAsync().AsTask().WaitAsync(Long));
    }

    [Fact]
    public void BatchReadHonoursTheLimitAndHandsOutFrames()
    {
        using var seg = new TestSegment();
        using var writer = CreateWriter(seg, seg.Options(capacity: 1024));
        using var reader = OpenReader(seg, seg.Options());
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
        using var writer = CreateWriter(seg, seg.Options());
        using var reader = OpenReader(seg, seg.Options());
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
        Assert.False(reader.TryRead(new byte[1], out _));
    }

    [Fact]
    public void NoWakeUpSystemCallWhenNobodySleeps()
    {
        using var seg = new TestSegment();
        using var writer = CreateWriter(seg, seg.Options(capacity: 1 << 16, strategy: WaitStrategy.BusySpin));
        using var reader = OpenReader(seg, seg.Options(strategy: WaitStrategy.BusySpin));
        byte[] buffer = new byte[64];
        for (int i = 0; i < 100_000; i++)
        {
            Assert.True(writer.TryWrite(buffer.AsSpan(0, 32)));
            Assert.Equal(ReadStatus.Message, reader.Read(buffer, out _, Long));
        }

        WakeCounters stats = GetWakeCounters(writer);
        Assert.Equal(0, stats.ReaderSleeps);
        Assert.Equal(0, stats.ReaderWakeups);
        Assert.Equal(0, stats.WriterWakeups);
        Assert.Equal(100_000, stats.MessagesRead);
    }

    protected static async Task WaitUntil(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Long, "the condition did not hold within the timeout");
            await Task.Delay(1);
        }
    }
}
