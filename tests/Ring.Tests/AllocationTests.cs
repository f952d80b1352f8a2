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
