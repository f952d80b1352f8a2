using System.Collections.Generic;
using System.Linq;
using Ring.Layout;

namespace Ring.Soak;

/// <summary><see cref="ManyToOneRing"/>: any number of writer processes, one reader process. The whole plug-in is this class.</summary>
internal sealed class ManyToOneTopology : IRingTopology
{
    public string Name => "many-to-one";

    public string Description => "ManyToOneRing: several writer processes, one reader process, variable-length frames";

    public Delivery Delivery => Delivery.EveryReaderGetsAll;

    public (int Writers, int Readers) DefaultParties => (2, 1);

    public bool SupportsFaults => true;

    public string? CheckParties(int writers, int readers) =>
        writers is >= 1 and <= ManyToOneRingDescriptor.MaxWriters && writers <= ControlSlot.MaxWriters && readers == 1
            ? null
            : $"a many-to-one ring has 1 to {ManyToOneRingDescriptor.MaxWriters} writers and exactly 1 reader, not {writers} and {readers}";

    public ITopologyInstance Create(string name, TopologySettings settings) => new Instance(ManyToOneRing.Create(name, settings.Options()));

    public ITopologyWriter OpenWriter(string name, int index, TopologySettings settings)
    {
        ManyToOneRing ring = ManyToOneRing.Open(name, settings.Options());
        return new FrameRingWriter(ring, ring.WaitToWriteAsync);
    }

    public ITopologyReader OpenReader(string name, int index, TopologySettings settings) => new FrameRingReader(ManyToOneRing.Open(name, settings.Options()));

    public FuzzTarget FuzzLayout(TopologySettings settings)
    {
        const int Writer0 = ManyToOneRingDescriptor.WriterTableOffset;
        var fields = new OneToOneTopology().FuzzLayout(settings).Fields.Where(f => f.Offset < SegmentHeaderDescriptor.Length).ToList();
        fields.AddRange(
        [
            new("tail", ManyToOneRingDescriptor.TailOffset, 8),
            new("completed-by", ManyToOneRingDescriptor.CompletedByOffset, 4),
            new("head", ManyToOneRingDescriptor.HeadOffset, 8),
            new("free", ManyToOneRingDescriptor.FreeOffset, 8),
            new("free-target", ManyToOneRingDescriptor.FreeTargetOffset, 8),
            new("messages-read", ManyToOneRingDescriptor.MessagesReadOffset, 8),
            new("torn-claims", ManyToOneRingDescriptor.TornClaimsOffset, 8),
            new("revoked-claims", ManyToOneRingDescriptor.RevokedClaimsOffset, 8),
            new("data-signal", ManyToOneRingDescriptor.DataSignalOffset, 4),
            new("reader-sleepers", ManyToOneRingDescriptor.ReaderSleepersOffset, 4),
            new("space-signal", ManyToOneRingDescriptor.SpaceSignalOffset, 4),
            new("writer-sleepers", ManyToOneRingDescriptor.WriterSleepersOffset, 4),
            new("reader-entry", ManyToOneRingDescriptor.ReaderEntryOffset, 8),
            new("writer-0-identity", Writer0, 8),
            new("writer-0-intent-position", Writer0 + ManyToOneRingDescriptor.IntentPositionField, 8),
            new("writer-0-intent-length", Writer0 + ManyToOneRingDescriptor.IntentLengthField, 8),
        ]);
        return new FuzzTarget(fields, ManyToOneRingDescriptor.DataOffset, settings.Capacity);
    }

    private sealed class Instance(ManyToOneRing ring) : ITopologyInstance
    {
        public IReadOnlyDictionary<string, long> ReadCounters()
        {
            ManyToOneRingStatistics s = ring.GetStatistics();
            return new Dictionary<string, long>
            {
                ["messages-written"] = s.MessagesWritten,
                ["messages-read"] = s.MessagesRead,
                ["bytes-pending"] = s.BytesPending,
                ["full-stalls"] = s.FullStalls,
                ["reader-sleeps"] = s.ReaderSleeps,
                ["writer-sleeps"] = s.WriterSleeps,
                ["reader-wakeups"] = s.ReaderWakeups,
                ["writer-wakeups"] = s.WriterWakeups,
                ["torn-claims"] = s.TornClaims,
                ["revoked-claims"] = s.RevokedClaims,
            };
        }

        public void Dispose()
        {
            string path = ring.Path;
            ring.Dispose();
            RingSegment.Remove(path);
        }
    }
}
