using System;
using System.IO;
using System.Linq;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary><see cref="RingSegment.Inspect"/>: header, parties and counters, read-only, and garbage refused with a reason.</summary>
public class InspectionTests
{
    [Fact]
    public void OneToOneRingShowsItsPartiesCountersAndFill()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options(capacity: 4096));
        ring.TryWrite("hello"u8, type: 3);
        ring.TryWrite("world"u8, type: 3);
        ring.TryRead(new byte[64], out _);

        RingSegmentInfo info = RingSegment.Inspect(seg.Name);

        Assert.Equal(RingKind.OneToOne, info.Kind);
        Assert.True(info.CanInspectKind);
        Assert.Equal(seg.Path, info.Path);
        Assert.Equal(4096, info.Capacity);
        Assert.Equal(4096 + OneToOneRingDescriptor.DataOffset, info.Length);
        Assert.Equal(16, info.BytesPending); // one frame: 8-byte header + 5 bytes, aligned to 8
        Assert.False(info.IsStale);
        Assert.Equal(["creator", "writer", "reader"], info.Parties.Select(p => p.Role));
        Assert.All(info.Parties, p => Assert.Equal(Environment.ProcessId, p.ProcessId));
        Assert.All(info.Parties, p => Assert.True(p.IsAlive));
        Assert.Equal(16, info.Parties.Single(p => p.Role == "reader").Lag);
        Assert.Equal(2, Counter(info, "ring.messages.written").Value);
        Assert.Equal(1, Counter(info, "ring.messages.read").Value);
        Assert.Equal(32, Counter(info, "ring.bytes.written").Value);
        Assert.Equal(4096, Counter(info, "ring.capacity").Value);
        Assert.Equal("By", Counter(info, "ring.bytes.pending").Unit);
        Assert.False(Counter(info, "ring.bytes.pending").IsCumulative);
        Assert.Equal(["reader", "writer"], info.Counters.Where(c => c.Name == "ring.sleeps").Select(c => c.Party));
    }

    [Fact]
    public void ManyToOneRingShowsItsWritersReaderAndCounters()
    {
        using var dir = new TestDirectory();
        using var ring = ManyToOneRing.Create("m2o", dir.Options(capacity: 4096));
        ring.TryWrite("hello"u8);
        ring.TryWrite("hello"u8);
        ring.TryRead(new byte[64], out _);

        RingSegmentInfo info = RingSegment.Inspect("m2o", dir.Path);
        Assert.Equal(RingKind.ManyToOne, info.Kind);
        Assert.True(info.CanInspectKind);
        Assert.Equal(16, info.BytesPending);
        Assert.Equal(["creator", "writer", "reader"], info.Parties.Select(p => p.Role));
        Assert.All(info.Parties, p => Assert.True(p.IsAlive));
        Assert.Equal(2, Counter(info, "ring.messages.written").Value);
        Assert.Equal(1, Counter(info, "ring.messages.read").Value);
        Assert.Equal(0, Counter(info, "ring.completed").Value);
        ring.Complete();
        Assert.Equal(1, Counter(RingSegment.Inspect("m2o", dir.Path), "ring.completed").Value);
    }

    [Fact]
    public void ManyToManyRingShowsItsWritersReadersAndCounters()
    {
        using var seg = new TestSegment();
        using var writer = ManyToManyRing.Create(seg.Name, seg.Options(capacity: 4096, maxMessageLength: 100));
        using var reader = ManyToManyRing.Open(seg.Name, seg.Options(capacity: 4096, maxMessageLength: 100));
        writer.TryWrite("hello"u8);
        writer.TryWrite(new byte[60]); // 16 + 60 bytes: two slots
        Assert.True(reader.TryRead(new byte[100], out _));

        RingSegmentInfo info = RingSegment.Inspect(seg.Name);
        Assert.Equal(RingKind.ManyToMany, info.Kind);
        Assert.True(info.CanInspectKind);
        Assert.Equal(2 * ManyToManyRingDescriptor.SlotLength, info.BytesPending);
        Assert.Equal(["creator", "writer", "reader"], info.Parties.Select(p => p.Role));
        Assert.All(info.Parties, p => Assert.True(p.IsAlive));
        Assert.Equal(2 * ManyToManyRingDescriptor.SlotLength, info.Parties.Single(p => p.Role == "reader").Lag);
        Assert.Equal(2, Counter(info, "ring.messages.written").Value);
        Assert.Equal(1, Counter(info, "ring.messages.read").Value);
        Assert.Equal(0, Counter(info, "ring.messages.lost").Value);
        Assert.Equal(0, Counter(info, "ring.torn_claims").Value);
        Assert.Equal(0, Counter(info, "ring.revoked_claims").Value);
        Assert.Equal(0, Counter(info, "ring.full_stalls").Value);
        Assert.Equal(4096, Counter(info, "ring.capacity").Value);
        Assert.Equal(["reader", "writer"], info.Counters.Where(c => c.Name == "ring.wakeups").Select(c => c.Party));
        Assert.Equal(0, Counter(info, "ring.completed").Value);

        // A reader that leaves hands its count to the retired total: the sum stays.
        reader.Dispose();
        info = RingSegment.Inspect(seg.Name);
        Assert.Equal(1, Counter(info, "ring.messages.read").Value);
        Assert.Equal(["creator", "writer"], info.Parties.Select(p => p.Role));
        writer.Complete();
        Assert.Equal(1, Counter(RingSegment.Inspect(seg.Name), "ring.completed").Value);
    }

    [Fact]
    public void InspectingTakesNoRole()
    {
        using var seg = new TestSegment();
        using (var creator = OneToOneRing.Create(seg.Name, seg.Options()))
        {
        }

        RingSegment.Inspect(seg.Name);
        using var ring = OneToOneRing.Open(seg.Name, seg.Options());
        OneToOneRingStatistics stats = ring.GetStatistics();
        Assert.Equal(0, stats.WriterProcessId);
        Assert.Equal(0, stats.ReaderProcessId);
        Assert.Equal(["creator"], RingSegment.Inspect(seg.Name).Parties.Select(p => p.Role));
    }

    [Fact]
    public void PrimitivesShowTheirState()
    {
        using var dir = new TestDirectory();
        using var mutex = SharedMutex.Create("m", dir.Options());
        using var semaphore = SharedSemaphore.Create("s", 2, 5, dir.Options());
        mutex.Acquire();
        semaphore.TryAcquire();

        RingSegmentInfo m = RingSegment.Inspect("m", dir.Path);
        Assert.Equal(RingKind.Mutex, m.Kind);
        Assert.Null(m.BytesPending);
        Assert.Equal(1, Counter(m, "ring.mutex.held").Value);
        RingParty owner = m.Parties.Single(p => p.Role == "owner");
        Assert.Equal(Environment.ProcessId, owner.ProcessId);
        Assert.True(owner.IsAlive);

        RingSegmentInfo s = RingSegment.Inspect("s", dir.Path);
        Assert.Equal(1, Counter(s, "ring.semaphore.count").Value);
        Assert.Equal(5, Counter(s, "ring.semaphore.maximum").Value);
        mutex.Release();
    }

    [Fact]
    public void DeadCreatorAndNoPartyIsStale()
    {
        using var seg = new TestSegment();
        using (OneToOneRing.Create(seg.Name, seg.Options()))
        {
        }

        SegmentFiles.SetCreator(seg.Path, SegmentFiles.DeadProcessId);
        RingSegmentInfo info = RingSegment.Inspect(seg.Name);
        Assert.True(info.IsStale);
        RingParty creator = Assert.Single(info.Parties);
        Assert.Equal(SegmentFiles.DeadProcessId, creator.ProcessId);
        Assert.False(creator.IsAlive);
    }

    [Fact]
    public void UnknownKindShowsItsHeaderFields()
    {
        using var dir = new TestDirectory();
        SegmentFiles.WriteSegment(dir.File("future"), kind: 42, headerLength: 8192, capacity: 1024, maxMessageLength: 100, creatorPid: Environment.ProcessId);

        RingSegmentInfo info = RingSegment.Inspect("future", dir.Path);
        Assert.Equal(42, (int)info.Kind);
        Assert.False(info.CanInspectKind);
        Assert.Equal(1024, info.Capacity);
        Assert.Equal(100, info.MaxMessageLength);
        Assert.Empty(info.Counters);
        Assert.Null(info.BytesPending);
        Assert.True(Assert.Single(info.Parties).IsAlive);
    }

    [Theory]
    [InlineData(0, "is empty (or not a regular file): not a Ring segment")]
    [InlineData(100, "the file is 100 bytes, shorter than the 128-byte header")]
    public void ShortFilesAreNotSegments(int length, string message)
    {
        using var dir = new TestDirectory();
        File.WriteAllBytes(dir.File("short"), new byte[length]);
        var e = Assert.Throws<RingFormatException>(() => RingSegment.Inspect("short", dir.Path));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void GarbageIsNotASegment()
    {
        using var dir = new TestDirectory();
        byte[] junk = new byte[5000];
        new Random(7).NextBytes(junk);
        File.WriteAllBytes(dir.File("junk"), junk);
        var e = Assert.Throws<RingFormatException>(() => RingSegment.Inspect("junk", dir.Path));
        Assert.Contains("is not a Ring segment: its magic is 0x", e.Message);
    }

    [Fact]
    public void UnpublishedHeaderNamesItsCreator()
    {
        using var dir = new TestDirectory();
        byte[] file = new byte[4096];
        BitConverter.TryWriteBytes(file.AsSpan(SegmentHeaderDescriptor.CreatorPidOffset), SegmentFiles.DeadProcessId);
        File.WriteAllBytes(dir.File("half"), file);
        var e = Assert.Throws<RingFormatException>(() => RingSegment.Inspect("half", dir.Path));
        Assert.Contains($"has no published header (magic 0): it is being made by pid {SegmentFiles.DeadProcessId}, which is dead", e.Message);
    }

    [Fact]
    public void CorruptChecksumIsRefused()
    {
        using var seg = new TestSegment();
        using (OneToOneRing.Create(seg.Name, seg.Options()))
        {
        }

        using (var stream = new FileStream(seg.Path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = SegmentHeaderDescriptor.CreatorPidOffset;
            int b = stream.ReadByte();
            stream.Position = SegmentHeaderDescriptor.CreatorPidOffset;
            stream.WriteByte((byte)(b ^ 0xFF));
        }

        var e = Assert.Throws<RingFormatException>(() => RingSegment.Inspect(seg.Name));
        Assert.Contains("has a corrupt header: its checksum is 0x", e.Message);
    }

    [Fact]
    public void MissingLinkAndDirectoryAreNamed()
    {
        using var dir = new TestDirectory();
        var missing = Assert.Throws<FileNotFoundException>(() => RingSegment.Inspect("nope", dir.Path));
        Assert.Contains($"Segment 'nope' does not exist at '{dir.File("nope")}'", missing.Message);

        File.CreateSymbolicLink(dir.File("link"), dir.File("nope"));
        var link = Assert.Throws<UnauthorizedAccessException>(() => RingSegment.Inspect("link", dir.Path));
        Assert.Contains("is a symbolic link", link.Message);

        Directory.CreateDirectory(dir.File("sub"));
        var sub = Assert.Throws<RingFormatException>(() => RingSegment.Inspect("sub", dir.Path));
        Assert.Contains("is a directory, not a Ring segment", sub.Message);

        Assert.Throws<ArgumentException>(() => RingSegment.Inspect("a/b", dir.Path));
    }

    private static RingCounter Counter(RingSegmentInfo info, string name) => info.Counters.First(c => c.Name == name);
}
