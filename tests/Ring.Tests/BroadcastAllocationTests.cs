using System;
using Xunit;

namespace Ring.Tests;

/// <summary>No allocation per message on the broadcast ring's synchronous paths, gated and lossy, measured with GC.GetAllocatedBytesForCurrentThread.</summary>
public class BroadcastAllocationTests
{
    private const int Messages = 20_000;

    [Theory]
    [InlineData(BroadcastMode.Gated)]
    [InlineData(BroadcastMode.Lossy)]
    public void TryWriteAndTryReadAllocateNothing(BroadcastMode mode)
    {
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, mode, seg.Options(capacity: 1 << 16));
        using var a = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        using var b = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        byte[] message = new byte[100];
        byte[] buffer = new byte[100];
        void Run()
        {
            for (int i = 0; i < Messages; i++)
            {
                writer.TryWrite(message, 1);
                a.TryRead(buffer, out _);
                b.TryRead(buffer, out _);
            }
        }

        Assert.Equal(0, Measure(Run));
        Assert.Equal(2 * Messages, a.MessagesRead);
    }

    [Theory]
    [InlineData(BroadcastMode.Gated)]
    [InlineData(BroadcastMode.Lossy)]
    public void ClaimCommitAndBatchReadAllocateNothing(BroadcastMode mode)
    {
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, mode, seg.Options(capacity: 1 << 16));
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
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
        Assert.Equal(0, reader.MessagesLost);
    }

    [Theory]
    [InlineData(BroadcastMode.Gated)]
    [InlineData(BroadcastMode.Lossy)]
    public void BlockingCallsThatDoNotWaitAllocateNothing(BroadcastMode mode)
    {
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, mode, seg.Options(capacity: 1 << 16));
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
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
    public void GatedWriterWithNoReaderAllocatesNothing()
    {
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 1 << 12));
        byte[] message = new byte[48];
        void Run()
        {
            for (int i = 0; i < Messages; i++)
            {
                writer.TryWrite(message, 4);
            }
        }

        Assert.Equal(0, Measure(Run));
        Assert.Equal(2 * Messages, writer.GetStatistics().MessagesWritten);
    }

    private static long Measure(Action run)
    {
        run(); // warm up: tiering, attach, statics, the lossy reader's batch buffer
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
