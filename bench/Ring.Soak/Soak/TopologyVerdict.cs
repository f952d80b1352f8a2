using System;
using System.Collections.Generic;
using System.Linq;

namespace Ring.Soak;

/// <summary>
/// What a topology's soak proved: per writer, what was sent against what the readers received (counts and hash sums of
/// sequence numbers, so that a loss and a repeat cannot cancel out), the readers' own findings (gaps, repeats, corrupt
/// messages), latency percentiles over all readers.
/// </summary>
internal sealed class TopologyVerdict
{
    internal string Topology { get; private init; } = string.Empty;

    internal long Sent { get; private init; }

    internal long Received { get; private init; }

    internal long Bytes { get; private init; }

    internal long Lost { get; private init; }

    internal long Duplicated { get; private init; }

    internal long Corrupt { get; private init; }

    internal long WriterWaitTimeouts { get; private init; }

    internal long[] LatencyHistogram { get; private init; } = [];

    internal List<string> Failures { get; } = [];

    internal static TopologyVerdict Compute(SoakRunner.TopologyRun run, ControlBlock control)
    {
        var readers = run.Readers.Select(r => control.Slot(r.Slot)).ToList();
        long sentTotal = 0;
        long lost = readers.Sum(r => r.Lost);
        long duplicated = readers.Sum(r => r.Duplicated);
        var failures = new List<string>();
        for (int w = 0; w < run.Writers.Count; w++)
        {
            ControlSlot writer = control.Slot(run.Writers[w].Slot);
            long sent = writer.Messages;
            sentTotal += sent;
            long expectedHash = SoakMessage.ExpectedHashSum(sent);
            if (run.Topology.Delivery == Delivery.EveryReaderGetsAll)
            {
                for (int r = 0; r < readers.Count; r++)
                {
                    Compare(failures, $"reader {r}", w, sent, expectedHash, readers[r].Received[w], readers[r].HashSums[w], ref lost, ref duplicated);
                }
            }
            else
            {
                Compare(failures, "the readers together", w, sent, expectedHash, readers.Sum(r => r.Received[w]), readers.Aggregate(0L, (s, r) => s + r.HashSums[w]), ref lost, ref duplicated);
            }
        }

        long corrupt = readers.Sum(r => r.Corrupt);
        if (corrupt > 0)
        {
            failures.Add($"{corrupt} corrupt messages arrived");
        }

        foreach (ControlSlot r in readers.Where(r => r.Error.Length > 0))
        {
            failures.Add(r.Error);
        }

        var histogram = new long[Soak.LatencyHistogram.Buckets];
        foreach (ControlSlot r in readers)
        {
            Span<long> h = r.Histogram;
            for (int i = 0; i < histogram.Length; i++)
            {
                histogram[i] += h[i];
            }
        }

        var verdict = new TopologyVerdict
        {
            Topology = run.Topology.Name,
            Sent = sentTotal,
            Received = readers.Sum(r => r.Messages),
            Bytes = readers.Sum(r => r.Bytes),
            Lost = lost,
            Duplicated = duplicated,
            Corrupt = corrupt,
            WriterWaitTimeouts = run.Writers.Sum(w => control.Slot(w.Slot).WaitTimeouts),
            LatencyHistogram = histogram,
        };
        verdict.Failures.AddRange(failures.Distinct());
        return verdict;
    }

    internal long Percentile(double q) => Soak.LatencyHistogram.Percentile(LatencyHistogram, q);

    private static void Compare(List<string> failures, string who, int writer, long sent, long expectedHash, long received, long hash, ref long lost, ref long duplicated)
    {
        if (received < sent)
        {
            lost = Math.Max(lost, sent - received);
            failures.Add($"{who} received {received} of writer {writer}'s {sent} messages: {sent - received} lost");
        }
        else if (received > sent)
        {
            duplicated = Math.Max(duplicated, received - sent);
            failures.Add($"{who} received {received} messages of writer {writer}, which sent {sent}: {received - sent} repeated");
        }
        else if (hash != expectedHash)
        {
            failures.Add($"{who} received {received} messages of writer {writer}, as many as it sent, but not the same ones (the sums of their hashed sequence numbers differ)");
        }
    }
}
