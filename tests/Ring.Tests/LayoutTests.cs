using System;
using System.Linq;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>Tier 1: the binary layout, as numbers. A change here is a change of the published specification.</summary>
public class LayoutTests
{
    [Fact]
    public void IdentityHeaderOffsets()
    {
        Assert.Equal(0x31474553474E4952UL, SegmentHeaderDescriptor.Magic);
        Assert.Equal("RINGSEG1", System.Text.Encoding.ASCII.GetString(BitConverter.GetBytes(SegmentHeaderDescriptor.Magic)));
        Assert.Equal(1, SegmentHeaderDescriptor.CurrentLayoutVersion);
        Assert.Equal(128, SegmentHeaderDescriptor.Length);
        Assert.Equal(0, SegmentHeaderDescriptor.MagicOffset);
        Assert.Equal(8, SegmentHeaderDescriptor.LayoutVersionOffset);
        Assert.Equal(12, SegmentHeaderDescriptor.KindOffset);
        Assert.Equal(16, SegmentHeaderDescriptor.HeaderLengthOffset);
        Assert.Equal(20, SegmentHeaderDescriptor.MaxMessageLengthOffset);
        Assert.Equal(24, SegmentHeaderDescriptor.CapacityOffset);
        Assert.Equal(32, SegmentHeaderDescriptor.TotalLengthOffset);
        Assert.Equal(40, SegmentHeaderDescriptor.CreatorPidOffset);
        Assert.Equal(44, SegmentHeaderDescriptor.FlagsOffset);
        Assert.Equal(48, SegmentHeaderDescriptor.CreatorStartTimeOffset);
        Assert.Equal(56, SegmentHeaderDescriptor.CreatedUnixMsOffset);
        Assert.Equal(120, SegmentHeaderDescriptor.ChecksumOffset);
        Assert.Equal(8, SegmentHeaderDescriptor.ChecksumStart);
        Assert.Equal(1, SegmentHeaderDescriptor.FrameChecksumsFlag);
        Assert.Equal(1, SegmentHeaderDescriptor.KnownFlags);
    }

    [Fact]
    public void ChecksummedFrameRules()
    {
        Assert.Equal(8, FrameDescriptor.ChecksumOffset);
        Assert.Equal(16, FrameDescriptor.ChecksummedHeaderLength);
        Assert.Equal(496, FrameDescriptor.MaxMessageLengthFor(1024, frameChecksums: true));
        Assert.Equal(504, FrameDescriptor.MaxMessageLengthFor(1024, frameChecksums: false));
        Assert.Equal(FrameDescriptor.MaxMessageLengthFor(1 << 20), FrameDescriptor.MaxMessageLengthFor(1 << 20, frameChecksums: false));
    }

    [Fact]
    public void OneToOneOffsets()
    {
        Assert.Equal(128, OneToOneRingDescriptor.TailOffset);
        Assert.Equal(136, OneToOneRingDescriptor.MessagesWrittenOffset);
        Assert.Equal(256, OneToOneRingDescriptor.HeadOffset);
        Assert.Equal(264, OneToOneRingDescriptor.MessagesReadOffset);
        Assert.Equal(384, OneToOneRingDescriptor.DataSignalOffset);
        Assert.Equal(388, OneToOneRingDescriptor.ReaderSleepersOffset);
        Assert.Equal(512, OneToOneRingDescriptor.SpaceSignalOffset);
        Assert.Equal(516, OneToOneRingDescriptor.WriterSleepersOffset);
        Assert.Equal(640, OneToOneRingDescriptor.WriterPidOffset);
        Assert.Equal(644, OneToOneRingDescriptor.CompletedOffset);
        Assert.Equal(648, OneToOneRingDescriptor.WriterStartTimeOffset);
        Assert.Equal(656, OneToOneRingDescriptor.FullStallsOffset);
        Assert.Equal(664, OneToOneRingDescriptor.ReaderWakeupsOffset);
        Assert.Equal(672, OneToOneRingDescriptor.WriterSleepsOffset);
        Assert.Equal(680, OneToOneRingDescriptor.WriterTornClaimsOffset);
        Assert.Equal(768, OneToOneRingDescriptor.ReaderPidOffset);
        Assert.Equal(776, OneToOneRingDescriptor.ReaderStartTimeOffset);
        Assert.Equal(784, OneToOneRingDescriptor.ReaderSleepsOffset);
        Assert.Equal(792, OneToOneRingDescriptor.WriterWakeupsOffset);
        Assert.Equal(800, OneToOneRingDescriptor.ReaderTornClaimsOffset);
        Assert.Equal(4096, OneToOneRingDescriptor.DataOffset);
    }

