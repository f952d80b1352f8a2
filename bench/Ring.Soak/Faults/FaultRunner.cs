using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace Ring.Soak;

/// <summary>The fault harness's parent: runs the kills of one scenario, prints progress, reports.</summary>
internal static class FaultRunner
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    internal static int Run(ReadOnlySpan<string> args)
    {
        Args a = Args.ParseOptions(args, new HashSet<string>(StringComparer.Ordinal));
        var options = new FaultOptions(
            a.String("topology", "one-to-one"),
            a.Int("kills", 100, 1, 1_000_000),
            a.Int("seed", Environment.TickCount & 0x7FFFFFFF, 0, int.MaxValue),
            a.Duration("timeout", TimeSpan.FromSeconds(10)),
            a.Size("capacity", 64 * 1024, 64, 1L << 30),
            (int)a.Size("max-size", 256, SoakMessage.MinLength, 1 << 20),
            a.Has("report") ? a.String("report", string.Empty) : null,
            Environment.CommandLine);
        a.ThrowOnUnknown();
        Layout.SegmentHeaderDescriptor.CheckCapacity(options.Capacity);
        IFaultScenario scenario = options.Topology == "mutex"
            ? new MutexFaultScenario(options)
            : Topologies.Find(options.Topology) is { SupportsFaults: true } topology
                ? new RingFaultScenario(topology, options)
                : throw new ArgumentException($"--topology {options.Topology}: this topology's parties cannot be killed and replaced (it does not support fault injection)");

        MachineInfo machine = MachineInfo.Collect();
        Console.Out.WriteLine($"ring soak faults: {scenario.Name}, {options.Kills} kills, seed {options.Seed}, timeout {options.Timeout.TotalSeconds} s");
        Console.Out.WriteLine($"machine: {machine}");
        bool interrupted = false;
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; interrupted = true; });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; interrupted = true; });
        var random = new Random(options.Seed);
        var records = new List<KillRecord>();
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        IReadOnlyDictionary<string, long> totals;
        using (scenario)
        {
            try
            {
                scenario.Start();
                for (int k = 1; k <= options.Kills; k++)
                {
                    if (interrupted)
                    {
                        failures.Add($"interrupted after {k - 1} kills");
                        break;
                    }

                    KillRecord record = scenario.KillOne(k, random);
                    records.Add(record);
                    if (record.Failure is not null)
                    {
                        failures.Add($"kill {k} ({record.Victim}, pid {record.Pid}, {record.Phase}): {record.Failure}");
                        break;
                    }

                    if (k % 10 == 0 || k == options.Kills)
                    {
                        Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0} s] {k}/{options.Kills} kills, no failure");
                    }
                }
            }
            catch (FaultRunFailedException e)
            {
                failures.Add($"after {records.Count} kills: {e.Message}");
            }

            failures.AddRange(scenario.Finish());
            totals = scenario.Totals();
        }

        double seconds = clock.Elapsed.TotalSeconds;
        var report = new FaultReport(
            "ring soak faults", DateTimeOffset.UtcNow.ToString("u", System.Globalization.CultureInfo.InvariantCulture), machine.ToString(), options.CommandLine,
            scenario.Name, options.Seed, options.Kills, records.Count, Math.Round(seconds, 1), failures.Count == 0 ? "pass" : "fail", failures,
            Summarize(records), totals, records);
        Console.Out.WriteLine(Summary(report));
        if (options.ReportPath is string path)
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            File.WriteAllText(path + ".json", JsonSerializer.Serialize(report, Json));
            File.WriteAllText(path + ".md", Markdown(report));
            Console.Out.WriteLine($"report: {path}.md, {path}.json");
        }

        return failures.Count == 0 ? SoakProgram.Passed : SoakProgram.Failed;
    }

    private static Dictionary<string, long> Summarize(List<KillRecord> records) =>
        records.GroupBy(r => $"{r.Victim.Split(' ')[0]} {r.Phase}").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count());

    private static string Summary(FaultReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Units.F($"{r.KillsDone} of {r.KillsAsked} kills in {r.Seconds} s ({r.Scenario}, seed {r.Seed})"));
        sb.AppendLine("  kills by victim and phase: " + string.Join(", ", r.ByPhase.Select(kv => $"{kv.Key} {kv.Value}")));
        sb.AppendLine("  totals: " + string.Join(", ", r.Totals.Select(kv => $"{kv.Key} {kv.Value}")));
        var noticed = r.Kills.Where(k => k.NoticedMs > 0).Select(k => k.NoticedMs).ToList();
        var recovered = r.Kills.Where(k => k.RecoveredMs > 0).Select(k => k.RecoveredMs).OrderBy(x => x).ToList();
        if (recovered.Count > 0)
        {
            sb.AppendLine(Units.F($"  recovery after restart: median {recovered[recovered.Count / 2]:0.0} ms, max {recovered[^1]:0.0} ms"));
        }

        if (noticed.Count > 0)
        {
            sb.AppendLine(Units.F($"  survivors noticed a death by themselves ({noticed.Count} kills): max {noticed.Max():0.0} ms"));
        }

        sb.Append(r.Verdict == "pass" ? "PASS" : "FAIL: " + string.Join(Environment.NewLine + "  ", r.Failures));
        return sb.ToString();
    }

    private static string Markdown(FaultReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Ring fault-injection report").AppendLine();
        sb.AppendLine($"- verdict: **{r.Verdict.ToUpperInvariant()}**; {r.KillsDone} of {r.KillsAsked} kills in {r.Seconds} s; scenario {r.Scenario}; seed {r.Seed}");
        sb.AppendLine($"- machine: {r.Machine}");
        sb.AppendLine($"- command: `{r.Command}`");
        foreach (string f in r.Failures)
        {
            sb.AppendLine($"- failure: {f}");
        }

        sb.AppendLine().AppendLine("| victim and phase at the kill | kills |").AppendLine("| --- | --: |");
        foreach ((string key, long value) in r.ByPhase)
        {
            sb.AppendLine($"| {key} | {value} |");
        }

        sb.AppendLine().AppendLine("| total | value |").AppendLine("| --- | --: |");
        foreach ((string key, long value) in r.Totals)
        {
            sb.AppendLine($"| {key} | {value} |");
        }

        sb.AppendLine().AppendLine("First kills (all are in the JSON):").AppendLine();
        sb.AppendLine("| # | victim | pid | phase | expected | observed | delayed restart | noticed ms | recovered ms |");
        sb.AppendLine("| --: | --- | --: | --- | --- | --- | --- | --: | --: |");
        foreach (KillRecord k in r.Kills.Take(20))
        {
            sb.AppendLine(Units.F($"| {k.Number} | {k.Victim} | {k.Pid} | {k.Phase} | {k.Expected} | {k.Observed} | {k.DelayedRestart} | {k.NoticedMs} | {k.RecoveredMs} |"));
        }

        return sb.ToString();
    }

    private sealed record FaultReport(
        string Harness,
        string Finished,
        string Machine,
        string Command,
        string Scenario,
        int Seed,
        int KillsAsked,
        int KillsDone,
        double Seconds,
        string Verdict,
        IReadOnlyList<string> Failures,
        IReadOnlyDictionary<string, long> ByPhase,
        IReadOnlyDictionary<string, long> Totals,
        IReadOnlyList<KillRecord> Kills);
}
