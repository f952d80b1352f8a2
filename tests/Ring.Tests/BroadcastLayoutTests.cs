using System;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>Tier 1 for the broadcast ring: its layout (kind 3) and frame rules, as numbers.</summary>
public class BroadcastLayoutTests
{
    [Fact]
    public void BroadcastOffsets()
    {
        Assert.Equal(3, (int)RingKind.Broadcast);
        Assert.Equal(128, BroadcastRingDescriptor.TailOffset);
        Assert.Equal(136, BroadcastRingDescriptor.MessagesWrittenOffset);
        Assert.Equal(144, BroadcastRingDescriptor.LatestOffset);
        Assert.Equal(152, BroadcastRingDescriptor.OldestOffset);
        Assert.Equal(160, BroadcastRingDescriptor.CompletedOffset);
        Assert.Equal(256, BroadcastRingDescriptor.DataSignalOffset);
        Assert.Equal(260, BroadcastRingDescriptor.ReaderSleepersOffset);
        Assert.Equal(264, BroadcastRingDescriptor.ReaderSleepsOffset);
        Assert.Equal(272, BroadcastRingDescriptor.ReaderWakeupsOffset);
        Assert.Equal(384, BroadcastRingDescriptor.SpaceSignalOffset);
        Assert.Equal(388, BroadcastRingDescriptor.WriterSleepersOffset);
        Assert.Equal(392, BroadcastRingDescriptor.WriterSleepsOffset);
        Assert.Equal(400, BroadcastRingDescriptor.WriterWakeupsOffset);
        Assert.Equal(512, BroadcastRingDescriptor.WriterIdentityOffset);
        Assert.Equal(520, BroadcastRingDescriptor.FullStallsOffset);
        Assert.Equal(528, BroadcastRingDescriptor.TornClaimsOffset);
        Assert.Equal(536, BroadcastRingDescriptor.ReadersEvictedOffset);
        Assert.Equal(640, BroadcastRingDescriptor.ModeOffset);
        Assert.Equal(644, BroadcastRingDescriptor.ReaderSlotsOffset);
        Assert.Equal(648, BroadcastRingDescriptor.ReaderHighWaterOffset);
        Assert.Equal(4096, BroadcastRingDescriptor.ReaderTableOffset);
        Assert.Equal(128, BroadcastRingDescriptor.ReaderEntryLength);
        Assert.Equal(64, BroadcastRingDescriptor.MaxReaders);
        Assert.Equal(-1, BroadcastRingDescriptor.NotGating);
        Assert.Equal(8, BroadcastRingDescriptor.ReaderPositionOffset);
        Assert.Equal(16, BroadcastRingDescriptor.ReaderSequenceOffset);
        Assert.Equal(24, BroadcastRingDescriptor.ReaderMessagesReadOffset);
        Assert.Equal(32, BroadcastRingDescriptor.ReaderMessagesLostOffset);
        Assert.Equal(40, BroadcastRingDescriptor.ReaderLapsOffset);
        Assert.Equal(12288, BroadcastRingDescriptor.DataOffset);
        Assert.Equal(0, BroadcastRingDescriptor.DataOffset % 4096);
        Assert.Equal(1, (int)BroadcastMode.Gated);
        Assert.Equal(2, (int)BroadcastMode.Lossy);
        Assert.Equal(0, (int)BroadcastStart.Oldest);
        Assert.Equal(1, (int)BroadcastStart.Newest);
    }

    [Fact]
    public void WordsOfDifferentWritersSit128BytesApart()
    {
        // Writer lines, reader-written lines and each reader's slot never share a 128-byte slot.
        int[] writer = [BroadcastRingDescriptor.TailOffset, BroadcastRingDescriptor.DataSignalOffset, BroadcastRingDescriptor.WriterIdentityOffset];
        int[] readers = [BroadcastRingDescriptor.ReaderSleepersOffset, BroadcastRingDescriptor.SpaceSignalOffset, BroadcastRingDescriptor.ReaderHighWaterOffset];
        Assert.Equal(BroadcastRingDescriptor.TailOffset / 128, BroadcastRingDescriptor.CompletedOffset / 128);
        Assert.NotEqual(BroadcastRingDescriptor.TailOffset / 128, BroadcastRingDescriptor.ReaderHighWaterOffset / 128);
        Assert.NotEqual(writer[0] / 128, readers[1] / 128);
        Assert.NotEqual(writer[2] / 128, readers[1] / 128);
        for (int i = 0; i < BroadcastRingDescriptor.MaxReaders; i++)
        {
            int slot = BroadcastRingDescriptor.ReaderTableOffset + (i * BroadcastRingDescriptor.ReaderEntryLength);
            Assert.Equal(0, slot % 128);
            Assert.True(BroadcastRingDescriptor.ReaderLapsOffset + 8 <= BroadcastRingDescriptor.ReaderEntryLength);
        }

        Assert.True(BroadcastRingDescriptor.ReaderHighWaterOffset + 4 <= BroadcastRingDescriptor.ReaderTableOffset);
    }

    [Fact]
    public void BroadcastFrameRules()
    {
        Assert.Equal(16, BroadcastFrameDescriptor.HeaderLength);
        Assert.Equal(16, BroadcastFrameDescriptor.Alignment);
        Assert.Equal(0, BroadcastFrameDescriptor.LengthOffset);
        Assert.Equal(4, BroadcastFrameDescriptor.TypeOffset);
        Assert.Equal(8, BroadcastFrameDescriptor.SequenceOffset);
        Assert.Equal(-1, BroadcastFrameDescriptor.PaddingType);
        Assert.Equal(16, BroadcastFrameDescriptor.Align(16));
        Assert.Equal(32, BroadcastFrameDescriptor.Align(17));
        Assert.Equal(48, BroadcastFrameDescriptor.Align(48));
        Assert.Equal(16, BroadcastFrameDescriptor.MaxMessageLengthFor(64));
        Assert.Equal(524_272, BroadcastFrameDescriptor.MaxMessageLengthFor(1 << 20));

        // The largest frame, the padding before it at the wrap (at most a frame less 16) and the empty header after it
        // fit in one lap: the writer never overwrites a position past its own tail.
        foreach (long capacity in new[] { 64L, 128, 4096, 1L << 30 })
        {
            int frame = BroadcastFrameDescriptor.Align(BroadcastFrameDescriptor.MaxMessageLengthFor(capacity) + 16);
            Assert.True((frame - 16) + frame + 16 <= capacity, $"capacity {capacity}");
        }
    }
}
