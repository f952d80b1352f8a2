using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Ring.Soak;

/// <summary>The soak's command line, checked.</summary>
internal sealed record SoakOptions(
    IReadOnlyList<IRingTopology> Topologies,
    TimeSpan Duration,
    double Rate,
    int? Writers,
    int? Readers,
    int MinSize,
    int MaxSize,
    long Capacity,
    WaitStrategy Strategy,
    bool FrameChecksums,
    TimeSpan Warmup,
    double MaxHeapGrowthMB,
    TimeSpan StallTimeout,
    string ReportPath,
    bool Monitor,
    string CommandLine)
{
    internal static SoakOptions From(Args a)
    {
        var topologies = a.String("topology", "one-to-one").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Soak.Topologies.Find).Distinct().ToList();
        TimeSpan duration = a.Duration("duration", TimeSpan.FromSeconds(60));
        if (duration < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"--duration {duration.TotalSeconds} s is invalid: at least 1 s");
        }

        int? writers = a.Has("writers") ? a.Int("writers", 1, 1, ControlSlot.MaxWriters) : null;
        int? readers = a.Has("readers") ? a.Int("readers", 1, 1, 64) : null;
        int min = (int)a.Size("min-size", SoakMessage.MinLength, SoakMessage.MinLength, 1 << 24);
        int max = (int)a.Size("max-size", 256, min, 1 << 24);
        long capacity = a.Size("capacity", 64 * 1024, 64, 1L << 30);
        Layout.SegmentHeaderDescriptor.CheckCapacity(capacity);
        bool checksums = a.Flag("checksums");
        if (max > Layout.FrameDescriptor.MaxMessageLengthFor(capacity, checksums))
        {
            throw new ArgumentException($"--max-size {max} is invalid for --capacity {capacity}: at most {Layout.FrameDescriptor.MaxMessageLengthFor(capacity, checksums)} bytes");
        }

        var options = new SoakOptions(
            topologies,
            duration,
            a.Double("rate", 0, 0, 1e9),
            writers,
            readers,
            min,
            max,
            capacity,
            Enum.TryParse(a.String("strategy", "hybrid"), ignoreCase: true, out WaitStrategy s) && Enum.IsDefined(s)
                ? s : throw new ArgumentException($"--strategy {a.String("strategy", string.Empty)} is invalid: hybrid, busyspin, blocking or polling"),
            checksums,
            a.Duration("warmup", TimeSpan.FromSeconds(Math.Min(10, duration.TotalSeconds / 6))),
            a.Double("max-heap-growth", 32, 0, 1e6),
            a.Duration("stall-timeout", TimeSpan.FromSeconds(10)),
            a.String("report", Path.Join(Environment.CurrentDirectory, $"ring-soak-{DateTime.UtcNow:yyyyMMdd-HHmmss}")),
            !a.Flag("no-monitor"),
            Environment.CommandLine);
        foreach (IRingTopology t in topologies)
        {
            (int w, int r) = options.PartiesOf(t);
            if (t.CheckParties(w, r) is string why)
            {
                throw new ArgumentException($"--topology {t.Name}: {why}");
            }
        }

        return options;
    }

    /// <summary>Writers and readers of a topology: the options' if given, else the topology's own.</summary>
    internal (int Writers, int Readers) PartiesOf(IRingTopology topology) =>
        (Writers ?? topology.DefaultParties.Writers, Readers ?? topology.DefaultParties.Readers);
}