    [Fact]
    public void CountersOfDifferentWritersSit128BytesApart()
    {
        // Hot words the writer stores and hot words the reader stores never share a 128-byte slot.
        int[] writerHot = [OneToOneRingDescriptor.TailOffset, OneToOneRingDescriptor.WriterPidOffset];
        int[] readerHot = [OneToOneRingDescriptor.HeadOffset, OneToOneRingDescriptor.ReaderPidOffset];
        foreach (int w in writerHot)
        {
            foreach (int r in readerHot)
            {
                Assert.True(Math.Abs(w - r) >= 128, $"writer word {w} and reader word {r} are closer than 128 bytes");
                Assert.NotEqual(w / 128, r / 128);
            }
        }

        Assert.Equal(0, OneToOneRingDescriptor.DataOffset % 4096);
    }

    [Fact]
    public void SyncPrimitiveOffsets()
    {
        Assert.Equal(128, SyncDescriptor.StateOffset);
        Assert.Equal(256, SyncDescriptor.SignalOffset);
        Assert.Equal(260, SyncDescriptor.SleepersOffset);
        Assert.Equal(264, SyncDescriptor.SleepsOffset);
        Assert.Equal(272, SyncDescriptor.WakeupsOffset);
        Assert.Equal(384, SyncDescriptor.ExtensionOffset);
        Assert.Equal(4096, SyncDescriptor.SegmentLength);
        Assert.Equal(128, SharedMutexDescriptor.OwnerOffset);
        Assert.Equal(136, SharedMutexDescriptor.AbandonmentsOffset);
        Assert.Equal(128, SharedSemaphoreDescriptor.CountOffset);
        Assert.Equal(132, SharedSemaphoreDescriptor.MaximumOffset);
        Assert.Equal(128, SharedEventDescriptor.StateOffset);
        Assert.Equal(132, SharedEventDescriptor.ModeOffset);
        Assert.Equal(128, SharedBarrierDescriptor.ProgressOffset);
        Assert.Equal(136, SharedBarrierDescriptor.ParticipantsOffset);
        Assert.Equal(140, SharedBarrierDescriptor.BrokenOffset);
        Assert.Equal(384, SharedBarrierDescriptor.TableOffset);
        Assert.Equal(16, SharedBarrierDescriptor.EntryLength);
        Assert.Equal(200, SharedBarrierDescriptor.MaxParticipants);
        Assert.True(SharedBarrierDescriptor.TableOffset + (SharedBarrierDescriptor.MaxParticipants * SharedBarrierDescriptor.EntryLength) <= SyncDescriptor.SegmentLength);
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6, 16, 17, 18, 19 }, Enum.GetValues<RingKind>().Select(k => (int)k).ToArray());
    }

    [Fact]
    public void FrameRules()
    {
        Assert.Equal(8, FrameDescriptor.HeaderLength);
        Assert.Equal(0, FrameDescriptor.LengthOffset);
        Assert.Equal(4, FrameDescriptor.TypeOffset);
        Assert.Equal(-1, FrameDescriptor.PaddingType);
        Assert.Equal(8, FrameDescriptor.Align(8));
        Assert.Equal(16, FrameDescriptor.Align(9));
        Assert.Equal(16, FrameDescriptor.Align(16));
        Assert.Equal(40, FrameDescriptor.Align(33));
        Assert.Equal(24, FrameDescriptor.MaxMessageLengthFor(64));
        Assert.Equal(524_280, FrameDescriptor.MaxMessageLengthFor(1 << 20));
    }

    [Fact]
    public void ChecksumIsCrc32cOfBytes8To120()
    {
        var random = new Random(42);
        byte[] header = new byte[128];
        for (int trial = 0; trial < 20; trial++)
        {
            random.NextBytes(header);
            Assert.Equal(BitwiseCrc32C(header.AsSpan(8, 112)), SegmentHeaderDescriptor.ComputeChecksum(header));
        }

        // The standard check value of CRC-32C, through the same bitwise reference.
        Assert.Equal(0xE3069283u, BitwiseCrc32C("123456789"u8));

        uint before = SegmentHeaderDescriptor.ComputeChecksum(header);
        header[0] ^= 0xFF; // the magic is outside the checksum
        header[125] ^= 0xFF; // so are the bytes after it
        Assert.Equal(before, SegmentHeaderDescriptor.ComputeChecksum(header));
        header[8] ^= 1;
        Assert.NotEqual(before, SegmentHeaderDescriptor.ComputeChecksum(header));
    }

    private static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
