using System;
using System.Buffers.Binary;
using System.IO;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>Bad arguments and bad shared memory for the broadcast ring: each refused with the value and the rule named.</summary>
public class BroadcastBadInputTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    public void ModeOutOfRange(int mode)
    {
        using var seg = new TestSegment();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BroadcastRing.Create(seg.Name, (BroadcastMode)mode, seg.Options()));
        Assert.Contains($"Broadcast mode {mode} is invalid: it must be Gated (1) or Lossy (2).", e.Message);
        Assert.Equal("mode", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => BroadcastRing.CreateOrOpen(seg.Name, (BroadcastMode)mode, seg.Options()));
        Assert.False(File.Exists(seg.Path));
    }

    [Fact]
    public void StartOutOfRange()
    {
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BroadcastReader.Open(seg.Name, (BroadcastStart)5, seg.Options()));
        Assert.Contains("Broadcast start 5 is invalid: it must be Oldest (0) or Newest (1).", e.Message);
        Assert.Empty(ring.GetStatistics().Readers);
    }

    [Fact]
    public void MaxMessageLengthAboveTheBroadcastLimit()
    {
        using var seg = new TestSegment();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BroadcastRing.Create(seg.Name, BroadcastMode.Lossy, seg.Options(capacity: 1024, maxMessageLength: 497)));
        Assert.Contains("MaxMessageLength 497 is invalid for a broadcast ring of capacity 1024: it must be at most capacity / 2 - 16 = 496 bytes.", e.Message);
        Assert.False(File.Exists(seg.Path));
        using var ok = BroadcastRing.Create(seg.Name, BroadcastMode.Lossy, seg.Options(capacity: 1024, maxMessageLength: 496));
        Assert.Equal(496, ok.MaxMessageLength);
        var tooLong = Assert.Throws<ArgumentOutOfRangeException>(() => ok.TryWrite(new byte[497]));
        Assert.Contains("Message of 497 bytes is too long", tooLong.Message);
    }

    [Fact]
    public void AnotherKindIsRefused()
    {
        using var seg = new TestSegment();
        using (OneToOneRing.Create(seg.Name, seg.Options()))
        {
        }

        var e = Assert.Throws<RingFormatException>(() => BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options()));
        Assert.Contains("holds a ring of kind OneToOne (1), but kind Broadcast (3) was asked for", e.Message);
        Assert.Throws<RingFormatException>(() => BroadcastRing.Open(seg.Name, seg.Options()));
    }

    [Fact]
    public void HeaderMaximumAboveTheBroadcastLimit() => AssertOpenRefused<RingFormatException>(file =>
    {
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(SegmentHeaderDescriptor.MaxMessageLengthOffset), 500);
        Reseal(file);
    }, "has maximum message length 500: for capacity 1024 it must be between 1 and 496");

    [Fact]
    public void ModeInTheSegmentOutOfRange() => AssertOpenRefused<RingFormatException>(
        file => BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(BroadcastRingDescriptor.ModeOffset), 7),
        "has mode 7: it must be 1 (gated) or 2 (lossy)");

    [Fact]
    public void ReaderSlotsInTheSegmentWrong() => AssertOpenRefused<RingFormatException>(
        file => BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(BroadcastRingDescriptor.ReaderSlotsOffset), 10),
        "has 10 reader slots: layout version 1 has 64");

    [Fact]
    public void HighWaterMarkOutOfRange() => AssertOpenRefused<RingCorruptedException>(
        file => BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(BroadcastRingDescriptor.ReaderHighWaterOffset), 1000),
        "the reader high-water mark is 1000; the rule is 0 to 64");

    [Fact]
    public void PublishedPositionsOutOfOrder() => AssertOpenRefused<RingCorruptedException>(file =>
    {
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(BroadcastRingDescriptor.OldestOffset), 4096);
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(BroadcastRingDescriptor.TailOffset), 64);
    }, "the writer's positions are oldest 4096 and tail 64; the rule is 0 <= oldest <= tail");

    [Theory]
    [InlineData(BroadcastMode.Gated, 100_000, 0)]
    [InlineData(BroadcastMode.Gated, 8, 0)]
    [InlineData(BroadcastMode.Gated, 32, -7)]
    [InlineData(BroadcastMode.Gated, int.MinValue, 0)]
    [InlineData(BroadcastMode.Gated, -100_000, 0)]
    [InlineData(BroadcastMode.Lossy, 100_000, 0)]
    [InlineData(BroadcastMode.Lossy, 32, -7)]
    [InlineData(BroadcastMode.Lossy, -100_000, 0)]
    public void ReaderRefusesAFrameThatBreaksTheRules(BroadcastMode mode, int frameLength, int type)
    {
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, mode, seg.Options(capacity: 1024));
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        Assert.True(ring.TryWrite(new byte[8], 0));
        Poke(seg, BroadcastRingDescriptor.DataOffset, frameLength);
        Poke(seg, BroadcastRingDescriptor.DataOffset + 4, type);
        var e = Assert.Throws<RingCorruptedException>(() => reader.TryRead(new byte[1024], out _));
        Assert.Contains($"the frame at position 0 has length {frameLength} and type {type}", e.Message);
        Assert.Throws<RingCorruptedException>(() => reader.Read((_, _) => { }));
    }

    [Theory]
    [InlineData(BroadcastMode.Gated, 5, "expects 0")]
    [InlineData(BroadcastMode.Lossy, -3, "expects at least 0")]
    public void ReaderRefusesASequenceOutOfOrder(BroadcastMode mode, long sequence, string expects)
    {
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, mode, seg.Options(capacity: 1024));
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        Assert.True(ring.TryWrite(new byte[8], 0));
        using (var fs = new FileStream(seg.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            fs.Position = BroadcastRingDescriptor.DataOffset + BroadcastFrameDescriptor.SequenceOffset;
            fs.Write(BitConverter.GetBytes(sequence));
        }

        var e = Assert.Throws<RingCorruptedException>(() => reader.TryRead(new byte[1024], out _));
        Assert.Contains($"the frame at position 0 carries sequence {sequence}, but reader 0 {expects}", e.Message);
    }

    [Fact]
    public void GatedWriterRefusesAReaderPositionOutsideTheRing()
    {
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 256, maxMessageLength: 16));
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        Poke64(seg, BroadcastRingDescriptor.ReaderTableOffset + BroadcastRingDescriptor.ReaderPositionOffset, 12345);
        var e = Assert.Throws<RingCorruptedException>(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                ring.TryWrite(new byte[16]);
            }
        });
        Assert.Contains("reader slot 0 holds position 12345; the rule is -1 (not gating) or a multiple of 16 between 0 and the tail", e.Message);
    }

    [Fact]
    public void AWriterTakingOverRefusesGarbageAtTheTail()
    {
        using var seg = new TestSegment();
        using (var first = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 1024)))
        {
            Assert.True(first.TryWrite(new byte[8]));
        }

        Poke(seg, BroadcastRingDescriptor.DataOffset + 32, -int.MaxValue);
        using var next = BroadcastRing.Open(seg.Name, seg.Options());
        var e = Assert.Throws<RingCorruptedException>(() => next.TryWrite([1]));
        Assert.Contains($"the frame at position 32 has length {-int.MaxValue}", e.Message);
    }

    [Fact]
    public void BadTimeoutAndLimit()
    {
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options());
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        Assert.Contains("Timeout -00:00:00.0050000 is invalid", Assert.Throws<ArgumentOutOfRangeException>(() => reader.Read(new byte[8], out _, TimeSpan.FromMilliseconds(-5))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryWrite([1], 0, TimeSpan.FromSeconds(-2)));
        Assert.Contains("Limit 0 is invalid", Assert.Throws<ArgumentOutOfRangeException>(() => reader.Read((_, _) => { }, 0)).Message);
        Assert.Throws<ArgumentNullException>(() => reader.Read(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.WaitToWriteAsync(-1).AsTask().Wait()); // thrown before any wait
    }

    private static void AssertOpenRefused<TException>(Action<byte[]> corrupt, string message)
        where TException : Exception
    {
        using var seg = new TestSegment();
        using (BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 1024)))
        {
        }

        byte[] file = File.ReadAllBytes(seg.Path);
        corrupt(file);
        File.WriteAllBytes(seg.Path, file);
        var e = Assert.Throws<TException>(() => BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options()));
        Assert.Contains(message, e.Message);
    }

    private static void Poke(TestSegment seg, long offset, int value)
    {
        using var fs = new FileStream(seg.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        fs.Position = offset;
        fs.Write(BitConverter.GetBytes(value));
    }

    private static void Poke64(TestSegment seg, long offset, long value)
    {
        using var fs = new FileStream(seg.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        fs.Position = offset;
        fs.Write(BitConverter.GetBytes(value));
    }

    private static void Reseal(byte[] file) =>
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(SegmentHeaderDescriptor.ChecksumOffset), SegmentHeaderDescriptor.ComputeChecksum(file.AsSpan(0, 128)));
}
