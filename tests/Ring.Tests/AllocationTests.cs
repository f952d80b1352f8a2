using System;
using Xunit;

namespace Ring.Tests;

/// <summary>No allocation per message on the synchronous paths, measured with GC.GetAllocatedBytesForCurrentThread.</summary>
public class AllocationTests
{
    private const int Messages = 20_000;

    [Fact]
    public void TryWriteAndTryReadAllocateNothing()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        byte[] message = new byte[100];
        byte[] buffer = new byte[100];
        void Run()
        {
            for (int i = 0; i < Messages; i++)
            {
                writer.TryWrite(message, 1);
                reader.TryRead(buffer, out _);
            }
        }

        Assert.Equal(0, Measure(Run));
    }

    [Fact]
    public void ClaimCommitAndBatchReadAllocateNothing()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        var handler = new SumHandler();
        void Run()
        {
            for (int i = 0; i < Messages / 10; i++)
            {
                for (int j = 0; j < 10; j++)
                {
                    writer.TryClaim(32, j, out Span<byte> payload);
                    payload[0] = (byte)j;
                    writer.Commit();
                }

                reader.Read(ref handler);
            }
        }

        Assert.Equal(0, Measure(Run));
        Assert.True(handler.Sum > 0);
    }

    [Fact]
    public void BlockingCallsThatDoNotWaitAllocateNothing()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        byte[] message = new byte[64];
        byte[] buffer = new byte[64];
        FrameHandler handler = static (_, _) => { };
        void Run()
        {
            for (int i = 0; i < Messages; i++)
            {
                writer.TryWrite(message, 2, TimeSpan.FromSeconds(5));
                reader.Read(buffer, out _, TimeSpan.FromSeconds(5));
                writer.TryWrite(message, 3);
                reader.Read(handler, 1);
            }
        }

        Assert.Equal(0, Measure(Run));
    }

    [Fact]
    public void ManyToOneSynchronousPathsAllocateNothing()
    {
        using var seg = new TestSegment();
        using var writer = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16));
        using var reader = ManyToOneRing.Open(seg.Name, seg.Options());
        byte[] message = new byte[32];
        byte[] buffer = new byte[64];
        var handler = new SumHandler();
        void Run()
        {
            for (int i = 0; i < Messages / 4; i++)
            {
                writer.TryWrite(message, 1);
                writer.TryClaim(16, 2, out Span<byte> payload);
                payload[0] = 1;
                writer.Commit();
                reader.TryRead(buffer, out _);
                reader.Read(ref handler, 1);
                writer.TryWrite(message, 3, TimeSpan.FromSeconds(5));
                reader.Read(buffer, out _, TimeSpan.FromSeconds(5));
            }
        }

        Assert.Equal(0, Measure(Run));
        Assert.True(handler.Sum > 0);
    }

    [Fact]
    public void ChecksummedFramesAllocateNothing()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1 << 16);
        options.FrameChecksums = true;
        using var writer = OneToOneRing.Create(seg.Name, options);
        using var reader = OneToOneRing.Open(seg.Name, options);
        byte[] message = new byte[100];
        byte[] buffer = new byte[100];
        var handler = new SumHandler();
        void Run()
        {
            for (int i = 0; i < Messages; i++)
            {
                writer.TryWrite(message, 1);
                reader.TryRead(buffer, out _);
                writer.TryClaim(32, 2, out Span<byte> payload);
                payload[0] = 1;
                writer.Commit();
                reader.Read(ref handler);
            }
        }

        Assert.Equal(0, Measure(Run));
    }

    [Theory]
    [InlineData(WaitStrategy.Hybrid)]
    [InlineData(WaitStrategy.Blocking)]
    public void BlockingCallsThatWaitAndTimeOutAllocateNothing(WaitStrategy strategy)
    {
        // Found by the soak: a blocking call that had to wait built its ring's name for the dispose gate every time.
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 256, strategy: strategy));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options(strategy: strategy));
        using var mutexSegment = new TestSegment();
        using var mutex = SharedMutex.Create(mutexSegment.Name, mutexSegment.Options(strategy: strategy));
        using var other = SharedMutex.Open(mutexSegment.Name, mutexSegment.Options(strategy: strategy));
        using var manySegment = new TestSegment();
        using var many = ManyToOneRing.Create(manySegment.Name, manySegment.Options(strategy: strategy));
        using var mpmcSegment = new TestSegment();
        using var mpmc = ManyToManyRing.Create(mpmcSegment.Name, mpmcSegment.Options(strategy: strategy));
        using var broadcastSegment = new TestSegment();
        using var broadcast = BroadcastRing.Create(broadcastSegment.Name, BroadcastMode.Gated, broadcastSegment.Options(strategy: strategy));
        using var subscriber = BroadcastReader.Open(broadcastSegment.Name, BroadcastStart.Oldest, broadcastSegment.Options(strategy: strategy));
        using var slotSegment = new TestSegment();
        using var slots = SlotRing<long>.Create(slotSegment.Name, 16, slotSegment.Options(strategy: strategy));
        Assert.True(mutex.TryAcquire());
        byte[] message = new byte[30];
        byte[] buffer = new byte[32];
        TimeSpan wait = TimeSpan.FromMilliseconds(1);
        void Run()
        {
            for (int i = 0; i < 50; i++)
            {
                reader.Read(buffer, out _, wait);
                many.Read(buffer, out _, wait);
                mpmc.Read(buffer, out _, wait);
                subscriber.Read(buffer, out _, wait);
                slots.Read(out _, wait);
            }

            while (writer.TryWrite(message))
            {
            }

            for (int i = 0; i < 50; i++)
            {
                writer.TryWrite(message, 0, wait);
                other.TryAcquire(wait);
            }

            while (reader.TryRead(buffer, out _))
            {
            }
        }

        Assert.Equal(0, Measure(Run));
    }

    private static long Measure(Action run)
    {
        run(); // warm up: tiering, attach, statics
        long before = GC.GetAllocatedBytesForCurrentThread();
        run();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private struct SumHandler : IFrameHandler
    {
        public long Sum;

        public void OnFrame(int type, ReadOnlySpan<byte> payload) => Sum += payload[0] + type + 1;
    }
}
