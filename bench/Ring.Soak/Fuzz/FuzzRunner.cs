using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;

namespace Ring.Soak;

/// <summary>
/// The fuzzer's parent: starts the victim (which makes the rings) and the hostile process, waits until the hostile has
/// made its mutations, watching the victim for a crash (a read outside the mapping is SIGSEGV or SIGBUS), a hang (no
/// round finished within the timeout) or a bug it reports, then counts the outcomes.
/// </summary>
internal static class FuzzRunner
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    internal static int Run(ReadOnlySpan<string> args)
    {
        Args a = Args.ParseOptions(args, new HashSet<string>(StringComparer.Ordinal) { "both" });
        IRingTopology topology = Topologies.Find(a.String("topology", "one-to-one"));
        long mutations = a.Long("mutations", 100_000, 1, long.MaxValue);
        int seed = a.Int("seed", Environment.TickCount & 0x7FFFFFFF, 0, int.MaxValue);
        string mode = a.Flag("both") ? "both" : bool.Parse(a.String("checksums", "true")) ? "on" : "off";
        TimeSpan timeout = a.Duration("timeout", TimeSpan.FromSeconds(10));
        long capacity = a.Size("capacity", 4096, 64, 1L << 30);
        int maxSize = (int)a.Size("max-size", 200, SoakMessage.MinLength, 1 << 20);
        string? reportPath = a.Has("report") ? a.String("report", string.Empty) : null;
        a.ThrowOnUnknown();
        Layout.SegmentHeaderDescriptor.CheckCapacity(capacity);
        if (maxSize > Layout.FrameDescriptor.MaxMessageLengthFor(capacity, frameChecksums: true))
        {
            throw new ArgumentException($"--max-size {maxSize} is too large for --capacity {capacity}");
        }

        var settings = new TopologySettings(capacity, maxSize, WaitStrategy.Hybrid, mode != "off", TimeSpan.FromMilliseconds(100), 1, 1);
        if (topology.FuzzLayout(settings) is null)
        {
            throw new ArgumentException($"--topology {topology.Name} cannot be fuzzed (it has no single segment to scribble on)");
        }

        MachineInfo machine = MachineInfo.Collect();
        Console.Out.WriteLine($"ring soak fuzz: {topology.Name}, {mutations} mutations, frame checksums {mode}, capacity {capacity} B, seed {seed}");
        Console.Out.WriteLine($"machine: {machine}");
        var failures = new List<string>();
        bool interrupted = false;
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; interrupted = true; });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; interrupted = true; });
        var clock = Stopwatch.StartNew();
        long done;
        long rounds;
        long[] withChecksums;
        long[] withoutChecksums;
        using (ControlBlock control = ControlBlock.Create(2))
        {
            var common = new List<string> { "ctl=" + control.Path, "topology=" + topology.Name, ChildMain.Invariant($"seed={seed}"), ChildMain.Invariant($"max-size={maxSize}") };
            common.AddRange(ChildMain.ToArgs(settings));
            using Child victim = Child.Start("fuzz-victim", [.. common, "slot=0", "checksums-mode=" + mode]);
            using Child hostile = Child.Start("fuzz-hostile", [.. common, "slot=1", ChildMain.Invariant($"mutations={mutations}"), ChildMain.Invariant($"victim-pid={victim.ProcessId}")]);
            ControlSlot v = control.Slot(0);
            ControlSlot h = control.Slot(1);
            long lastPrint = 0;
            while (true)
            {
                Thread.Sleep(100);
                if (interrupted)
                {
                    failures.Add($"interrupted after {Volatile.Read(ref h.Messages)} mutations");
                    break;
                }

                long age = Stopwatch.GetTimestamp() - Volatile.Read(ref v.Heartbeat);
                if (v.State == SlotState.Failed || v.Error.Length > 0)
                {
                    failures.Add($"bug: {v.Error}");
                    break;
                }

                if (victim.HasExited)
                {
                    failures.Add($"the victim died: {victim.ExitDescription()} (a read outside the mapping is SIGSEGV or SIGBUS) {victim.StandardError}; the last mutation was: {LastMutation(control, topology, settings)}".Trim());
                    break;
                }

                if (v.State == SlotState.Running && age > timeout.TotalSeconds * Stopwatch.Frequency)
                {
                    failures.Add($"hang: the victim finished no round for {age / (double)Stopwatch.Frequency:0.0} s; the last mutation was: {LastMutation(control, topology, settings)}");
                    break;
                }

                if (hostile.HasExited)
                {
                    if (hostile.ExitCode != 0 || h.State != SlotState.Done)
                    {
                        failures.Add($"the hostile process failed: {hostile.ExitDescription()} {h.Error} {hostile.StandardError}".Trim());
                    }

                    break;
                }

                if (clock.Elapsed.TotalSeconds - lastPrint >= 10)
                {
                    lastPrint = (long)clock.Elapsed.TotalSeconds;
                    Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0} s] {Volatile.Read(ref h.Messages)}/{mutations} mutations, {Volatile.Read(ref v.Messages)} rounds");
                }
            }

            control.Stop = true;
            if (!victim.WaitForExit(timeout))
            {
                failures.Add($"hang: the victim did not exit within {timeout.TotalSeconds} s of being told to stop; the last mutation was: {LastMutation(control, topology, settings)}");
            }
            else if (victim.ExitCode != 0 && failures.Count == 0)
            {
                failures.Add($"the victim ended with {victim.ExitDescription()}: {v.Error} {victim.StandardError}".Trim());
            }

            hostile.WaitForExit(timeout);
            victim.Kill();

            // A victim that failed or was killed leaves its last ring behind: remove it.
            foreach (string file in System.IO.Directory.GetFiles(RingOptions.DefaultDirectory, FuzzVictim.SegmentName(victim.ProcessId, 0)[..^1] + "*"))
            {
                File.Delete(file);
            }

            done = Volatile.Read(ref h.Messages);
            rounds = Volatile.Read(ref v.Messages);
            withChecksums = v.Received.Slice(FuzzVictim.OutcomesWithChecksums, 9).ToArray();
            withoutChecksums = v.Received.Slice(FuzzVictim.OutcomesWithoutChecksums, 9).ToArray();
        }

        if (failures.Count == 0 && done < mutations)
        {
            failures.Add($"only {done} of {mutations} mutations were made");
        }

        double seconds = Math.Round(clock.Elapsed.TotalSeconds, 1);
        var report = new FuzzReport(
            "ring soak fuzz", DateTimeOffset.UtcNow.ToString("u", System.Globalization.CultureInfo.InvariantCulture), machine.ToString(), Environment.CommandLine,
            topology.Name, seed, mode, capacity, mutations, done, rounds, seconds, failures.Count == 0 ? "pass" : "fail", failures,
            Outcomes(withChecksums), Outcomes(withoutChecksums));
        Console.Out.WriteLine(Summary(report));
        if (reportPath is not null)
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(reportPath));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            File.WriteAllText(reportPath + ".json", JsonSerializer.Serialize(report, Json));
            File.WriteAllText(reportPath + ".md", Markdown(report));
            Console.Out.WriteLine($"report: {reportPath}.md, {reportPath}.json");
        }

        return failures.Count == 0 ? SoakProgram.Passed : SoakProgram.Failed;
    }

    private static string LastMutation(ControlBlock control, IRingTopology topology, TopologySettings settings) =>
        FuzzHostile.Describe(control, topology.FuzzLayout(settings)!);

    private static Dictionary<string, long> Outcomes(long[] counts) =>
        Enum.GetValues<FuzzOutcome>().ToDictionary(o => o.ToString(), o => counts[(int)o]);

    private static string Summary(FuzzReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Units.F($"{r.MutationsDone} mutations in {r.Seconds} s, {r.Rounds} victim rounds ({r.Topology}, frame checksums {r.Checksums}, seed {r.Seed})"));
        if (r.Checksums != "off")
        {
            sb.AppendLine("  rounds with frame checksums: " + string.Join(", ", r.OutcomesWithChecksums.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}")));
        }

        if (r.Checksums != "on")
        {
            sb.AppendLine("  rounds without frame checksums: " + string.Join(", ", r.OutcomesWithoutChecksums.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}")));
        }

        sb.Append(r.Verdict == "pass" ? "PASS: no crash, no hang, no unexpected exception, no damage on a protected path" : "FAIL: " + string.Join(Environment.NewLine + "  ", r.Failures));
        return sb.ToString();
    }

    private static string Markdown(FuzzReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Ring corruption-fuzzing report").AppendLine();
        sb.AppendLine($"- verdict: **{r.Verdict.ToUpperInvariant()}**; {r.MutationsDone} mutations in {r.Seconds} s, {r.Rounds} victim rounds; {r.Topology}, capacity {r.Capacity} B, frame checksums {r.Checksums}, seed {r.Seed}");
        sb.AppendLine($"- machine: {r.Machine}");
        sb.AppendLine($"- command: `{r.Command}`");
        foreach (string f in r.Failures)
        {
            sb.AppendLine($"- failure: {f}");
        }

        sb.AppendLine().AppendLine("| outcome of a round | with frame checksums | without |").AppendLine("| --- | --: | --: |");
        foreach (FuzzOutcome o in Enum.GetValues<FuzzOutcome>())
        {
            sb.AppendLine($"| {o} | {r.OutcomesWithChecksums[o.ToString()]} | {r.OutcomesWithoutChecksums[o.ToString()]} |");
        }

        return sb.ToString();
    }

    private sealed record FuzzReport(
        string Harness,
        string Finished,
        string Machine,
        string Command,
        string Topology,
        int Seed,
        string Checksums,
        long Capacity,
        long MutationsAsked,
        long MutationsDone,
        long Rounds,
        double Seconds,
        string Verdict,
        IReadOnlyList<string> Failures,
        IReadOnlyDictionary<string, long> OutcomesWithChecksums,
        IReadOnlyDictionary<string, long> OutcomesWithoutChecksums);
}
