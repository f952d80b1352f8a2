using System;
using System.Buffers.Binary;
using System.IO;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>Every wrong name, size, option and header field gets its own exception that names the value and the rule.</summary>
public class BadInputTests
{
    [Theory]
    [InlineData("", "Segment name '' is invalid: it must not be empty.")]
    [InlineData("a/b", "Segment name 'a/b' is invalid: it must not contain a path separator")]
    [InlineData("a\\b", "must not contain a path separator")]
    [InlineData("..", "Segment name '..' is invalid: it must not be '.' or contain '..'.")]
    [InlineData("a..b", "must not be '.' or contain '..'")]
    [InlineData(".", "must not be '.' or contain '..'")]
    [InlineData("x\0y", "Segment name 'x\\0y' is invalid: it must not contain NUL.")]
    public void BadNames(string name, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => OneToOneRing.Create(name));
        Assert.Contains(message, e.Message);
        Assert.Equal("name", e.ParamName);
    }

    [Fact]
    public void OverlongName()
    {
        var e = Assert.Throws<ArgumentException>(() => OneToOneRing.Create(new string('n', 201)));
        Assert.Contains("Segment name of 201 characters is invalid: it must be at most 200 characters.", e.Message);
    }

    [Fact]
    public void FullPathIsAcceptedAndItsFileNameChecked()
    {
        using var seg = new TestSegment();
        using (var ring = OneToOneRing.Create(seg.Path, seg.Options()))
        {
            Assert.Equal(seg.Path, ring.Path);
        }

        Assert.True(File.Exists(seg.Path));
        Assert.Throws<ArgumentException>(() => OneToOneRing.Create("/dev/shm/a..b"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(32)]
    [InlineData(100)]
    [InlineData(4097)]
    [InlineData(1L << 31)]
    public void BadCapacities(long capacity)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RingOptions { Capacity = capacity });
        Assert.Contains($"Capacity {capacity} is invalid: it must be a power of two between 64 and 1073741824 bytes.", e.Message);
    }

    [Fact]
    public void BadMaxMessageLengths()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RingOptions { MaxMessageLength = -1 });
        Assert.Contains("MaxMessageLength -1 is invalid", e.Message);
        using var seg = new TestSegment();
        var tooBig = Assert.Throws<ArgumentOutOfRangeException>(() => OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 505)));
        Assert.Contains("MaxMessageLength 505 is invalid for capacity 1024: it must be at most capacity / 2 - 8 = 504 bytes.", tooBig.Message);
        Assert.False(File.Exists(seg.Path));
    }

    [Fact]
    public void BadOptions()
    {
        Assert.Contains("must include owner read and write", Assert.Throws<ArgumentOutOfRangeException>(() => new RingOptions { UnixFileMode = UnixFileMode.UserRead }).Message);
        Assert.Contains("UnixFileMode 4600 is invalid", Assert.Throws<ArgumentOutOfRangeException>(() => new RingOptions { UnixFileMode = UnixFileMode.SetUser | UnixFileMode.UserRead | UnixFileMode.UserWrite }).Message);
        Assert.Contains("OpenTimeout -00:00:01 is invalid: it must not be negative.", Assert.Throws<ArgumentOutOfRangeException>(() => new RingOptions { OpenTimeout = TimeSpan.FromSeconds(-1) }).Message);
        Assert.Contains("spins are bounded to at most 1 second", Assert.Throws<ArgumentOutOfRangeException>(() => new RingOptions { SpinDuration = TimeSpan.FromSeconds(2) }).Message);
        Assert.Contains("LivenessCheckInterval 00:00:00 is invalid: it must be between 1 ms and 10 s.", Assert.Throws<ArgumentOutOfRangeException>(() => new RingOptions { LivenessCheckInterval = TimeSpan.Zero }).Message);
        Assert.Contains("WaitStrategy 9 is not one of", Assert.Throws<ArgumentOutOfRangeException>(() => new RingOptions { WaitStrategy = (WaitStrategy)9 }).Message);
        Assert.Throws<ArgumentException>(() => new RingOptions { Directory = "" });
        Assert.Contains("must not contain NUL", Assert.Throws<ArgumentException>(() => new RingOptions { Directory = "/tmp\0x" }).Message);
    }

    [Fact]
    public void BadTimeoutAndLimit()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.Read(new byte[8], out _, TimeSpan.FromMilliseconds(-5)));
        Assert.Contains("Timeout -00:00:00.0050000 is invalid", e.Message);

        // Refused even when the call would not have to wait.
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryWrite([1], 0, TimeSpan.FromSeconds(-2)));
        Assert.True(ring.TryWrite([1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Read(new byte[8], out _, TimeSpan.FromSeconds(-2)));
        Assert.True(ring.TryRead(new byte[8], out _));
        Assert.Contains("Limit 0 is invalid", Assert.Throws<ArgumentOutOfRangeException>(() => ring.Read((_, _) => { }, 0)).Message);
    }

    [Fact]
    public void CreateIsExclusive()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options());
        var e = Assert.Throws<IOException>(() => OneToOneRing.Create(seg.Name, seg.Options()));
        Assert.Contains($"Segment '{seg.Name}' already exists at '{seg.Path}'", e.Message);
    }

    [Fact]
    public void OpenOfAMissingSegment()
    {
        using var seg = new TestSegment();
        var e = Assert.Throws<FileNotFoundException>(() => OneToOneRing.Open(seg.Name, seg.Options()));
        Assert.Contains($"Segment '{seg.Name}' does not exist at '{seg.Path}'.", e.Message);
    }

    [Fact]
    public void CreateInAMissingDirectory()
    {
        var options = new RingOptions { Directory = "/dev/shm/no-such-directory-for-ring" };
        var e = Assert.Throws<DirectoryNotFoundException>(() => OneToOneRing.Create("x", options));
        Assert.Contains("directory '/dev/shm/no-such-directory-for-ring' does not exist", e.Message);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void SegmentsAreOwnerOnlyByDefaultAndTheModeIsExact()
    {
        using var seg = new TestSegment();
        using (OneToOneRing.Create(seg.Name, seg.Options()))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(seg.Path));
        }

        using var seg2 = new TestSegment();
        RingOptions options = seg2.Options();
        options.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead;
        using (OneToOneRing.Create(seg2.Name, options))
        {
            Assert.Equal(options.UnixFileMode, File.GetUnixFileMode(seg2.Path));
        }
    }

    [Fact]
    public void SymbolicLinksAreNotFollowed()
    {
        using var target = new TestSegment();
        using var link = new TestSegment();
        using (OneToOneRing.Create(target.Name, target.Options()))
        {
        }

        File.CreateSymbolicLink(link.Path, target.Path);
        var e = Assert.Throws<UnauthorizedAccessException>(() => OneToOneRing.Open(link.Name, link.Options()));
        Assert.Contains("is a symbolic link", e.Message);
        Assert.Throws<IOException>(() => OneToOneRing.Create(link.Name, link.Options()));
    }

    [Fact]
    public void WrongMagic() => AssertHeaderRefused(
        f => BinaryPrimitives.WriteUInt64LittleEndian(f, 0x1122334455667788), "is not a Ring segment: its magic is 0x1122334455667788, expected 0x31474553474E4952");

    [Fact]
    public void WrongLayoutVersion() => AssertHeaderRefused(
        f => WriteInt32(f, SegmentHeaderDescriptor.LayoutVersionOffset, 2, reseal: true), "has layout version 2; this library reads layout version 1.");

    [Fact]
    public void WrongKind() => AssertHeaderRefused(
        f => WriteInt32(f, SegmentHeaderDescriptor.KindOffset, 99, reseal: true), "holds a ring of kind unknown (99), but kind OneToOne (1) was asked for.");

    [Fact]
    public void BadChecksum() => AssertHeaderRefused(
        f => f[100] ^= 0xFF, "has a corrupt header: its checksum is 0x");

    [Fact]
    public void WrongHeaderLength() => AssertHeaderRefused(
        f => WriteInt32(f, SegmentHeaderDescriptor.HeaderLengthOffset, 128, reseal: true), "has header length 128; kind OneToOne has a header of 4096 bytes.");

    [Fact]
    public void CapacityNotAPowerOfTwo() => AssertHeaderRefused(
        f => WriteInt64(f, SegmentHeaderDescriptor.CapacityOffset, 1000), "has capacity 1000: it must be a power of two between 64 and 1073741824 bytes.");

    [Fact]
    public void MaxMessageLengthOutOfRange() => AssertHeaderRefused(
        f => WriteInt32(f, SegmentHeaderDescriptor.MaxMessageLengthOffset, 0, reseal: true), "has maximum message length 0: for capacity 1024 it must be between 1 and 504.");

    [Fact]
    public void TotalLengthDisagrees() => AssertHeaderRefused(
        f => WriteInt64(f, SegmentHeaderDescriptor.TotalLengthOffset, 9999), "has total length 9999, but header length 4096 + capacity 1024 = 5120.");

    [Fact]
    public void UnknownHeaderFlags() => AssertHeaderRefused(
        f => WriteInt32(f, SegmentHeaderDescriptor.FlagsOffset, 6, reseal: true), "has flags 0x00000006; a OneToOne segment of layout version 1 may only have flags 0x00000001.");

    [Fact]
    public void OversizeMessagesAreRefusedWithAndWithoutFrameChecksums()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024, maxMessageLength: 100);
        options.FrameChecksums = true;
        using var ring = OneToOneRing.Create(seg.Name, options);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryWrite(new byte[101]));
        Assert.Contains($"Message of 101 bytes is too long for ring '{seg.Name}': its maximum message length is 100 bytes. Nothing was written.", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryClaim(101, 0, out _));
        Assert.Equal(0, ring.GetStatistics().Tail);
    }

    [Fact]
    public void TruncatedFile()
    {
        using var seg = new TestSegment();
        using (OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024)))
        {
        }

        using (var fs = new FileStream(seg.Path, FileMode.Open))
        {
            fs.SetLength(4096 + 512);
        }

        var e = Assert.Throws<RingFormatException>(() => OneToOneRing.Open(seg.Name, seg.Options()));
        Assert.Contains("is 4608 bytes, but its header says 5120: the file was truncated or extended.", e.Message);
    }

    [Fact]
    public void FileShorterThanTheHeader()
    {
        using var seg = new TestSegment();
        File.WriteAllBytes(seg.Path, new byte[100]);
        var e = Assert.Throws<RingFormatException>(() => OneToOneRing.Open(seg.Name, seg.Options()));
        Assert.Contains("is not a Ring segment: the file is 100 bytes, shorter than the 128-byte header.", e.Message);
    }

    [Fact]
    public void FileThatIsNotARingSegment()
    {
        using var seg = new TestSegment();
        byte[] junk = new byte[8192];
        new Random(1).NextBytes(junk);
        File.WriteAllBytes(seg.Path, junk);
        var e = Assert.Throws<RingFormatException>(() => OneToOneRing.Open(seg.Name, seg.Options()));
        Assert.Contains("is not a Ring segment: its magic is", e.Message);
    }

    [Fact]
    public void HalfMadeSegmentTimesOutWithTheReason()
    {
        using var seg = new TestSegment();
        File.WriteAllBytes(seg.Path, []);
        RingOptions options = seg.Options();
        options.OpenTimeout = TimeSpan.FromMilliseconds(100);
        var empty = Assert.Throws<TimeoutException>(() => OneToOneRing.Open(seg.Name, options));
        Assert.Contains("was not finished within the open timeout of 00:00:00.1000000: the file is still empty", empty.Message);

        File.WriteAllBytes(seg.Path, new byte[8192]);
        var unpublished = Assert.Throws<TimeoutException>(() => OneToOneRing.Open(seg.Name, options));
        Assert.Contains("its header is not published (magic 0)", unpublished.Message);
    }

    [Fact]
    public void ReaderRefusesAPositionOutsideTheRing()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024));
        using (var fs = new FileStream(seg.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            fs.Position = OneToOneRingDescriptor.TailOffset;
            fs.Write(BitConverter.GetBytes(1_000_000L));
        }

        var e = Assert.Throws<RingCorruptedException>(() => ring.TryRead(new byte[1024], out _));
        Assert.Contains("head 0 and tail 1000000", e.Message);
        Assert.Contains("0 <= tail - head <= capacity 1024", e.Message);
    }

    [Theory]
    [InlineData(100_000, 0)]
    [InlineData(4, 0)]
    [InlineData(16, -7)]
    [InlineData(-100_000, 0)]
    [InlineData(int.MaxValue, -1)]
    [InlineData(int.MaxValue - 3, 0)]
    [InlineData(int.MinValue, 0)]
    public void ReaderRefusesAFrameThatBreaksTheRules(int frameLength, int type)
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024));
        Assert.True(ring.TryWrite(new byte[8], 0));
        using (var fs = new FileStream(seg.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            fs.Position = OneToOneRingDescriptor.DataOffset;
            fs.Write(BitConverter.GetBytes(frameLength));
            fs.Write(BitConverter.GetBytes(type));
        }

        var e = Assert.Throws<RingCorruptedException>(() => ring.TryRead(new byte[1024], out _));
        Assert.Contains($"the frame at position 0 has length {frameLength}", e.Message);
    }

    [Theory]
    [InlineData("one-to-one", true)]
    [InlineData("one-to-one", false)]
    [InlineData("many-to-one", true)]
    public void ALapOfForgedPaddingStopsTheReaderInsteadOfWalkingForever(string kind, bool batch)
    {
        // (A many-to-one TryRead zeroes each padding frame as it passes it, so it comes round to zeroes and returns.)
        // Found by the fuzzer: padding frames all round the ring kept a reader skipping them forever inside a call that
        // never blocks. A correct writer never leaves more than a lap unread, so more is corruption.
        using var seg = new TestSegment();
        using IMessageReader ring = kind == "one-to-one"
            ? OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024))
            : ManyToOneRing.Create(seg.Name, seg.Options(capacity: 1024));
        int dataOffset = kind == "one-to-one" ? OneToOneRingDescriptor.DataOffset : ManyToOneRingDescriptor.DataOffset;
        using (var fs = new FileStream(seg.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            fs.Position = dataOffset;
            for (int i = 0; i < 1024 / 8; i++)
            {
                fs.Write(BitConverter.GetBytes(8));
                fs.Write(BitConverter.GetBytes(-1));
            }
        }

        var e = Assert.Throws<RingCorruptedException>(() => batch ? ring.Read(static (_, _) => { }) : (ring.TryRead(new byte[64], out _) ? 1 : 0));
        Assert.Contains("the frames from position 0 run on to position 1032, more than the capacity 1024 in one read", e.Message);
    }

    private static void AssertHeaderRefused(Action<byte[]> corrupt, string message)
    {
        using var seg = new TestSegment();
        using (OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024)))
        {
        }

        byte[] file = File.ReadAllBytes(seg.Path);
        corrupt(file);
        File.WriteAllBytes(seg.Path, file);
        var e = Assert.Throws<RingFormatException>(() => OneToOneRing.Open(seg.Name, seg.Options()));
        Assert.Contains($"Segment '{seg.Name}' at '{seg.Path}'", e.Message);
        Assert.Contains(message, e.Message);
    }

    private static void WriteInt32(byte[] file, int offset, int value, bool reseal)
    {
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(offset), value);
        if (reseal)
        {
            Reseal(file);
        }
    }

    private static void WriteInt64(byte[] file, int offset, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(offset), value);
        Reseal(file);
    }

    /// <summary>Recomputes the checksum, so that the field rule under test (not the checksum) is what refuses the header.</summary>
    private static void Reseal(byte[] file) =>
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(SegmentHeaderDescriptor.ChecksumOffset), SegmentHeaderDescriptor.ComputeChecksum(file.AsSpan(0, 128)));
}
