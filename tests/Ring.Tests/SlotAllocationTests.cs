using System;
using Xunit;

namespace Ring.Tests;

/// <summary>No allocation per message on the slot rings' synchronous paths (GC.GetAllocatedBytesForCurrentThread).</summary>
public class SlotAllocationTests
{
    private const int Messages = 20_000;

    [Fact]
    public void OneToOneAllocatesNothingPerMessage()
    {
        using var seg = new TestSegment();
        using var writer = SlotRing<Message>.Create(seg.Name, 1024, seg.Options());
        using var reader = SlotRing<Message>.Open(seg.Name, seg.Options());
        var handler = new SumHandler();
        var value = new Message { A = 1, B = 2, C = 3, D = 4 };
        void Run()
        {
            for (int i = 0; i < Messages; i++)
            {
                writer.TryWrite(in value);
                reader.TryRead(out _);
                writer.TryWrite(in value, TimeSpan.FromSeconds(5));
                reader.Read(out _, TimeSpan.FromSeconds(5));
                writer.TryWrite(in value);
                writer.TryWrite(in value);
                reader.Read(ref handler);
            }
        }

        Assert.Equal(0, Measure(Run));
        Assert.True(handler.Sum > 0);
    }

    [Fact]
    public void ManyToManyAllocatesNothingPerMessage()
    {
        using var seg = new TestSegment();
        using var writer = ManyToManySlotRing<Message>.Create(seg.Name, 1024, seg.Options());
        using var reader = ManyToManySlotRing<Message>.Open(seg.Name, seg.Options());
        var handler = new SumHandler();
        var value = new Message { A = 1, B = 2, C = 3, D = 4 };
        void Run()
        {
            for (int i = 0; i < Messages; i++)
            {
                writer.TryWrite(in value, out long position);
                reader.TryRead(out _);
                writer.TryGetTaker(position, out _);
                writer.TryWrite(in value, TimeSpan.FromSeconds(5));
                reader.Read(out _, TimeSpan.FromSeconds(5));
                writer.TryWrite(in value);
                writer.TryWrite(in value);
                reader.Read(ref handler);
                reader.TryRead(out _); // empty
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

    private struct Message
    {
        public long A;
        public long B;
        public long C;
        public long D;
    }

    private struct SumHandler : ISlotHandler<Message>
    {
        public long Sum;

        public void OnMessage(in Message message) => Sum += message.A + message.B;
    }
}
