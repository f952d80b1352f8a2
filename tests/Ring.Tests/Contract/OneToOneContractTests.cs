using System;
using Xunit;

namespace Ring.Tests;

/// <summary>Tier 3 for <see cref="OneToOneRing"/>: the shared contract, plus the rules of one writer and one reader.</summary>
public sealed class OneToOneContractTests : RingContractTests
{
    protected override IMessageWriter CreateWriter(TestSegment segment, RingOptions options) => OneToOneRing.Create(segment.Name, options);

    protected override IMessageReader OpenReader(TestSegment segment, RingOptions options) => OneToOneRing.Open(segment.Name, options);

    protected override WakeCounters GetWakeCounters(IMessageWriter writer)
    {
        OneToOneRingStatistics s = ((OneToOneRing)writer).GetStatistics();
        return new WakeCounters(s.ReaderSleeps, s.ReaderWakeups, s.WriterWakeups, s.MessagesRead);
    }

    [Fact]
    public void StatisticsCountWhatWasWrittenAndRead()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options());
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        writer.TryWrite([1, 2, 3]);
        Assert.Throws<ArgumentException>(() => reader.TryRead(new byte[2], out _));
        Assert.Equal(0, reader.GetStatistics().Head); // the refused read consumed nothing
        Assert.True(reader.TryRead(new byte[3], out _));
        OneToOneRingStatistics s = reader.GetStatistics();
        Assert.Equal(16, s.Head);
        Assert.Equal(1, s.MessagesWritten);
        Assert.Equal(1, s.MessagesRead);
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.GetStatistics());
    }

    [Fact]
    public void OneWriterAndOneReaderPerRing()
    {
        using var seg = new TestSegment();
        using var a = OneToOneRing.Create(seg.Name, seg.Options());
        using var b = OneToOneRing.Open(seg.Name, seg.Options());
        a.TryWrite([1]);
        var e = Assert.Throws<InvalidOperationException>(() => b.TryWrite([1]));
        Assert.Contains("already has a writer in this process", e.Message);
        a.Dispose();
        Assert.True(b.TryWrite([2])); // the role is free again after dispose
        Assert.Equal(Environment.ProcessId, b.GetStatistics().WriterProcessId);
    }

    [Fact]
    public void CreateOrOpenOpensTheSameRingAndChecksSizes()
    {
        using var seg = new TestSegment();
        using var first = OneToOneRing.CreateOrOpen(seg.Name, seg.Options(capacity: 1024));
        using var second = OneToOneRing.CreateOrOpen(seg.Name, seg.Options(capacity: 1024));
        first.TryWrite([9]);
        Assert.True(second.TryRead(new byte[8], out _));
        var e = Assert.Throws<RingFormatException>(() => OneToOneRing.CreateOrOpen(seg.Name, seg.Options(capacity: 2048)));
        Assert.Contains("capacity 1024", e.Message);
        Assert.Contains("capacity 2048", e.Message);
    }
}
