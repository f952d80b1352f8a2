using System.Collections.Generic;

namespace Ring.Soak;

/// <summary>A gated <see cref="BroadcastRing"/>: one writer process, several reader processes, every reader gets every message.</summary>
internal sealed class BroadcastTopology : IRingTopology
{
    public string Name => "broadcast";

    public string Description => "BroadcastRing (gated): one writer process, several reader processes, each gets every message";

    public Delivery Delivery => Delivery.EveryReaderGetsAll;

    public (int Writers, int Readers) DefaultParties => (1, 2);

    // A restarted reader is a new subscriber (from the oldest or the newest frame), not the dead one resumed, which the
    // fault harness's ledger expects.
    public bool SupportsFaults => false;

    public string? CheckParties(int writers, int readers) =>
        writers == 1 && readers >= 1 ? null : $"a broadcast ring has exactly 1 writer and at least 1 reader, not {writers} and {readers}";

    public ITopologyInstance Create(string name, TopologySettings settings) => new Instance(BroadcastRing.Create(name, BroadcastMode.Gated, settings.Options()));

    public ITopologyWriter OpenWriter(string name, int index, TopologySettings settings)
    {
        BroadcastRing ring = BroadcastRing.Open(name, settings.Options());
        return new FrameRingWriter(ring, ring.WaitToWriteAsync);
    }

    // Readers register when they open, before the parent lets the writer start: a gated writer then waits for each of them.
    public ITopologyReader OpenReader(string name, int index, TopologySettings settings) =>
        new FrameRingReader(BroadcastReader.Open(name, BroadcastStart.Oldest, settings.Options()));

    public FuzzTarget? FuzzLayout(TopologySettings settings) => null;

    private sealed class Instance(BroadcastRing ring) : ITopologyInstance
    {
        public IReadOnlyDictionary<string, long> ReadCounters() => StatisticsCounters.Of(ring.GetStatistics());

        public void Dispose()
        {
            string path = ring.Path;
            ring.Dispose();
            RingSegment.Remove(path);
        }
    }
}
