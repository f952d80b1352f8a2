using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>Tier 2 for the slot rings: the stamps and positions in a real segment after each step of the protocol.</summary>
public class SlotProtocolTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private const long Free = 0;
    private const long Writing = 1L << 9;
    private const long Full = 2L << 9;
    private const long Taken = 3L << 9;
    private const long Abandoned = Taken | 0x100;

    private static long Lap(long lap) => lap << 11;

    [Fact]
    public void OneToOneStampsAfterEachStep()
    {
        using var seg = new TestSegment();
        using var writer = SlotRing<long>.Create(seg.Name, 4, seg.Options());
        using var reader = SlotRing<long>.Open(seg.Name, seg.Options());
        SharedMemory m = writer.Segment.Memory;
        long Stamp(int slot) => m.ReadInt64Acquire(SlotRingDescriptor.OneToOneDataOffset + (slot * 16));
        long Value(int slot) => m.ReadInt64Acquire(SlotRingDescriptor.OneToOneDataOffset + (slot * 16) + 8);
        long Enqueue() => m.ReadInt64Acquire(SlotRingDescriptor.EnqueueOffset);
        long Dequeue() => m.ReadInt64Acquire(SlotRingDescriptor.DequeueOffset);

        // A fresh segment: every slot free for lap 0 (all zero), geometry recorded.
        Assert.Equal((4, 8, 16), (m.ReadInt32Plain(SlotRingDescriptor.SlotCountOffset), m.ReadInt32Plain(SlotRingDescriptor.SlotSizeOffset), m.ReadInt32Plain(SlotRingDescriptor.SlotStrideOffset)));
        Assert.Equal(64, m.ReadInt64Plain(Layout.SegmentHeaderDescriptor.CapacityOffset));
        Assert.Equal(8, m.ReadInt32Plain(Layout.SegmentHeaderDescriptor.MaxMessageLengthOffset));
        Assert.All(new[] { 0, 1, 2, 3 }, k => Assert.Equal(0, Stamp(k)));

        Assert.True(writer.TryWrite(42));
        Assert.Equal(Lap(0) | Full, Stamp(0));
        Assert.Equal(42, Value(0));
        Assert.Equal(1, Enqueue());

        Assert.True(reader.TryRead(out long v));
        Assert.Equal(42, v);
        Assert.Equal(Lap(1) | Free, Stamp(0));
        Assert.Equal(1, Dequeue());
        Assert.False(reader.TryRead(out _));

        // Positions 1..4: slots 1, 2, 3 of lap 0, then slot 0 of lap 1; position 5 finds slot 1 still full: the ring is full.
        for (long i = 1; i <= 4; i++)
        {
            Assert.True(writer.TryWrite(i * 10));
        }

        Assert.Equal(Lap(1) | Full, Stamp(0));
        Assert.Equal(Lap(0) | Full, Stamp(1));
        Assert.False(writer.TryWrite(50));
        Assert.Equal(1, writer.GetStatistics().FullStalls);
        Assert.Equal(5, Enqueue());

        Assert.True(reader.TryRead(out v));
        Assert.Equal(10, v);
        Assert.Equal(Lap(1) | Free, Stamp(1));
        Assert.True(writer.TryWrite(50));
        Assert.Equal(Lap(1) | Full, Stamp(1));

        // Completion: bit 63 of the enqueue position, the position kept in the other bits.
        writer.Complete();
        Assert.Equal(SlotRingDescriptor.ClosedMark | 6, Enqueue());
        Assert.Throws<InvalidOperationException>(() => writer.TryWrite(1));
        for (long expected = 20; expected <= 50; expected += 10)
        {
            Assert.Equal(ReadStatus.Message, reader.Read(out v, TimeSpan.Zero));
            Assert.Equal(expected, v);
        }

        Assert.Equal(ReadStatus.Completed, reader.Read(out _, TimeSpan.Zero));
        SlotRingStatistics s = reader.GetStatistics();
        Assert.Equal((6, 6, 6, 6, true), (s.EnqueuePosition, s.DequeuePosition, s.MessagesWritten, s.MessagesRead, s.IsCompleted));
    }

    [Fact]
    public void OneToOneBatchReadFreesEachSlotAndPublishesOnce()
    {
        using var seg = new TestSegment();
        using var writer = SlotRing<int>.Create(seg.Name, 8, seg.Options());
        using var reader = SlotRing<int>.Open(seg.Name, seg.Options());
        for (int i = 0; i < 5; i++)
        {
            Assert.True(writer.TryWrite(i));
        }

        int sum = 0;
        Assert.Equal(3, reader.Read((in int x) => sum += x, 3));
        Assert.Equal(3, reader.GetStatistics().DequeuePosition);
        Assert.Throws<FormatException>(() => reader.Read((in int x) => throw new FormatException()));
        Assert.Equal(4, reader.GetStatistics().DequeuePosition); // the value the handler threw on is consumed
        Assert.True(reader.TryRead(out int last));
        Assert.Equal((3, 4), (sum, last));
    }

    [Fact]
    public void ManyToManyStampsAfterEachStep()
    {
        using var seg = new TestSegment();
        using var ring = ManyToManySlotRing<long>.Create(seg.Name, 4, seg.Options());
        using var reader = ManyToManySlotRing<long>.Open(seg.Name, seg.Options());
        SharedMemory m = ring.Segment.Memory;
        long Stamp(int slot) => m.ReadInt64Acquire(SlotRingDescriptor.ManyToManyDataOffset + (slot * 16));
        long Enqueue() => m.ReadInt64Acquire(SlotRingDescriptor.EnqueueOffset);
        long Dequeue() => m.ReadInt64Acquire(SlotRingDescriptor.DequeueOffset);

        // Claim: writing(0, writer entry 0), and the enqueue position moves past it at once.
        Assert.True(ring.TryClaim(out long position));
        Assert.Equal(0, position);
        Assert.Equal(0, ring.WriterIndex);
        Assert.Equal(Lap(0) | Writing | 0, Stamp(0));
        Assert.Equal(1, Enqueue());
        Assert.Equal(MessageTakerStatus.NotYetTaken, ring.TryGetTaker(0, out _));
        Assert.False(reader.TryRead(out _)); // claimed is not readable
        Assert.Equal(0, Dequeue());
        ring.ClaimedValue = 7;
        Assert.True(ring.Commit());
        Assert.Equal(Lap(0) | Full, Stamp(0));

        // Take: taken(0, reader entry 0), the dequeue position moves; release: free for lap 1, naming 1 + the reader.
        Assert.True(reader.TryTake(out long taken));
        Assert.Equal(0, taken);
        Assert.Equal(Lap(0) | Taken | 0, Stamp(0));
        Assert.Equal(1, Dequeue());
        Assert.Equal(MessageTakerStatus.Taken, ring.TryGetTaker(0, out int readerIndex));
        Assert.Equal(0, readerIndex);
        Assert.Equal(7, reader.TakenValue);
        reader.Release();
        Assert.Equal(Lap(1) | Free | 1, Stamp(0));
        Assert.Equal(MessageTakerStatus.Taken, ring.TryGetTaker(0, out readerIndex));
        Assert.Equal(0, readerIndex);

        // Abort: the admitted position becomes a skipped one (free for the next lap, party 0), which readers pass.
        Assert.True(ring.TryClaim(out position));
        Assert.Equal(1, position);
        ring.Abort();
        Assert.Equal(Lap(1) | Free, Stamp(1));
        Assert.Equal(MessageTakerStatus.Unknown, ring.TryGetTaker(1, out _)); // carried no value
        Assert.True(ring.TryWrite(99, out position));
        Assert.Equal(2, position);
        Assert.Equal(MessageTakerStatus.NotYetTaken, ring.TryGetTaker(2, out readerIndex));
        Assert.Equal(-1, readerIndex);
        Assert.Equal(MessageTakerStatus.Unknown, ring.TryGetTaker(3, out _)); // not written
        Assert.True(reader.TryRead(out long v));
        Assert.Equal(99, v);
        Assert.Equal(3, Dequeue());
        Assert.Equal(MessageTakerStatus.Taken, ring.TryGetTaker(2, out readerIndex));
        Assert.Equal(reader.ReaderIndex, readerIndex);

        // Completion marks the enqueue position; no writer claims after it.
        ring.Complete();
        Assert.Equal(SlotRingDescriptor.ClosedMark | 3, Enqueue());
        using var late = ManyToManySlotRing<long>.Open(seg.Name, seg.Options());
        Assert.Throws<InvalidOperationException>(() => late.TryWrite(1));
        Assert.Equal(ReadStatus.Completed, reader.Read(out _, TimeSpan.Zero));
        SlotRingStatistics s = reader.GetStatistics();
        Assert.Equal((2, 2, 1, 0L), (s.MessagesWritten, s.MessagesRead, s.SkippedPositions, s.AbandonedClaims));
    }

    [Fact]
    public void ReadersDrainEveryClaimMadeBeforeCompletion()
    {
        using var seg = new TestSegment();
        using var slow = ManyToManySlotRing<long>.Create(seg.Name, 8, seg.Options());
        using var fast = ManyToManySlotRing<long>.Open(seg.Name, seg.Options());
        using var reader = ManyToManySlotRing<long>.Open(seg.Name, seg.Options());
        Assert.True(slow.TryClaim(out _));
        Assert.True(fast.TryWrite(2));
        fast.Complete();

        // The claim at position 0 precedes the mark: the reader waits for it rather than ending the stream.
        Assert.Equal(ReadStatus.TimedOut, reader.Read(out _, TimeSpan.FromMilliseconds(50)));
        slow.ClaimedValue = 1;
        Assert.True(slow.Commit());
        Assert.Equal(ReadStatus.Message, reader.Read(out long v, Long));
        Assert.Equal(1, v);
        Assert.Equal(ReadStatus.Message, reader.Read(out v, Long));
        Assert.Equal(2, v);
        Assert.Equal(ReadStatus.Completed, reader.Read(out _, Long));
    }

    [Fact]
    public void StuckWriterIsPassedAfterTheTimeoutAndItsLateCommitFails()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options();
        options.StuckWriterTimeout = TimeSpan.FromMilliseconds(50);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(5);
        using var stuck = ManyToManySlotRing<long>.Create(seg.Name, 2, options);
        using var other = ManyToManySlotRing<long>.Open(seg.Name, options);
        using var reader = ManyToManySlotRing<long>.Open(seg.Name, options);
        SharedMemory m = stuck.Segment.Memory;
        long Stamp(int slot) => m.ReadInt64Acquire(SlotRingDescriptor.ManyToManyDataOffset + (slot * 16));

        Assert.True(stuck.TryClaim(out long position));
        Assert.Equal(0, position);
        Assert.True(other.TryWrite(1)); // position 1, behind the stuck claim

        // The reader waits on position 0, sees the same claim for the timeout, abandons it, and reads position 1.
        Assert.Equal(ReadStatus.Message, reader.Read(out long v, Long));
        Assert.Equal(1, v);
        Assert.Equal(Lap(0) | Abandoned | (uint)stuck.WriterIndex, Stamp(0));
        Assert.Equal(1, reader.GetStatistics().AbandonedClaims);

        // Position 2 is slot 0 again: the writer passes over the abandoned slot (still the stuck writer's) and takes
        // position 3 (slot 1). The stuck writer may still write into its slot: nobody else uses it.
        Assert.True(other.TryWrite(3, out position));
        Assert.Equal(3, position);
        Assert.Equal(Lap(1) | Abandoned | (uint)stuck.WriterIndex, Stamp(0));
        stuck.ClaimedValue = 666;

        // Its commit fails and frees the slot for the lap after the last one it was passed over in.
        Assert.False(stuck.Commit());
        Assert.Equal(Lap(2) | Free, Stamp(0));
        SlotRingStatistics s = reader.GetStatistics();
        Assert.Equal((1L, 2L, 1L), (s.AbandonedClaims, s.SkippedPositions, s.LateCommits));

        // Its TryWrite writes the value again: delivered after the others, once.
        Assert.Equal(ReadStatus.Message, reader.Read(out v, Long));
        Assert.Equal(3, v);
        Assert.True(stuck.TryWrite(666, out position));
        Assert.Equal(4, position);
        Assert.Equal(ReadStatus.Message, reader.Read(out v, Long));
        Assert.Equal(666, v);
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void ATryReadPollerAlsoPassesAStuckClaim()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options();
        options.StuckWriterTimeout = TimeSpan.FromMilliseconds(20);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(2);
        using var stuck = ManyToManySlotRing<int>.Create(seg.Name, 4, options);
        using var other = ManyToManySlotRing<int>.Open(seg.Name, options);
        using var reader = ManyToManySlotRing<int>.Open(seg.Name, options);
        Assert.True(stuck.TryClaim(out _));
        Assert.True(other.TryWrite(5));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int v;
        while (!reader.TryRead(out v))
        {
            Assert.True(clock.Elapsed < Long, "the poller never passed the stuck claim");
            Thread.Yield();
        }

        Assert.Equal(5, v);
    }

    [Fact]
    public void ALongStuckWriterTimeoutWaitsForTheLiveWriter()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options();
        options.StuckWriterTimeout = TimeSpan.FromHours(1);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(2);
        using var stuck = ManyToManySlotRing<int>.Create(seg.Name, 4, options);
        using var other = ManyToManySlotRing<int>.Open(seg.Name, options);
        using var reader = ManyToManySlotRing<int>.Open(seg.Name, options);
        Assert.True(stuck.TryClaim(out _));
        Assert.True(other.TryWrite(5));
        Assert.Equal(ReadStatus.TimedOut, reader.Read(out _, TimeSpan.FromMilliseconds(100)));
        stuck.ClaimedValue = 4;
        Assert.True(stuck.Commit());
        Assert.Equal(ReadStatus.Message, reader.Read(out int v, Long));
        Assert.Equal(4, v);
    }

    [Fact]
    public async Task ManyToManyAsyncAndBatchPaths()
    {
        using var seg = new TestSegment();
        using var writer = ManyToManySlotRing<long>.Create(seg.Name, 4, seg.Options());
        using var reader = ManyToManySlotRing<long>.Open(seg.Name, seg.Options());
        ValueTask<long> pending = reader.ReadAsync();
        await Task.Delay(20);
        await writer.WriteAsync(11);
        Assert.Equal(11, await pending.AsTask().WaitAsync(Long));

        for (long i = 0; i < 4; i++)
        {
            Assert.True(writer.TryWrite(i));
        }

        ValueTask blocked = writer.WriteAsync(4);
        Assert.False(blocked.IsCompleted);
        long sum = 0;
        Assert.Equal(4, reader.Read((in long x) => sum += x));
        await blocked.AsTask().WaitAsync(Long);
        Assert.Equal(1, reader.Read((in long x) => sum += x));
        Assert.Equal(10, sum);
        writer.Complete();
        Assert.False(await reader.WaitToReadAsync().AsTask().WaitAsync(Long));
        await Assert.ThrowsAsync<RingCompletedException>(async () => await reader.ReadAsync());
    }
}
