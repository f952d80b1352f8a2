using System;
using System.Linq;
using Xunit;

namespace Ring.Tests;

/// <summary><see cref="RingSegment.Inspect"/> on the slot rings: kind, parties and counters, taking no role.</summary>
public class SlotInspectionTests
{
    [Fact]
    public void ManyToManySlotRingShowsItsPartiesAndCounters()
    {
        using var seg = new TestSegment();
        using var writer = ManyToManySlotRing<long>.Create(seg.Name, 16, seg.Options());
        using var reader = ManyToManySlotRing<long>.Open(seg.Name, seg.Options());
        writer.TryWrite(1);
        writer.TryWrite(2);
        reader.TryRead(out _);

        RingSegmentInfo info = RingSegment.Inspect(seg.Name);
        Assert.Equal(RingKind.SlotManyToMany, info.Kind);
        Assert.True(info.CanInspectKind);
        Assert.Equal(16 * 16, info.Capacity);
        Assert.Equal(8, info.MaxMessageLength);
        Assert.Equal(8, info.BytesPending); // one value of 8 bytes
        Assert.Equal(["creator", "writer", "reader"], info.Parties.Select(p => p.Role));
        Assert.All(info.Parties, p => Assert.True(p.IsAlive));
        Assert.Equal(2, Counter(info, "ring.messages.written"));
        Assert.Equal(1, Counter(info, "ring.messages.read"));
        Assert.Equal(16, Counter(info, "ring.slots"));
        Assert.Equal(0, Counter(info, "ring.completed"));
        writer.Complete();
        Assert.Equal(1, Counter(RingSegment.Inspect(seg.Name), "ring.completed"));
    }

    [Fact]
    public void OneToOneSlotRingCountsFromItsPositions()
    {
        using var seg = new TestSegment();
        using var ring = SlotRing<int>.Create(seg.Name, 8, seg.Options());
        ring.TryWrite(1);
        ring.TryWrite(2);
        ring.TryWrite(3);
        ring.TryRead(out _);
        RingSegmentInfo info = RingSegment.Inspect(seg.Name);
        Assert.Equal(RingKind.SlotOneToOne, info.Kind);
        Assert.Equal((3L, 1L, 2L), (Counter(info, "ring.messages.written"), Counter(info, "ring.messages.read"), Counter(info, "ring.messages.pending")));
        Assert.Equal(8, info.BytesPending);
    }

    private static long Counter(RingSegmentInfo info, string name) => info.Counters.Single(c => c.Name == name && c.Party is null).Value;
}
