using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using Xunit;

namespace Ring.Tests;

/// <summary>The "Ring" meter: the segments' counters, observed through a <see cref="MeterListener"/>.</summary>
public sealed class MetricsTests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, string? Unit, long Value, Dictionary<string, object?> Tags)> _seen = [];

    public MetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Ring")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            _seen.Add((instrument.Name, instrument.Unit, value, map));
        });
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void RingCountersAreObservedWithNameKindAndPartyTagsUntilDisposed()
    {
        using var seg = new TestSegment();
        using (var ring = OneToOneRing.Create(seg.Name, seg.Options(capacity: 4096)))
        {
            ring.TryWrite("abc"u8);
            ring.TryWrite("abc"u8);
            ring.TryWrite("abc"u8);
            ring.TryRead(new byte[16], out _);

            var seen = Observe(seg.Name);
            Assert.Equal(3, Single(seen, "ring.messages.written").Value);
            Assert.Equal(1, Single(seen, "ring.messages.read").Value);
            Assert.Equal(32, Single(seen, "ring.bytes.pending").Value);
            Assert.Equal(4096, Single(seen, "ring.capacity").Value);
            Assert.Equal("By", Single(seen, "ring.capacity").Unit);
            Assert.Equal("{message}", Single(seen, "ring.messages.written").Unit);
            Assert.All(seen, m => Assert.Equal("OneToOne", m.Tags["ring.kind"]));
            Assert.Equal(["reader", "writer"], seen.Where(m => m.Instrument == "ring.sleeps").Select(m => (string?)m.Tags["ring.party"]).Order());
        }

        Assert.Empty(Observe(seg.Name));
    }

    [Fact]
    public void ManyToOneRingsAreObserved()
    {
        using var dir = new TestDirectory();
        string path = dir.File("m2o");
        using (var ring = ManyToOneRing.Create(path, dir.Options()))
        {
            ring.TryWrite("abc"u8);
            ring.TryWrite("abc"u8);
            var seen = Observe(path);
            Assert.Equal(2, Single(seen, "ring.messages.written").Value);
            Assert.Equal("ManyToOne", Single(seen, "ring.messages.written").Tags["ring.kind"]);
            Assert.Equal(0, Single(seen, "ring.revoked_claims").Value);
        }

        Assert.Empty(Observe(path));
    }

    [Fact]
    public void ManyToManyRingsAreObserved()
    {
        using var seg = new TestSegment();
        using (var ring = ManyToManyRing.Create(seg.Name, seg.Options(capacity: 4096, maxMessageLength: 100)))
        {
            ring.TryWrite("abc"u8);
            ring.TryWrite("abc"u8);
            Assert.True(ring.TryRead(new byte[100], out _));
            var seen = Observe(seg.Name);
            Assert.Equal(2, Single(seen, "ring.messages.written").Value);
            Assert.Equal(1, Single(seen, "ring.messages.read").Value);
            Assert.Equal(64, Single(seen, "ring.bytes.pending").Value);
            Assert.Equal(0, Single(seen, "ring.messages.lost").Value);
            Assert.All(seen, m => Assert.Equal("ManyToMany", m.Tags["ring.kind"]));
            Assert.Equal(["reader", "writer"], seen.Where(m => m.Instrument == "ring.sleeps").Select(m => (string?)m.Tags["ring.party"]).Order());
        }

        Assert.Empty(Observe(seg.Name));
    }

    [Fact]
    public void BroadcastWriterAndReaderAreObserved()
    {
        using var seg = new TestSegment();
        using (var writer = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options()))
        {
            writer.TryWrite("abc"u8);
            var seen = Observe(seg.Name);
            Assert.Equal(1, Single(seen, "ring.messages.written").Value);
            Assert.Equal("Broadcast", Single(seen, "ring.messages.written").Tags["ring.kind"]);
            Assert.Equal(0, Single(seen, "ring.readers").Value);
        }

        Assert.Empty(Observe(seg.Name));

        // A reader alone registers too.
        using (var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options()))
        {
            Assert.Equal(1, Single(Observe(seg.Name), "ring.readers").Value);
        }

        Assert.Empty(Observe(seg.Name));
    }

    [Fact]
    public void SlotRingsAreObserved()
    {
        using var dir = new TestDirectory();
        string one = dir.File("slots1");
        string many = dir.File("slots2");
        using (var ring = SlotRing<long>.Create(one, 8, dir.Options()))
        using (var shared = ManyToManySlotRing<long>.Create(many, 8, dir.Options()))
        {
            ring.TryWrite(1);
            ring.TryWrite(2);
            shared.TryWrite(3);
            Assert.Equal(2, Single(Observe(one), "ring.messages.written").Value);
            Assert.Equal("SlotOneToOne", Single(Observe(one), "ring.slots").Tags["ring.kind"]);
            Assert.Equal(1, Single(Observe(many), "ring.messages.written").Value);
            Assert.Equal("SlotManyToMany", Single(Observe(many), "ring.slots").Tags["ring.kind"]);
        }

        Assert.Empty(Observe(one));
        Assert.Empty(Observe(many));
    }

    [Fact]
    public void TwoObjectsOnOneSegmentAreReportedOnce()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options());
        using (var reader = OneToOneRing.Open(seg.Name, seg.Options()))
        {
            writer.TryWrite("x"u8);
            Assert.Equal(1, Single(Observe(seg.Name), "ring.messages.written").Value);
        }

        // The reader's mapping is gone; the writer's still serves the readings.
        writer.TryWrite("y"u8);
        Assert.Equal(2, Single(Observe(seg.Name), "ring.messages.written").Value);
    }

    [Fact]
    public void PrimitivesAreObserved()
    {
        using var dir = new TestDirectory();
        string path = dir.File("sem");
        using (var semaphore = SharedSemaphore.Create(path, 3, 4, dir.Options()))
        {
            semaphore.TryAcquire();
            var seen = Observe(path);
            Assert.Equal(2, Single(seen, "ring.semaphore.count").Value);
            Assert.Equal("Semaphore", Single(seen, "ring.semaphore.count").Tags["ring.kind"]);
            Assert.Equal("waiter", Single(seen, "ring.sleeps").Tags["ring.party"]);
        }

        Assert.Empty(Observe(path));
    }

    [Fact]
    public void EveryInstrumentHasAUnitAndADescription()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options());
        Meter meter = RingMetrics.Meter;
        Assert.Equal("Ring", meter.Name);
        var instruments = new List<Instrument>();
        using var listener = new MeterListener { InstrumentPublished = (i, _) => { if (i.Meter == meter) instruments.Add(i); } };
        listener.Start();
        Assert.Contains(instruments, i => i.Name == "ring.full_stalls");
        Assert.All(instruments, i => Assert.False(string.IsNullOrEmpty(i.Unit), i.Name));
        Assert.All(instruments, i => Assert.False(string.IsNullOrEmpty(i.Description), i.Name));
    }

    private List<(string Instrument, string? Unit, long Value, Dictionary<string, object?> Tags)> Observe(string ringName)
    {
        _seen.Clear();
        _listener.RecordObservableInstruments();
        return _seen.Where(m => (string?)m.Tags["ring.name"] == ringName).ToList();
    }

    private static (string Instrument, string? Unit, long Value, Dictionary<string, object?> Tags) Single(
        List<(string Instrument, string? Unit, long Value, Dictionary<string, object?> Tags)> seen, string instrument) =>
        Assert.Single(seen, m => m.Instrument == instrument);
}
