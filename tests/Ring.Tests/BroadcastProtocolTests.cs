using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>Tier 2 for the broadcast ring: the bytes in the segment file after each step, wrap, padding, gating and lapping included.</summary>
public class BroadcastProtocolTests
{
    private const int Data = BroadcastRingDescriptor.DataOffset;
    private const int Slot0 = BroadcastRingDescriptor.ReaderTableOffset;

    [Fact]
    public void HeaderBytesAfterCreate()
    {
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, BroadcastMode.Lossy, seg.Options(capacity: 128, maxMessageLength: 48));
        byte[] f = File.ReadAllBytes(seg.Path);
        Assert.Equal(12288 + 128, f.Length);
        Assert.Equal(SegmentHeaderDescriptor.Magic, BinaryPrimitives.ReadUInt64LittleEndian(f));
        Assert.Equal(3, I32(f, 12));
        Assert.Equal(12288, I32(f, 16));
        Assert.Equal(48, I32(f, 20));
        Assert.Equal(128, I64(f, 24));
        Assert.Equal(12416, I64(f, 32));
        Assert.Equal(SegmentHeaderDescriptor.ComputeChecksum(f.AsSpan(0, 128)), (uint)I32(f, 120));
        Assert.Equal(2, I32(f, BroadcastRingDescriptor.ModeOffset));
        Assert.Equal(64, I32(f, BroadcastRingDescriptor.ReaderSlotsOffset));
        Assert.Equal(0, I32(f, BroadcastRingDescriptor.ReaderHighWaterOffset));
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(0, I64(f, Slot0 + (i * 128)));
            Assert.Equal(-1, I64(f, Slot0 + (i * 128) + 8));
        }

        foreach (int offset in new[] { 128, 136, 144, 152, 160, 512 })
        {
            Assert.Equal(0, I64(f, offset));
        }

        Assert.All(f.AsSpan(Data).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void GatedFramesClaimCommitGateWrapPaddingAndAbort()
    {
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 128, maxMessageLength: 48));
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        byte[] buffer = new byte[48];

        // 1. The reader's slot: identity, position 0, next sequence 0; the high-water mark covers it.
        byte[] f = File.ReadAllBytes(seg.Path);
        Assert.Equal(ProcessLiveness.CurrentIdentity, I64(f, Slot0));
        Assert.Equal(0, I64(f, Slot0 + 8));
        Assert.Equal(0, I64(f, Slot0 + 16));
        Assert.Equal(1, I32(f, BroadcastRingDescriptor.ReaderHighWaterOffset));

        // 2. A 3-byte message of type 5: length 19, type, sequence 0, payload; the empty header after it (aligned to 16)
        //    names message 1; tail 32, one message, the newest at 0.
        Assert.True(ring.TryWrite([1, 2, 3], 5));
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((19, 5, 0L), Header(f, 0));
        Assert.Equal(new byte[] { 1, 2, 3 }, f.AsSpan(Data + 16, 3).ToArray());
        Assert.Equal((0, 0, 1L), Header(f, 32));
        Assert.Equal((32L, 1L, 0L, 0L), Writer(f));
        Assert.Equal(ProcessLiveness.CurrentIdentity, I64(f, BroadcastRingDescriptor.WriterIdentityOffset));

        // 3. A claim shows a negative length; the tail is published only with the commit.
        Assert.True(ring.TryClaim(4, 6, out Span<byte> payload));
        payload.Fill(9);
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((-20, 6, 1L), Header(f, 32));
        Assert.Equal((0, 0, 2L), Header(f, 64));
        Assert.Equal(32, I64(f, BroadcastRingDescriptor.TailOffset));
        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(3, 5), m);
        Assert.False(reader.TryRead(buffer, out _)); // the claim in progress is not readable
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((32L, 1L, 1L), ReaderSlot(f));
        ring.Commit();
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((20, 6, 1L), Header(f, 32));
        Assert.Equal((64L, 2L, 32L, 0L), Writer(f));

        // 4. 40 bytes (frame 56, aligned 64) fill the region to its end. With the empty header it needs the bytes of
        //    position 0 to 16 again: the reader is at 32, so the writer releases up to it (oldest 32) and writes the
        //    empty header over message 0's header at index 0.
        Assert.True(ring.TryWrite(new byte[40], 7));
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((56, 7, 2L), Header(f, 64));
        Assert.Equal((0, 0, 3L), Header(f, 0));
        Assert.Equal((128L, 3L, 64L, 32L), Writer(f));

        // 5. 8 bytes (frame 32) at index 0 need positions up to 48 of the last lap: the reader, at 32, has not read them.
        Assert.False(ring.TryWrite(new byte[8], 8));
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal(1, I64(f, BroadcastRingDescriptor.FullStallsOffset));
        Assert.Equal((0, 0, 3L), Header(f, 0));
        Assert.True(reader.TryRead(buffer, out m));
        Assert.True(reader.TryRead(buffer, out m));
        Assert.Equal(new RingMessage(40, 7), m);
        Assert.Equal((128L, 3L, 3L), ReaderSlot(File.ReadAllBytes(seg.Path)));
        Assert.True(ring.TryWrite(new byte[8], 8));
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((24, 8, 3L), Header(f, 0));
        Assert.Equal((0, 0, 4L), Header(f, 32));
        Assert.Equal((160L, 4L, 128L, 128L), Writer(f));

        // 6. 48 bytes (frame 64) at index 32 fit before the end; then 24 bytes (frame 40, aligned 48) do not fit in the 32
        //    bytes left: padding (length 32, type -1, sequence of the next message) at index 96, the frame at index 0.
        Assert.True(ring.TryWrite(new byte[48], 9));
        Assert.True(reader.TryRead(buffer, out _));
        Assert.True(reader.TryRead(buffer, out _));
        byte[] twentyFour = [.. Enumerable.Range(100, 24).Select(i => (byte)i)];
        Assert.True(ring.TryWrite(twentyFour, 10));
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((32, -1, 5L), Header(f, 96));
        Assert.Equal((40, 10, 5L), Header(f, 0));
        Assert.Equal(twentyFour, f.AsSpan(Data + 16, 24).ToArray());
        Assert.Equal((0, 0, 6L), Header(f, 48));
        Assert.Equal((304L, 6L, 256L, 224L), Writer(f));
        Assert.True(reader.TryRead(buffer, out m)); // passes the padding
        Assert.Equal(new RingMessage(24, 10), m);
        Assert.Equal(twentyFour, buffer.AsSpan(0, 24).ToArray());
        Assert.Equal((304L, 6L, 6L), ReaderSlot(File.ReadAllBytes(seg.Path)));

        // 7. An aborted claim becomes padding with the claim's sequence, and the empty header after it names the same
        //    message again (the next message takes the number). The tail moves past it.
        Assert.True(ring.TryClaim(3, 11, out _));
        Assert.Equal((0, 0, 7L), Header(File.ReadAllBytes(seg.Path), 80));
        ring.Abort();
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((32, -1, 6L), Header(f, 48));
        Assert.Equal((0, 0, 6L), Header(f, 80));
        Assert.Equal((336L, 6L, 256L, 224L), Writer(f));
        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal((336L, 6L, 6L), ReaderSlot(File.ReadAllBytes(seg.Path)));
        Assert.True(ring.TryWrite([42], 12));
        Assert.True(reader.TryRead(buffer, out m));
        Assert.Equal(6, reader.LastSequence);
    }

    [Fact]
    public void LossyWriterPublishesOldestBeforeOverwritingAndTheLappedReaderResumesThere()
    {
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, BroadcastMode.Lossy, seg.Options(capacity: 64, maxMessageLength: 16));
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());

        // 8-byte messages take 32-byte frames: message k at position 32k, its empty header at 32k + 32.
        Assert.True(ring.TryWrite(Sequence(0)));
        byte[] f = File.ReadAllBytes(seg.Path);
        Assert.Equal((24, 0, 0L), Header(f, 0));
        Assert.Equal((0, 0, 1L), Header(f, 32));
        Assert.Equal(0, I64(f, BroadcastRingDescriptor.OldestOffset));

        // Message 1 at 32 puts its empty header at 64 (index 0): message 0 is released first (oldest 32).
        Assert.True(ring.TryWrite(Sequence(1)));
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((24, 0, 1L), Header(f, 32));
        Assert.Equal((0, 0, 2L), Header(f, 0));
        Assert.Equal(32, I64(f, BroadcastRingDescriptor.OldestOffset));

        // The reader, at 0, finds an empty header of a newer lap, sees oldest 32 past it, and resumes at message 1.
        byte[] buffer = new byte[16];
        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(1, BinaryPrimitives.ReadInt64LittleEndian(buffer));
        Assert.Equal((1L, 1L, 1L, 1L), (reader.LastSequence, reader.MessagesRead, reader.MessagesLost, reader.LapCount));
        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((64L, 2L, 1L), ReaderSlot(f));
        Assert.Equal(1, I64(f, Slot0 + BroadcastRingDescriptor.ReaderMessagesLostOffset));
        Assert.Equal(1, I64(f, Slot0 + BroadcastRingDescriptor.ReaderLapsOffset));

        // Three more. Two 32-byte frames and an empty header do not fit in 64 bytes, so each message releases the one
        // before it: after message 4 (at 128, index 0) oldest is 128. The reader, at 64, copies message 4 from index 0,
        // finds oldest past its position, discards the copy and resumes at 128: messages 2 and 3 are lost.
        for (long i = 2; i < 5; i++)
        {
            Assert.True(ring.TryWrite(Sequence(i)));
            Assert.Equal(32 * i, I64(File.ReadAllBytes(seg.Path), BroadcastRingDescriptor.OldestOffset));
        }

        f = File.ReadAllBytes(seg.Path);
        Assert.Equal((24, 0, 4L), Header(f, 0));
        Assert.Equal((0, 0, 5L), Header(f, 32));
        Assert.True(reader.TryRead(buffer, out m));
        Assert.Equal(new RingMessage(8, 0), m);
        Assert.Equal(4, BinaryPrimitives.ReadInt64LittleEndian(buffer));
        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal((4L, 2L, 3L, 2L), (reader.LastSequence, reader.MessagesRead, reader.MessagesLost, reader.LapCount));
        Assert.Equal((160L, 5L, 2L), ReaderSlot(File.ReadAllBytes(seg.Path)));
    }

    private static (int Length, int Type, long Sequence) Header(byte[] file, int index) =>
        (I32(file, Data + index), I32(file, Data + index + 4), I64(file, Data + index + 8));

    /// <summary>Tail, messages written, latest, oldest.</summary>
    private static (long, long, long, long) Writer(byte[] f) =>
        (I64(f, BroadcastRingDescriptor.TailOffset), I64(f, BroadcastRingDescriptor.MessagesWrittenOffset),
         I64(f, BroadcastRingDescriptor.LatestOffset), I64(f, BroadcastRingDescriptor.OldestOffset));

    /// <summary>Reader slot 0: position, next sequence, messages read.</summary>
    private static (long, long, long) ReaderSlot(byte[] f) =>
        (I64(f, Slot0 + 8), I64(f, Slot0 + 16), I64(f, Slot0 + 24));

    private static byte[] Sequence(long value)
    {
        byte[] b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return b;
    }

    private static int I32(byte[] b, int offset) => BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(offset));

    private static long I64(byte[] b, int offset) => BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(offset));
}
