using System;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>Tier 1 for the slot rings: every offset and size rule of <see cref="SlotRingDescriptor"/>, as numbers.</summary>
public class SlotLayoutTests
{
    [Fact]
    public void ControlLineOffsets()
    {
        Assert.Equal(128, SlotRingDescriptor.SlotCountOffset);
        Assert.Equal(132, SlotRingDescriptor.SlotSizeOffset);
        Assert.Equal(136, SlotRingDescriptor.SlotStrideOffset);
        Assert.Equal(140, SlotRingDescriptor.WriterEntriesOffset);
        Assert.Equal(144, SlotRingDescriptor.ReaderEntriesOffset);
        Assert.Equal(152, SlotRingDescriptor.TypeFingerprintOffset);
        Assert.Equal(160, SlotRingDescriptor.TypeNameLengthOffset);
        Assert.Equal(164, SlotRingDescriptor.TypeNameOffset);
        Assert.Equal(256, SlotRingDescriptor.TypeNameOffset + SlotRingDescriptor.TypeNameCapacity);
        Assert.Equal(256, SlotRingDescriptor.EnqueueOffset);
        Assert.Equal(384, SlotRingDescriptor.DequeueOffset);
        Assert.Equal(512, SlotRingDescriptor.DataSignalOffset);
        Assert.Equal(516, SlotRingDescriptor.ReaderSleepersOffset);
        Assert.Equal(520, SlotRingDescriptor.ReaderSleepsOffset);
        Assert.Equal(528, SlotRingDescriptor.ReaderWakeupsOffset);
        Assert.Equal(640, SlotRingDescriptor.SpaceSignalOffset);
        Assert.Equal(644, SlotRingDescriptor.WriterSleepersOffset);
        Assert.Equal(648, SlotRingDescriptor.WriterSleepsOffset);
        Assert.Equal(656, SlotRingDescriptor.WriterWakeupsOffset);
        Assert.Equal(768, SlotRingDescriptor.AbandonedClaimsOffset);
        Assert.Equal(776, SlotRingDescriptor.SkippedPositionsOffset);
        Assert.Equal(784, SlotRingDescriptor.LateCommitsOffset);
        Assert.Equal(792, SlotRingDescriptor.RedeliveriesOffset);
        Assert.Equal(800, SlotRingDescriptor.WriterDeathsOffset);
        Assert.Equal(808, SlotRingDescriptor.ReaderDeathsOffset);
        Assert.Equal(1024, SlotRingDescriptor.WriterTableOffset);
        Assert.Equal(128, SlotRingDescriptor.EntryLength);
        Assert.Equal((8, 16, 24), (SlotRingDescriptor.EntryMessagesOffset, SlotRingDescriptor.EntryFullStallsOffset, SlotRingDescriptor.EntryRecoveredOffset));
    }

    [Fact]
    public void TablesAndDataRegionPerKind()
    {
        Assert.Equal(1, SlotRingDescriptor.PartiesOf(RingKind.SlotOneToOne));
        Assert.Equal(64, SlotRingDescriptor.PartiesOf(RingKind.SlotManyToMany));
        Assert.Equal(1152, SlotRingDescriptor.ReaderTableOffsetOf(RingKind.SlotOneToOne));
        Assert.Equal(9216, SlotRingDescriptor.ReaderTableOffsetOf(RingKind.SlotManyToMany));
        Assert.Equal(4096, SlotRingDescriptor.DataOffsetOf(RingKind.SlotOneToOne));
        Assert.Equal(20480, SlotRingDescriptor.DataOffsetOf(RingKind.SlotManyToMany));

        // The tables end before the data region, which is page-aligned.
        Assert.True(SlotRingDescriptor.ReaderTableOffsetOf(RingKind.SlotOneToOne) + SlotRingDescriptor.EntryLength <= SlotRingDescriptor.OneToOneDataOffset);
        Assert.True(SlotRingDescriptor.ReaderTableOffsetOf(RingKind.SlotManyToMany) + (64 * SlotRingDescriptor.EntryLength) <= SlotRingDescriptor.ManyToManyDataOffset);
        Assert.Equal(0, SlotRingDescriptor.ManyToManyDataOffset % 4096);
        Assert.Equal(5, (int)RingKind.SlotOneToOne);
        Assert.Equal(6, (int)RingKind.SlotManyToMany);
    }

