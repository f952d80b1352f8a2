using System.Collections.Generic;

namespace Ring.Soak;

/// <summary><see cref="ManyToManyRing"/>: writer processes and competing reader processes, each message to exactly one reader.</summary>
internal sealed class ManyToManyTopology : IRingTopology
{
    public string Name => "many-to-many";

    public string Description => "ManyToManyRing: several writer processes, several competing reader processes, each message to one reader";

    public Delivery Delivery => Delivery.ExactlyOneReader;

    public (int Writers, int Readers) DefaultParties => (2, 2);

    // Each message goes to one reader: the fault harness's ledger follows every reader in order, which this is not.
    public bool SupportsFaults => false;

    public string? CheckParties(int writers, int readers) =>
        writers is >= 1 and <= ControlSlot.MaxWriters && readers >= 1 ? null : $"a many-to-many ring takes 1 to {ControlSlot.MaxWriters} writers and at least 1 reader here, not {writers} and {readers}";

    public ITopologyInstance Create(string name, TopologySettings settings) => new Instance(ManyToManyRing.Create(name, settings.Options()));

    public ITopologyWriter OpenWriter(string name, int index, TopologySettings settings)
    {
        ManyToManyRing ring = ManyToManyRing.Open(name, settings.Options());
        return new FrameRingWriter(ring, ring.WaitToWriteAsync);
    }

    public ITopologyReader OpenReader(string name, int index, TopologySettings settings) => new FrameRingReader(ManyToManyRing.Open(name, settings.Options()));

    public FuzzTarget? FuzzLayout(TopologySettings settings) => null;

    private sealed class Instance(ManyToManyRing ring) : ITopologyInstance
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
