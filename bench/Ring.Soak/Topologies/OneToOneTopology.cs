using System;
using System.Collections.Generic;
using System.Linq;
using Ring.Layout;

namespace Ring.Soak;

/// <summary><see cref="OneToOneRing"/>: one writer process, one reader process.</summary>
internal sealed class OneToOneTopology : IRingTopology
{
    public string Name => "one-to-one";

    public string Description => "OneToOneRing: one writer process, one reader process, variable-length frames";

    public Delivery Delivery => Delivery.EveryReaderGetsAll;

    public (int Writers, int Readers) DefaultParties => (1, 1);

    public bool SupportsFaults => true;

    public string? CheckParties(int writers, int readers) =>
        writers == 1 && readers == 1 ? null : $"a one-to-one ring has exactly 1 writer and 1 reader, not {writers} and {readers}";

    public ITopologyInstance Create(string name, TopologySettings settings) => new Instance(OneToOneRing.Create(name, settings.Options()));

    public ITopologyWriter OpenWriter(string name, int index, TopologySettings settings)
    {
        OneToOneRing ring = OneToOneRing.Open(name, settings.Options());
        return new FrameRingWriter(ring, ring.WaitToWriteAsync);
    }

    public ITopologyReader OpenReader(string name, int index, TopologySettings settings) => new FrameRingReader(OneToOneRing.Open(name, settings.Options()));

    public FuzzTarget FuzzLayout(TopologySettings settings)
    {
        const int W = OneToOneRingDescriptor.WriterPidOffset;
        const int R = OneToOneRingDescriptor.ReaderPidOffset;
        var fields = new List<FuzzField>
        {
            new("magic", SegmentHeaderDescriptor.MagicOffset, 8),
            new("layout-version", SegmentHeaderDescriptor.LayoutVersionOffset, 4),
            new("kind", SegmentHeaderDescriptor.KindOffset, 4),
            new("header-length", SegmentHeaderDescriptor.HeaderLengthOffset, 4),
            new("max-message-length", SegmentHeaderDescriptor.MaxMessageLengthOffset, 4),
            new("capacity", SegmentHeaderDescriptor.CapacityOffset, 8),
            new("total-length", SegmentHeaderDescriptor.TotalLengthOffset, 8),
            new("creator-pid", SegmentHeaderDescriptor.CreatorPidOffset, 4),
            new("flags", SegmentHeaderDescriptor.FlagsOffset, 4),
            new("creator-start-time", SegmentHeaderDescriptor.CreatorStartTimeOffset, 8),
            new("header-checksum", SegmentHeaderDescriptor.ChecksumOffset, 4),
            new("tail", OneToOneRingDescriptor.TailOffset, 8),
            new("messages-written", OneToOneRingDescriptor.MessagesWrittenOffset, 8),
            new("head", OneToOneRingDescriptor.HeadOffset, 8),
            new("messages-read", OneToOneRingDescriptor.MessagesReadOffset, 8),
            new("data-signal", OneToOneRingDescriptor.DataSignalOffset, 4),
            new("reader-sleepers", OneToOneRingDescriptor.ReaderSleepersOffset, 4),
            new("space-signal", OneToOneRingDescriptor.SpaceSignalOffset, 4),
            new("writer-sleepers", OneToOneRingDescriptor.WriterSleepersOffset, 4),
            new("writer-pid", W, 4),
            new("completed", OneToOneRingDescriptor.CompletedOffset, 4),
            new("writer-start-time", OneToOneRingDescriptor.WriterStartTimeOffset, 8),
            new("full-stalls", OneToOneRingDescriptor.FullStallsOffset, 8),
            new("writer-torn-claims", OneToOneRingDescriptor.WriterTornClaimsOffset, 8),
            new("reader-pid", R, 4),
            new("reader-start-time", OneToOneRingDescriptor.ReaderStartTimeOffset, 8),
            new("reader-torn-claims", OneToOneRingDescriptor.ReaderTornClaimsOffset, 8),
        };
        return new FuzzTarget(fields, OneToOneRingDescriptor.DataOffset, settings.Capacity);
    }

    private sealed class Instance(OneToOneRing ring) : ITopologyInstance
    {
        public IReadOnlyDictionary<string, long> ReadCounters()
        {
            OneToOneRingStatistics s = ring.GetStatistics();
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
            };
        }

        public string Describe()
        {
            byte[] file = System.IO.File.ReadAllBytes(ring.Path);
            long head = System.BitConverter.ToInt64(file, OneToOneRingDescriptor.HeadOffset);
            long tail = System.BitConverter.ToInt64(file, OneToOneRingDescriptor.TailOffset);
            var frames = new List<string>();
            long mask = ring.Capacity - 1;
            for (long p = head; p < tail && frames.Count < 24;)
            {
                int length = System.BitConverter.ToInt32(file, OneToOneRingDescriptor.DataOffset + (int)(p & mask));
                int type = System.BitConverter.ToInt32(file, OneToOneRingDescriptor.DataOffset + (int)(p & mask) + 4);
                frames.Add($"{p}:[{length},{type}]");
                int size = length == 0 ? 8 : FrameDescriptor.Align(System.Math.Abs(length));
                p += size;
            }

            return $"head {head} tail {tail} frames {string.Join(" ", frames)}; {string.Join(", ", ReadCounters().Select(kv => $"{kv.Key} {kv.Value}"))}";
        }

        public void Dispose()
        {
            string path = ring.Path;
            ring.Dispose();
            RingSegment.Remove(path);
        }
    }
}
