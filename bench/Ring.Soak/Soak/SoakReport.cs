using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace Ring.Soak;

/// <summary>The soak's report: built once at the end, written as JSON (everything, every sample) and Markdown (for people).</summary>
internal static class SoakReport
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    internal static Report Build(
        SoakOptions options,
        MachineInfo machine,
        DateTimeOffset started,
        double seconds,
        IReadOnlyList<SoakRunner.TopologyRun> runs,
        IReadOnlyList<TopologyVerdict> verdicts,
        IReadOnlyList<string> failures)
    {
        var topologies = new List<TopologyReport>();
        foreach (SoakRunner.TopologyRun run in runs)
        {
            TopologyVerdict? v = verdicts.FirstOrDefault(x => x.Topology == run.Topology.Name);
            topologies.Add(new TopologyReport(
                run.Topology.Name,
                run.Topology.Description,
                run.Writers.Count,
                run.Readers.Count,
                v?.Sent ?? 0,
                v?.Received ?? 0,
                v?.Lost ?? 0,
                v?.Duplicated ?? 0,
                v?.Corrupt ?? 0,
                seconds > 0 ? Math.Round((v?.Received ?? 0) / seconds) : 0,
                seconds > 0 ? Math.Round((v?.Bytes ?? 0) / seconds) : 0,
                v?.WriterWaitTimeouts ?? 0,
                v is null ? new Dictionary<string, long>() : new Dictionary<string, long>
                {
                    ["p50"] = v.Percentile(0.50),
                    ["p90"] = v.Percentile(0.90),
                    ["p99"] = v.Percentile(0.99),
                    ["p99_9"] = v.Percentile(0.999),
                    ["max"] = v.Percentile(1.0),
                },
                run.Counters,
                run.Throughput));
        }

        var processes = runs.SelectMany(r => r.Writers.Concat(r.Readers)).Select(p =>
        {
            return new ProcessReport(
                p.Topology,
                p.Role,
                p.Index,
                p.Child?.ProcessId ?? 0,
                p.Child is null ? "not started" : p.Child.ExitDescription(),
                p.Monitor is null ? "not watched" : p.Monitor.Error ?? $"watched ({p.Monitor.Events} counter events)",
                p.LiveHeapAfterWarmup,
                p.LiveHeapAtEnd,
                p.HeapGrowthMB,
                p.RingMeter,
                p.Samples);
        }).ToList();

        return new Report(
            "ring soak",
            started.ToString("u", System.Globalization.CultureInfo.InvariantCulture),
            machine.ToString(),
            options.CommandLine,
            Math.Round(seconds, 1),
            options.Rate,
            options.MinSize,
            options.MaxSize,
            options.Capacity,
            options.Strategy.ToString(),
            options.FrameChecksums,
            options.Warmup.TotalSeconds,
            options.MaxHeapGrowthMB,
            failures.Count == 0 ? "pass" : "fail",
            failures,
            topologies,
            processes);
    }

    internal static void Write(Report report, string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path + ".json", JsonSerializer.Serialize(report, Json));
        File.WriteAllText(path + ".md", Markdown(report));
    }

    internal static string Summary(Report r)
    {
        var sb = new StringBuilder();
        foreach (TopologyReport t in r.Topologies)
        {
            sb.AppendLine(Units.F($"{t.Name}: sent {t.Sent}, received {t.Received}, lost {t.Lost}, duplicated {t.Duplicated}, corrupt {t.Corrupt}; {Units.Rate(t.MessagesPerSecond)} msgs/s; latency p50 {Units.Nanoseconds(t.LatencyNs.GetValueOrDefault("p50"))} p99 {Units.Nanoseconds(t.LatencyNs.GetValueOrDefault("p99"))} max {Units.Nanoseconds(t.LatencyNs.GetValueOrDefault("max"))}"));
        }

        foreach (ProcessReport p in r.Processes)
        {
            sb.AppendLine(Units.F($"  {p.Topology} {p.Role} {p.Index} (pid {p.Pid}): {p.Exit}; live heap after full GCs {p.LiveHeapAfterWarmupBytes} -> {p.LiveHeapAtEndBytes} bytes ({(p.HeapGrowthMb is double g ? Units.F($"{g:+0.000;-0.000;0} MB") : "not measured")}); {p.Monitor}"));
        }

        sb.Append(r.Verdict == "pass" ? "PASS" : "FAIL: " + string.Join(Environment.NewLine + "  ", r.Failures));
        return sb.ToString();
    }

    private static string Markdown(Report r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Ring soak report").AppendLine();
        sb.AppendLine(Units.F($"- verdict: **{r.Verdict.ToUpperInvariant()}**"));
        sb.AppendLine($"- started: {r.Started}; measured for {r.DurationS} s");
        sb.AppendLine($"- machine: {r.Machine}");
        sb.AppendLine($"- command: `{r.Command}`");
        sb.AppendLine(Units.F($"- messages {r.MinSize}-{r.MaxSize} B, capacity {r.Capacity} B, {(r.Rate > 0 ? Units.F($"{r.Rate} msgs/s per writer") : "full rate")}, wait strategy {r.WaitStrategy}, frame checksums {r.FrameChecksums}; the live heap (after a full GC each child runs on request) may grow at most {r.MaxHeapGrowthMb} MB from the end of the {r.WarmupS:0.#} s warm-up to the end"));
        foreach (string f in r.Failures)
        {
            sb.AppendLine($"- failure: {f}");
        }

        sb.AppendLine().AppendLine("## Messages").AppendLine();
        sb.AppendLine("| topology | writers | readers | sent | received | lost | duplicated | corrupt | msgs/s | bytes/s | latency p50 | p90 | p99 | p99.9 | max |");
        sb.AppendLine("| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |");
        foreach (TopologyReport t in r.Topologies)
        {
            string L(string k) => Units.Nanoseconds(t.LatencyNs.GetValueOrDefault(k));
            sb.AppendLine(Units.F($"| {t.Name} | {t.Writers} | {t.Readers} | {t.Sent} | {t.Received} | {t.Lost} | {t.Duplicated} | {t.Corrupt} | {Units.Rate(t.MessagesPerSecond)} | {Units.Count(t.BytesPerSecond)}B | {L("p50")} | {L("p90")} | {L("p99")} | {L("p99_9")} | {L("max")} |"));
        }

        sb.AppendLine().AppendLine("Latency is one way, from the writer's timestamp to the reader's check, queueing included (at full rate the ring is mostly full, so it measures the queue).");
        sb.AppendLine().AppendLine("## Ring counters at the end").AppendLine();
        foreach (TopologyReport t in r.Topologies)
        {
            sb.AppendLine($"- {t.Name}: {string.Join(", ", t.RingCounters.Select(kv => $"{kv.Key} {kv.Value}"))}");
        }

        sb.AppendLine().AppendLine("## Processes").AppendLine();
        sb.AppendLine("| process | pid | exit | GC heap first / last MB (EventPipe) | live heap after full GC: warm-up -> end | working set last MB | gen0 / gen1 / gen2 GCs | allocated | thread-pool threads | watched |");
        sb.AppendLine("| --- | --: | --- | --: | --: | --: | --: | --: | --: | --- |");
        foreach (ProcessReport p in r.Processes)
        {
            RuntimeSample? first = p.Samples.FirstOrDefault(s => s.GcHeapMB > 0);
            RuntimeSample? last = p.Samples.LastOrDefault(s => s.GcHeapMB > 0);
            sb.AppendLine(Units.F($"| {p.Topology} {p.Role} {p.Index} | {p.Pid} | {p.Exit} | {first?.GcHeapMB:0.00} / {last?.GcHeapMB:0.00} | {(p.HeapGrowthMb is double g ? Units.F($"{p.LiveHeapAfterWarmupBytes / 1048576.0:0.000} -> {p.LiveHeapAtEndBytes / 1048576.0:0.000} MB ({g:+0.000;-0.000;0})") : "not measured")} | {last?.WorkingSetMB:0.0} | {last?.Gen0Collections} / {last?.Gen1Collections} / {last?.Gen2Collections} | {Units.Count(last?.AllocatedBytes ?? 0)}B | {last?.ThreadPoolThreads} | {p.Monitor} |"));
        }

        sb.AppendLine().AppendLine("## The Ring meter, as each process last published it (EventPipe, System.Diagnostics.Metrics)").AppendLine();
        foreach (ProcessReport p in r.Processes)
        {
            sb.AppendLine($"- {p.Topology} {p.Role} {p.Index}: " + (p.RingMeter.Count == 0 ? "nothing published" : string.Join(", ", p.RingMeter.Select(kv => Units.F($"{kv.Key} = {kv.Value}")))));
        }

        sb.AppendLine().AppendLine("## Memory over time (GC heap MB, from EventPipe's System.Runtime counters)").AppendLine();
        int points = Math.Min(12, r.Processes.Select(p => p.Samples.Count).DefaultIfEmpty(0).Max());
        if (points > 0)
        {
            sb.AppendLine("| time | " + string.Join(" | ", r.Processes.Select(p => $"{p.Topology} {p.Role} {p.Index}")) + " |");
            sb.AppendLine("| --: |" + string.Concat(r.Processes.Select(_ => " --: |")));
            int longest = r.Processes.Max(p => p.Samples.Count);
            for (int i = 0; i < points; i++)
            {
                int index = points == 1 ? 0 : (int)Math.Round(i * (longest - 1) / (double)(points - 1));
                double t = r.Processes.Select(p => index < p.Samples.Count ? p.Samples[index].Seconds : 0).Max();
                sb.AppendLine(Units.F($"| {t:0} s | ") + string.Join(" | ", r.Processes.Select(p => index < p.Samples.Count ? Units.F($"{p.Samples[index].GcHeapMB:0.00}") : "-")) + " |");
            }
        }

        sb.AppendLine().AppendLine("## Throughput over time (messages received per second)").AppendLine();
        foreach (TopologyReport t in r.Topologies)
        {
            int step = Math.Max(1, t.Throughput.Count / 12);
            sb.AppendLine($"- {t.Name}: " + string.Join(", ", t.Throughput.Where((_, i) => i % step == 0).Select(x => Units.F($"{x[0]:0} s {Units.Rate(x[1])}"))));
        }

        return sb.ToString();
    }

    internal sealed record Report(
        string Harness,
        string Started,
        string Machine,
        string Command,
        double DurationS,
        double Rate,
        int MinSize,
        int MaxSize,
        long Capacity,
        string WaitStrategy,
        bool FrameChecksums,
        double WarmupS,
        double MaxHeapGrowthMb,
        string Verdict,
        IReadOnlyList<string> Failures,
        IReadOnlyList<TopologyReport> Topologies,
        IReadOnlyList<ProcessReport> Processes);

    internal sealed record TopologyReport(
        string Name,
        string Description,
        int Writers,
        int Readers,
        long Sent,
        long Received,
        long Lost,
        long Duplicated,
        long Corrupt,
        double MessagesPerSecond,
        double BytesPerSecond,
        long WriterWaitTimeouts,
        IReadOnlyDictionary<string, long> LatencyNs,
        IReadOnlyDictionary<string, long> RingCounters,
        IReadOnlyList<double[]> Throughput);

    internal sealed record ProcessReport(
        string Topology,
        string Role,
        int Index,
        int Pid,
        string Exit,
        string Monitor,
        long LiveHeapAfterWarmupBytes,
        long LiveHeapAtEndBytes,
        double? HeapGrowthMb,
        IReadOnlyDictionary<string, double> RingMeter,
        IReadOnlyList<RuntimeSample> Samples);
}