    [Fact]
    public void CountersThatDifferentPartiesWriteSit128BytesApart()
    {
        int[] lines =
        [
            SlotRingDescriptor.EnqueueOffset, SlotRingDescriptor.DequeueOffset, SlotRingDescriptor.DataSignalOffset,
            SlotRingDescriptor.SpaceSignalOffset, SlotRingDescriptor.AbandonedClaimsOffset, SlotRingDescriptor.WriterTableOffset,
        ];
        for (int i = 1; i < lines.Length; i++)
        {
            Assert.True(lines[i] - lines[i - 1] >= 128, $"{lines[i - 1]} and {lines[i]}");
            Assert.Equal(0, lines[i] % 128);
        }
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(8, 16)]
    [InlineData(9, 32)]
    [InlineData(24, 32)]
    [InlineData(25, 64)]
    [InlineData(56, 64)]
    [InlineData(57, 128)]
    [InlineData(120, 128)]
    [InlineData(121, 192)]
    [InlineData(520, 576)]
    [InlineData(1 << 20, (1 << 20) + 64)]
    public void StrideRule(int size, int stride) => Assert.Equal(stride, SlotRingDescriptor.StrideFor(size));

    [Fact]
    public void NoSlotTouchesMoreCacheLinesThanItsSizeNeeds()
    {
        for (int size = 1; size <= 1024; size++)
        {
            int stride = SlotRingDescriptor.StrideFor(size);
            int record = 8 + size;
            int fewest = (record + 63) / 64;
            Assert.True(stride >= record, $"size {size}: stride {stride} < record {record}");
            Assert.Equal(0, stride % 8);
            for (long k = 0; k < 256; k++)
            {
                long start = SlotRingDescriptor.ManyToManyDataOffset + (k * stride);
                long end = start + record - 1;
                long touched = (end / 64) - (start / 64) + 1;
                Assert.True(touched == fewest, $"size {size}, stride {stride}: slot {k} touches {touched} lines, {fewest} would do");
            }

            // And no more room than that takes: up to a line, the smallest power of two that holds the record (the
            // smallest stride that tiles lines); above, the smallest multiple of a line.
            Assert.True(stride / 2 < record, $"size {size}: stride {stride} is more than twice the record");
            Assert.True(stride <= 64 || stride - 64 < record, $"size {size}: stride {stride} wastes a line");
        }
    }

    [Fact]
    public void StampBits()
    {
        Assert.Equal(11, SlotRingDescriptor.StampLapShift);
        Assert.Equal(9, SlotRingDescriptor.StampStateShift);
        Assert.Equal(0x100, SlotRingDescriptor.StampAbandonedFlag);
        Assert.Equal(0xFF, SlotRingDescriptor.StampPartyMask);
        Assert.Equal(long.MinValue, SlotRingDescriptor.ClosedMark);

        // free(p) < writing(p) < full(p) < taken(p) < free(p + n), for a position of lap 5 in a ring of 8 slots.
        long free = SlotStamp.FreeOf(5 * 8 + 3, 3);
        Assert.Equal(5L << 11, free);
        long[] life = [free, free | SlotStamp.Writing | 7, free | SlotStamp.Full, free | SlotStamp.Taken | 9, SlotStamp.NextLapFree(free) | 10];
        for (int i = 1; i < life.Length; i++)
        {
            Assert.True(SlotStamp.Compare(life[i], life[i - 1]) > 0);
            Assert.True(SlotStamp.Compare(life[i - 1], life[i]) < 0);
        }

        Assert.Equal(4, SlotStamp.Compare(SlotStamp.NextLapFree(free), free));
        Assert.True(SlotStamp.IsAbandoned(free | SlotStamp.Taken | SlotStamp.AbandonedFlag));
        Assert.False(SlotStamp.IsAbandoned(free | SlotStamp.Taken));

        // The 53-bit lap wraps: the comparison still orders the last lap before the first.
        long last = ((1L << 53) - 1) << 11;
        Assert.True(SlotStamp.Compare(SlotStamp.NextLapFree(last), last) > 0);
        Assert.Equal(0, SlotStamp.NextLapFree(last));
    }

    [Fact]
    public void SlotCountLimits()
    {
        Assert.Equal(1 << 26, SlotRingDescriptor.MaxSlotCountFor(8));
        Assert.Equal(1 << 20, SlotRingDescriptor.MaxSlotCountFor(520));
        Assert.Equal(512, SlotRingDescriptor.MaxSlotCountFor(1 << 20));
        Assert.True((long)SlotRingDescriptor.MaxSlotCountFor(520) * SlotRingDescriptor.StrideFor(520) <= SegmentHeaderDescriptor.MaxCapacity);
    }
}
