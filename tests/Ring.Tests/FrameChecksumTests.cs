using System;
using System.Buffers.Binary;
using System.IO;
using Ring.Layout;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>The optional per-frame CRC-32C (<see cref="RingOptions.FrameChecksums"/>): recorded in the header, written, verified.</summary>
public class FrameChecksumTests
{
    [Fact]
    public void TheFlagIsInTheHeaderTheOpenerFollowsItAndEachFrameCarriesItsCrc()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024);
        options.FrameChecksums = true;
        using var writer = OneToOneRing.Create(seg.Name, options);
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        Assert.True(writer.FrameChecksums);
        Assert.True(reader.FrameChecksums);
        Assert.True(writer.TryWrite("hello"u8, 3));

        byte[] file = File.ReadAllBytes(seg.Path);
        Assert.Equal(SegmentHeaderDescriptor.FrameChecksumsFlag, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(SegmentHeaderDescriptor.FlagsOffset)));
        Span<byte> frame = file.AsSpan(OneToOneRingDescriptor.DataOffset);
        Assert.Equal(16 + 5, BinaryPrimitives.ReadInt32LittleEndian(frame));
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(frame[4..]));
        Assert.Equal(ReferenceCrc(16 + 5, 3, "hello"u8), BinaryPrimitives.ReadUInt32LittleEndian(frame[FrameDescriptor.ChecksumOffset..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(frame[12..]));
        Assert.Equal("hello"u8.ToArray(), frame.Slice(16, 5).ToArray());

        byte[] buffer = new byte[64];
        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(5, 3), m);
        Assert.Equal("hello"u8.ToArray(), buffer.AsSpan(0, 5).ToArray());
    }

    [Theory]
    [InlineData(16 + 2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(0)]
    public void ADamagedFrameIsRefusedNamingThePositionAndBothChecksumsAndNothingIsConsumed(int damagedByte)
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024);
        options.FrameChecksums = true;
        using var writer = OneToOneRing.Create(seg.Name, options);
        using var reader = OneToOneRing.Open(seg.Name, options);
        Assert.True(writer.TryWrite([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3));
        Assert.True(reader.TryRead(new byte[64], out _));
        Assert.True(writer.TryWrite([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3));
        long position = 32; // the second frame: align8(16 + 10)

        // Byte 0 and 4: the length and type (still a sane frame: 26 -> 27, type 3 -> 2); 8: the checksum; 18: the payload.
        using (var fs = new FileStream(seg.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            fs.Position = OneToOneRingDescriptor.DataOffset + position + damagedByte;
            int b = fs.ReadByte();
            fs.Position--;
            fs.WriteByte((byte)(damagedByte == 0 ? b + 1 : damagedByte == 4 ? b - 1 : b ^ 0x10));
        }

        var e = Assert.Throws<RingCorruptedException>(() => reader.TryRead(new byte[64], out _));
        Assert.Matches($"the frame at position {position} \\(length 2[67], type [23]\\) has checksum 0x[0-9A-F]{{8}}, but its bytes give 0x[0-9A-F]{{8}}", e.Message);
        Assert.Equal(position, reader.GetStatistics().Head);
        Assert.Throws<RingCorruptedException>(() => reader.Read(static (_, _) => { }));
        Assert.Equal(position, reader.GetStatistics().Head);
    }

    [Fact]
    public void CreateOrOpenRefusesAChecksumMismatchNamingBothSides()
    {
        using var seg = new TestSegment();
        using var plain = OneToOneRing.Create(seg.Name, seg.Options());
        RingOptions options = seg.Options();
        options.FrameChecksums = true;
        var e = Assert.Throws<RingFormatException>(() => OneToOneRing.CreateOrOpen(seg.Name, options));
        Assert.Contains("exists without frame checksums, but a ring with them was asked for (RingOptions.FrameChecksums)", e.Message);
    }

    [Fact]
    public void AKindWithoutChecksumsRefusesTheOption()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options();
        options.FrameChecksums = true;
        var e = Assert.Throws<ArgumentException>(() => ManyToOneRing.Create(seg.Name, options));
        Assert.Contains("RingOptions.FrameChecksums is not supported by ManyToOne rings: only OneToOne frames carry checksums so far.", e.Message);
        Assert.False(File.Exists(seg.Path));
    }

    [Fact]
    public void TheMaximumMessageLengthLeavesRoomForTheLargerHeader()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024, maxMessageLength: 497);
        options.FrameChecksums = true;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => OneToOneRing.Create(seg.Name, options));
        Assert.Contains("MaxMessageLength 497 is invalid for capacity 1024: it must be at most capacity / 2 - 16 (with frame checksums) = 496 bytes.", e.Message);
        Assert.False(File.Exists(seg.Path));

        // The largest message fits wherever the positions fall, wrap included.
        options.MaxMessageLength = 496;
        using var ring = OneToOneRing.Create(seg.Name, options);
        byte[] message = new byte[496];
        byte[] buffer = new byte[496];
        for (int i = 0; i < 200; i++)
        {
            message[i % 496] = (byte)i;
            Assert.True(ring.TryWrite(message, i));
            Assert.True(ring.TryWrite(new byte[i % 40], 1) || i % 40 > 0);
            Assert.True(ring.TryRead(buffer, out RingMessage m));
            Assert.Equal(new RingMessage(496, i), m);
            Assert.Equal(message, buffer);
            while (ring.TryRead(buffer, out _))
            {
            }
        }
    }

    [Fact]
    public void ManyWrapsWithAbortsAndZeroCopyReadsKeepEveryMessage()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 256, maxMessageLength: 100);
        options.FrameChecksums = true;
        using var ring = OneToOneRing.Create(seg.Name, options);
        var random = new Random(7);
        byte[] buffer = new byte[100];
        long written = 0;
        long read = 0;
        var handler = new CountingHandler();
        for (int round = 0; round < 20_000; round++)
        {
            while (true)
            {
                int length = MessagePattern.Length(9, written, 100);
                if (random.Next(10) == 0)
                {
                    if (!ring.TryClaim(length, 1, out Span<byte> torn))
                    {
                        break;
                    }

                    torn.Fill(0xEE);
                    ring.Abort();
                    continue;
                }

                if (!ring.TryClaim(length, MessagePattern.Type(written), out Span<byte> payload))
                {
                    break;
                }

                MessagePattern.Fill(payload, 9, written++);
                ring.Commit();
            }

            if ((round & 1) == 0)
            {
                while (ring.TryRead(buffer, out RingMessage m))
                {
                    Assert.Null(MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, 9, read++, 100));
                }
            }
            else
            {
                handler.Next = read;
                ring.Read(ref handler);
                Assert.Null(handler.Error);
                read = handler.Next;
            }

            Assert.Equal(written, read);
        }

        Assert.True(written > 20_000, $"{written} messages");
    }

    [Fact]
    public void ChecksummedMessagesCrossProcesses()
    {
        const long Count = 300_000;
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1 << 14);
        options.FrameChecksums = true;
        using var reader = OneToOneRing.Create(seg.Name, options);
        using var writer = Peer.Start("write", seg.Name, $"count={Count}", "seed=21", "max=200", "complete=true");
        byte[] buffer = new byte[200];
        for (long i = 0; i < Count; i++)
        {
            Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, TimeSpan.FromSeconds(120)));
            string? error = MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, 21, i, 200);
            if (error is not null)
            {
                Assert.Fail(error);
            }
        }

        Assert.Equal(ReadStatus.Completed, reader.Read(buffer, out _, TimeSpan.FromSeconds(120)));
        writer.AssertSuccess(TimeSpan.FromSeconds(120));
    }

    /// <summary>CRC-32C bit by bit (Castagnoli, reflected polynomial 0x82F63B78), independent of the library's.</summary>
    private static uint ReferenceCrc(int frameLength, int type, ReadOnlySpan<byte> payload)
    {
        byte[] bytes = new byte[8 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, frameLength);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), type);
        payload.CopyTo(bytes.AsSpan(8));
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }

    private struct CountingHandler : IFrameHandler
    {
        public long Next;
        public string? Error;

        public void OnFrame(int type, ReadOnlySpan<byte> payload) => Error ??= MessagePattern.Verify(payload, type, 9, Next++, 100);
    }
}
