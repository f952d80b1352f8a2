using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>Tier 2: the bytes in the segment file after each step, including the wrap and its padding frame.</summary>
public class ProtocolTests
{
    private const int Data = OneToOneRingDescriptor.DataOffset;

    [Fact]
    public void HeaderBytesAfterCreate()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options(capacity: 64, maxMessageLength: 24));
        byte[] file = File.ReadAllBytes(seg.Path);
        Assert.Equal(4096 + 64, file.Length);
        Assert.Equal(SegmentHeaderDescriptor.Magic, BinaryPrimitives.ReadUInt64LittleEndian(file));
        Assert.Equal(1, I32(file, 8));
        Assert.Equal(1, I32(file, 12));
        Assert.Equal(4096, I32(file, 16));
        Assert.Equal(24, I32(file, 20));
        Assert.Equal(64, I64(file, 24));
        Assert.Equal(4160, I64(file, 32));
        Assert.Equal(Environment.ProcessId, I32(file, 40));
        Assert.Equal(0, I32(file, 44));
        Assert.True(I64(file, 48) > 0, "creator start time recorded");
        Assert.InRange(I64(file, 56), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        Assert.Equal(SegmentHeaderDescriptor.ComputeChecksum(file.AsSpan(0, 128)), (uint)I32(file, 120));
        Assert.Equal(0, I64(file, OneToOneRingDescriptor.TailOffset));
        Assert.Equal(0, I64(file, OneToOneRingDescriptor.HeadOffset));
        Assert.All(file.AsSpan(Data).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void FramesClaimCommitReadWrapPaddingAndAbort()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options(capacity: 64, maxMessageLength: 24));
        byte[] buffer = new byte[24];

        // 1. A 3-byte message of type 5: length 11 (header + payload), type, payload; tail 16.
        Assert.True(ring.TryWrite([1, 2, 3], 5));
        byte[] f = File.ReadAllBytes(seg.Path);
        Assert.Equal(11, I32(f, Data + 0));
        Assert.Equal(5, I32(f, Data + 4));
        Assert.Equal(new byte[] { 1, 2, 3 }, f.AsSpan(Data + 8, 3).ToArray());
        Assert.Equal(16, I64(f, OneToOneRingDescriptor.TailOffset));
        Assert.Equal(1, I64(f, OneToOneRingDescriptor.MessagesWrittenOffset));
        Assert.Equal(Environment.ProcessId, I32(f, OneToOneRingDescriptor.WriterPidOffset));

        // 2. A claim shows a negative length and is already covered by the tail; commit makes it positive.
        Assert.True(ring.TryClaim(4, 6, out Span<byte> payload));
        payload.Fill(9);
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal(-12, I32(f, Data + 16));
        Assert.Equal(6, I32(f, Data + 20));
        Assert.Equal(32, I64(f, OneToOneRingDescriptor.TailOffset));
        Assert.True(ring.TryRead(buffer, out RingMessage first)); // the first message is readable while the second is claimed
        Assert.Equal(new RingMessage(3, 5), first);
        Assert.False(ring.TryRead(buffer, out _)); // the claim in progress is not
        Assert.Equal(16, I64(File.ReadAllBytes(seg.Path), OneToOneRingDescriptor.HeadOffset));
        ring.Commit();
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal(12, I32(f, Data + 16));

        // 3. Reading advances head frame by frame (aligned to 8).
        Assert.True(ring.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(4, 6), m);
        Assert.Equal(32, I64(File.ReadAllBytes(seg.Path), OneToOneRingDescriptor.HeadOffset));
        Assert.False(ring.TryRead(buffer, out _));

        // 4. Fill to the end exactly: a 24-byte message (frame 32) at index 32; tail 64. The writer zeroes the length
        //    word after the frame, here at index 0 (the first message's, long read): the reader stops there.
        Assert.Equal(11, I32(File.ReadAllBytes(seg.Path), Data + 0));
        Assert.True(ring.TryWrite(new byte[24], 1));
        Assert.Equal(0, I32(File.ReadAllBytes(seg.Path), Data + 0));
        Assert.True(ring.TryRead(buffer, out m));
        Assert.False(ring.TryRead(buffer, out _));
        Assert.Equal(64, I64(File.ReadAllBytes(seg.Path), OneToOneRingDescriptor.HeadOffset));

        // 5. 8 bytes at index 0 (frame 16), then 24 bytes at index 16 (frame 32): tail 112 (index 48).
        Assert.True(ring.TryWrite(new byte[8], 2));
        Assert.True(ring.TryWrite(new byte[24], 3));
        Assert.True(ring.TryRead(buffer, out _));
        Assert.True(ring.TryRead(buffer, out _));

        // 6. 16 bytes (frame 24) do not fit in the 16 bytes before the end: padding (length 16, type -1) at index 48,
        //    the frame at index 0, tail 112 + 16 + 24 = 152.
        byte[] sixteen = [.. Enumerable.Range(100, 16).Select(i => (byte)i)];
        Assert.True(ring.TryWrite(sixteen, 4));
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal(16, I32(f, Data + 48));
        Assert.Equal(-1, I32(f, Data + 52));
        Assert.Equal(24, I32(f, Data + 0));
        Assert.Equal(4, I32(f, Data + 4));
        Assert.Equal(sixteen, f.AsSpan(Data + 8, 16).ToArray());
        Assert.Equal(0, I32(f, Data + 24)); // the zero word after the frame
        Assert.Equal(152, I64(f, OneToOneRingDescriptor.TailOffset));
        Assert.True(ring.TryRead(buffer, out m));
        Assert.Equal(new RingMessage(16, 4), m);
        Assert.Equal(sixteen, buffer.AsSpan(0, 16).ToArray());
        Assert.Equal(152, I64(File.ReadAllBytes(seg.Path), OneToOneRingDescriptor.HeadOffset));

        // 7. An aborted claim becomes padding of its aligned length, which the reader passes.
        Assert.True(ring.TryClaim(3, 8, out _));
        Assert.Equal(-11, I32(File.ReadAllBytes(seg.Path), Data + 24));
        ring.Abort();
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal(16, I32(f, Data + 24));
        Assert.Equal(-1, I32(f, Data + 28));
        Assert.False(ring.TryRead(buffer, out _));
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal(168, I64(f, OneToOneRingDescriptor.HeadOffset));
        Assert.Equal(6, I64(f, OneToOneRingDescriptor.MessagesReadOffset));
        Assert.Equal(6, I64(f, OneToOneRingDescriptor.MessagesWrittenOffset));
    }

    [Fact]
    public void FullRingRefusesAndCountsTheStall()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options(capacity: 64, maxMessageLength: 16));

        // Two 24-byte frames and the zero word after them take 56 of the 64 bytes; a third frame would reach the
        // oldest unread byte.
        Assert.True(ring.TryWrite(new byte[16]));
        Assert.True(ring.TryWrite(new byte[16]));
        Assert.False(ring.TryWrite([1]));
        byte[] f = File.ReadAllBytes(seg.Path);
        Assert.Equal(48, I64(f, OneToOneRingDescriptor.TailOffset));
        Assert.Equal(1, I64(f, OneToOneRingDescriptor.FullStallsOffset));
        Assert.True(ring.TryRead(new byte[16], out _));
        Assert.False(ring.TryWrite(new byte[16])); // at index 48 it needs 16 bytes of padding too: 48 + 16 + 24 + 8 - 24 > 64
        Assert.True(ring.TryRead(new byte[16], out _));
        Assert.True(ring.TryWrite(new byte[16]));
        Assert.Equal(88, I64(File.ReadAllBytes(seg.Path), OneToOneRingDescriptor.TailOffset));
    }

    [Fact]
    public void CompleteSetsTheFlag()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options());
        ring.Complete();
        Assert.Equal(1, I32(File.ReadAllBytes(seg.Path), OneToOneRingDescriptor.CompletedOffset));
    }

    private static int I32(byte[] b, int offset) => BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(offset));

    private static long I64(byte[] b, int offset) => BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(offset));
}
