using System;
using System.IO;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>Bad slot counts, value types, options and slot ring headers: each refused with the value and the rule.</summary>
public class SlotBadInputTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-4)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(100)]
    [InlineData(1 << 27)]
    [InlineData(int.MinValue)]
    public void BadSlotCounts(int slotCount)
    {
        using var seg = new TestSegment();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SlotRing<long>.Create(seg.Name, slotCount, seg.Options()));
        Assert.Contains($"Slot count {slotCount} is invalid: it must be a power of two between 2 and {1 << 26}", e.Message);
        Assert.Equal("slotCount", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => ManyToManySlotRing<long>.Create(seg.Name, slotCount, seg.Options()));
        Assert.Throws<ArgumentOutOfRangeException>(() => ManyToManySlotRing<long>.CreateOrOpen(seg.Name, slotCount, seg.Options()));
        Assert.False(File.Exists(seg.Path));
    }

    [Fact]
    public void TooManySlotsForALargeValue()
    {
        using var seg = new TestSegment();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SlotRing<Big>.Create(seg.Name, 1 << 21, seg.Options()));
        Assert.Contains("Slot count 2097152 is invalid: it must be a power of two between 2 and 1048576 (for 520-byte values, whose slots take 576 bytes", e.Message);
    }

    [Fact]
    public void ValueOfAnotherSizeIsRefusedNamingBothSizes()
    {
        using var seg = new TestSegment();
        using var ring = SlotRing<long>.Create(seg.Name, 8, seg.Options());
        var e = Assert.Throws<RingFormatException>(() => SlotRing<int>.Open(seg.Name, seg.Options()));
        Assert.Contains($"Ring '{seg.Name}' holds values of 8 bytes (type 'System.Int64'), but Int32 has 4 bytes", e.Message);
        Assert.Throws<RingFormatException>(() => SlotRing<int>.Open(seg.Name, seg.Options(), checkTypeName: false));
    }

    [Fact]
    public void ValueOfAnotherTypeOfTheSameSizeIsRefusedUnlessAskedNotTo()
    {
        using var seg = new TestSegment();
        using var ring = ManyToManySlotRing<long>.Create(seg.Name, 8, seg.Options());
        var e = Assert.Throws<RingFormatException>(() => ManyToManySlotRing<double>.Open(seg.Name, seg.Options()));
        Assert.Contains("was created for values of type 'System.Int64'", e.Message);
        Assert.Contains("not 'System.Double'", e.Message);
        Assert.Contains("checkTypeName: false", e.Message);
        using var sameSize = ManyToManySlotRing<double>.Open(seg.Name, seg.Options(), checkTypeName: false);
        ring.TryWrite(BitConverter.DoubleToInt64Bits(1.5));
        Assert.True(sameSize.TryRead(out double d));
        Assert.Equal(1.5, d);
    }

    [Fact]
    public void GenericValueTypesAreNamedWithoutAssemblyVersions()
    {
        Assert.Equal("Ring.Tests.SlotBadInputTests+Pair`1[System.Int32]", SlotSegment.TypeName(typeof(Pair<int>)));
        using var seg = new TestSegment();
        using var ring = SlotRing<Pair<int>>.Create(seg.Name, 8, seg.Options());
        using var again = SlotRing<Pair<int>>.Open(seg.Name, seg.Options());
        Assert.Throws<RingFormatException>(() => SlotRing<Pair<uint>>.Open(seg.Name, seg.Options()));
    }

    [Fact]
    public void KindsAreNotInterchangeable()
    {
        using var seg = new TestSegment();
        using var ring = SlotRing<long>.Create(seg.Name, 8, seg.Options());
        var e = Assert.Throws<RingFormatException>(() => ManyToManySlotRing<long>.Open(seg.Name, seg.Options()));
        Assert.Contains("holds a ring of kind SlotOneToOne (5), but kind SlotManyToMany (6) was asked for.", e.Message);
        Assert.Throws<RingFormatException>(() => OneToOneRing.Open(seg.Name, seg.Options()));
    }

    [Fact]
    public void CreateOrOpenChecksTheSlotCountAndCreateIsExclusive()
    {
        using var seg = new TestSegment();
        using var first = ManyToManySlotRing<long>.CreateOrOpen(seg.Name, 16, seg.Options());
        using var second = ManyToManySlotRing<long>.CreateOrOpen(seg.Name, 16, seg.Options());
        first.TryWrite(5);
        Assert.True(second.TryRead(out long v));
        Assert.Equal(5, v);
        var e = Assert.Throws<RingFormatException>(() => ManyToManySlotRing<long>.CreateOrOpen(seg.Name, 32, seg.Options()));
        Assert.Contains("exists with 16 slots, but 32 slots were asked for", e.Message);
        Assert.Throws<IOException>(() => ManyToManySlotRing<long>.Create(seg.Name, 16, seg.Options()));
    }

    [Theory]
    [InlineData(SlotRingDescriptor.SlotCountOffset, 12, "has slot count 12: it must be a power of two between 2 and")]
    [InlineData(SlotRingDescriptor.SlotCountOffset, 64, "has capacity 256 and maximum message length 8, but 64 slots of stride 16 make 1024 bytes of 8-byte values.")]
    [InlineData(SlotRingDescriptor.SlotSizeOffset, 0, "has slot size 0: it must be between 1 and 1048576 bytes.")]
    [InlineData(SlotRingDescriptor.SlotStrideOffset, 24, "has slot stride 24; slots of 8-byte values have stride 16.")]
    [InlineData(SlotRingDescriptor.WriterEntriesOffset, 2, "has 2 writer and 64 reader table entries; kind SlotManyToMany has 64 of each.")]
    [InlineData(SlotRingDescriptor.TypeNameLengthOffset, 1000, "has type name length 1000: it must be between 0 and 92 bytes.")]
    public void CorruptGeometryIsRefusedOnOpen(int offset, int value, string message)
    {
        using var seg = new TestSegment();
        using (ManyToManySlotRing<long>.Create(seg.Name, 16, seg.Options()))
        {
        }

        Poke(seg, offset, BitConverter.GetBytes(value));
        var e = Assert.Throws<RingFormatException>(() => ManyToManySlotRing<long>.Open(seg.Name, seg.Options()));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void GarbageStampsAreReportedNotFollowed()
    {
        using var seg = new TestSegment();
        using var writer = ManyToManySlotRing<long>.Create(seg.Name, 8, seg.Options());
        using var reader = ManyToManySlotRing<long>.Open(seg.Name, seg.Options());
        Assert.True(writer.TryWrite(1));
        Poke(seg, SlotRingDescriptor.ManyToManyDataOffset, BitConverter.GetBytes(0x7123_4567_89AB_CDEFL));
        var e = Assert.Throws<RingCorruptedException>(() => reader.TryRead(out _));
        Assert.Contains("slot 0 holds stamp 0x7123456789ABCDEF", e.Message);
        Assert.Contains("at position 0", e.Message);

        // A claim by a party outside the tables, met by a reader that would look that party up.
        Poke(seg, SlotRingDescriptor.ManyToManyDataOffset + 16, BitConverter.GetBytes((1L << 9) | 200));
        var writing = Assert.Throws<RingCorruptedException>(() => reader.TryRead(out _));
        Assert.Contains("slot 1 holds stamp 0x00000000000002C8 (lap 0, writing, party 200); at position 1 the ring expects a party below 64", writing.Message);
    }

    [Fact]
    public void GarbageStampInAOneToOneRing()
    {
        using var seg = new TestSegment();
        using var ring = SlotRing<long>.Create(seg.Name, 4, seg.Options());
        Poke(seg, SlotRingDescriptor.OneToOneDataOffset, BitConverter.GetBytes(5L << 11));
        var e = Assert.Throws<RingCorruptedException>(() => ring.TryRead(out _));
        Assert.Contains("slot 0 holds stamp 0x0000000000002800 (lap 5, free, party 0); at position 0 the ring expects full or free for this lap", e.Message);
        Assert.Throws<RingCorruptedException>(() => ring.TryWrite(1));
    }

    [Fact]
    public void EnqueuePositionFarAheadIsRefusedWhenAttaching()
    {
        using var seg = new TestSegment();
        using var ring = SlotRing<long>.Create(seg.Name, 4, seg.Options());
        Poke(seg, SlotRingDescriptor.EnqueueOffset, BitConverter.GetBytes(1000L));
        var e = Assert.Throws<RingCorruptedException>(() => ring.TryWrite(1));
        Assert.Contains("gives dequeue position 0 and enqueue position 1000", e.Message);
    }

    [Fact]
    public void OneWriterAndOneReaderPerOneToOneRing()
    {
        using var seg = new TestSegment();
        using var a = SlotRing<long>.Create(seg.Name, 4, seg.Options());
        using var b = SlotRing<long>.Open(seg.Name, seg.Options());
        Assert.True(a.TryWrite(1));
        var e = Assert.Throws<InvalidOperationException>(() => b.TryWrite(2));
        Assert.Contains("already has a writer in this process", e.Message);
        a.Dispose();
        Assert.True(b.TryWrite(2)); // free again after dispose
        Assert.True(b.TryRead(out long v));
        Assert.Equal(1, v);
    }

    [Fact]
    public void SixtyFourWritersAtMost()
    {
        using var seg = new TestSegment();
        var rings = new ManyToManySlotRing<int>[65];
        try
        {
            for (int i = 0; i < 64; i++)
            {
                rings[i] = ManyToManySlotRing<int>.CreateOrOpen(seg.Name, 128, seg.Options());
                Assert.True(rings[i].TryWrite(i));
                Assert.Equal(i, rings[i].WriterIndex);
            }

            rings[64] = ManyToManySlotRing<int>.Open(seg.Name, seg.Options());
            var e = Assert.Throws<InvalidOperationException>(() => rings[64].TryWrite(64));
            Assert.Contains("has 64 writers attached, all alive: a many-to-many slot ring takes at most 64 writers at once.", e.Message);
            rings[3].Dispose();
            Assert.True(rings[64].TryWrite(64));
            Assert.Equal(3, rings[64].WriterIndex);
        }
        finally
        {
            foreach (var ring in rings)
            {
                ring?.Dispose();
            }
        }
    }

    [Fact]
    public void BadArgumentsToOperations()
    {
        using var seg = new TestSegment();
        using var ring = ManyToManySlotRing<long>.Create(seg.Name, 4, seg.Options());
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Read((in long _) => { }, 0));
        Assert.Throws<ArgumentNullException>(() => ring.Read(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Read(out _, TimeSpan.FromSeconds(-2)));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryGetTaker(-1, out _));
        Assert.Contains("Sequence -1 is invalid", e.Message);
        Assert.Throws<InvalidOperationException>(() => ring.Commit());
        Assert.Throws<InvalidOperationException>(() => ring.Abort());
    }

    private static void Poke(TestSegment seg, long offset, byte[] bytes)
    {
        using var fs = new FileStream(seg.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        fs.Position = offset;
        fs.Write(bytes);
    }

    private struct Pair<TItem>(TItem first, TItem second)
        where TItem : unmanaged
    {
        public TItem First = first;
        public TItem Second = second;
    }

    private unsafe struct Big
    {
        public fixed byte Bytes[520];
    }
}
