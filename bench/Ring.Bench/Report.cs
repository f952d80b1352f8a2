using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ring.Bench;

/// <summary>The Markdown table and the JSON array.</summary>
internal static class Report
{
    private const string NotApplicable = "—";

    internal static string Markdown(IReadOnlyList<CellResult> results, MachineInfo machine, BenchSettings settings)
    {
        var sb = new StringBuilder();
        sb.AppendLine("## Ring.Bench");
        sb.AppendLine();
        sb.AppendLine(Invariant($"- Machine: {machine.Cpu}, {machine.Cores} cores, Linux {machine.Kernel}"));
        sb.AppendLine(Invariant($"- Runtime: {machine.Runtime}"));
        sb.AppendLine(Invariant($"- Commit: {machine.Commit}"));
        sb.AppendLine(Invariant($"- Run: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {settings.Describe()}"));
        sb.AppendLine();
        sb.AppendLine("| transport | scenario | size | p50 (ns) | p90 (ns) | p99 (ns) | p99.9 (ns) | max (ns) | msgs/s | MB/s | cpu% |");
        sb.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (CellResult r in results)
        {
            CellSpec s = r.Spec;
            string size = Names.IsLock(s.Scenario) ? NotApplicable : Units.FormatSize(s.MessageSize);
            string head = $"| {Names.Of(s.Transport)} | {Names.Of(s.Scenario)} | {size} |";
            if (r.Failed)
            {
                sb.AppendLine(head + " FAILED | — | — | — | — | — | — | — | — |");
                continue;
            }

            sb.Append(head);
            foreach (long? ns in new[] { r.P50Ns, r.P90Ns, r.P99Ns, r.P999Ns, r.MaxNs })
            {
                sb.Append(' ').Append(ns is long v ? v.ToString("N0", CultureInfo.InvariantCulture) : NotApplicable).Append(" |");
            }

            sb.Append(' ').Append(r.MsgsPerSec is double m ? m.ToString("N0", CultureInfo.InvariantCulture) : NotApplicable).Append(" |");
            sb.Append(' ').Append(r.BytesPerSec is double b ? (b / 1e6).ToString("N1", CultureInfo.InvariantCulture) : NotApplicable).Append(" |");
            sb.Append(' ').Append(r.CpuPercent is double c ? c.ToString("0.0", CultureInfo.InvariantCulture) : NotApplicable).AppendLine(" |");
        }

        List<CellResult> failed = results.Where(r => r.Failed).ToList();
        if (failed.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine(Invariant($"{failed.Count} cell(s) failed:"));
            foreach (CellResult r in failed)
            {
                sb.AppendLine(Invariant($"- {r.Spec}: {r.Error}"));
            }
        }

        sb.AppendLine();
        sb.AppendLine("pingpong: round-trip time. throughput: one message per call; throughput-batch: each transport's batched path (ring and shm-floor readers check payloads in place, without copying). " +
            "idle-wakeup: one-way latency (receive time − send timestamp), 1 ms between messages; cpu% = receiver process CPU time / wall time. MB = 10^6 payload bytes.");
        if (results.Any(r => Names.IsRequestResponse(r.Spec.Transport)))
        {
            sb.AppendLine();
            sb.AppendLine("ring-rr: request/response on a DuplexChannel (RequestClient.Request → RequestServer echo handler → response matched by correlation id and copied to the caller). " +
                "Its pingpong is the same request/response round trip that pipe and uds make with length-prefixed frames, and ring-hybrid with two bare rings.");
        }

        if (results.Any(r => Names.IsLock(r.Spec.Scenario)))
        {
            sb.AppendLine();
            sb.AppendLine("lock-uncontended: the parent acquires and releases in a loop while the child only holds the lock open; latency = one acquire+release pair " +
                "(plus one clock read), msgs/s = pairs/s. lock-contended: parent and child both loop {acquire; increment a counter in shared memory, non-atomically; release}; " +
                "latency = the parent's acquire, msgs/s = pairs/s of both sides together; the counter is checked against both sides' pair counts (mutual exclusion). " +
                "ring-mutex: Ring's SharedMutex (Hybrid wait); flock: flock(2) LOCK_EX/LOCK_UN on a file in the temp directory, each process with its own open file; " +
                "lock-floor: System.Threading.Lock between two threads of ONE process — the in-process floor, not a cross-process lock.");
        }

        return sb.ToString();
    }

    /// <summary>A JSON array of the cells that succeeded (failed cells are in the Markdown and the exit code).</summary>
    internal static string Json(IReadOnlyList<CellResult> results) =>
        JsonSerializer.Serialize(Rows(results), BenchJsonContext.Default.ListJsonRow);

    /// <summary>The cells that succeeded, as the JSON holds them (and the SVG chart draws them).</summary>
    internal static List<JsonRow> Rows(IReadOnlyList<CellResult> results) =>
        results.Where(r => !r.Failed).Select(r => new JsonRow(
            Names.Of(r.Spec.Transport), Names.Of(r.Spec.Scenario), r.Spec.MessageSize,
            r.P50Ns, r.P90Ns, r.P99Ns, r.P999Ns, r.MaxNs,
            Round(r.MsgsPerSec), Round(r.BytesPerSec), r.CpuPercent is double c ? Math.Round(c, 2) : null)).ToList();

    /// <summary>The progress line of one cell.</summary>
    internal static string Summary(CellResult r)
    {
        var parts = new List<string>();
        if (r.P50Ns is long p50)
        {
            parts.Add(Invariant($"p50 {p50:N0} ns, p99 {r.P99Ns:N0} ns, max {r.MaxNs:N0} ns"));
        }

        if (r.MsgsPerSec is double m)
        {
            parts.Add(r.BytesPerSec is double b ? Invariant($"{m:N0} msgs/s, {b / 1e6:N1} MB/s") : Invariant($"{m:N0} msgs/s"));
        }

        if (r.CpuPercent is double c)
        {
            parts.Add(Invariant($"cpu {c:0.0}%"));
        }

        parts.Add(Invariant($"{r.Samples:N0} samples"));
        return string.Join("; ", parts);
    }

    private static double? Round(double? value) => value is double v ? Math.Round(v) : null;

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One JSON object per cell, with exactly these fields (null where not applicable).</summary>
internal sealed record JsonRow(
    [property: JsonPropertyName("transport")] string Transport,
    [property: JsonPropertyName("scenario")] string Scenario,
    [property: JsonPropertyName("messageSize")] int MessageSize,
    [property: JsonPropertyName("p50Ns")] long? P50Ns,
    [property: JsonPropertyName("p90Ns")] long? P90Ns,
    [property: JsonPropertyName("p99Ns")] long? P99Ns,
    [property: JsonPropertyName("p999Ns")] long? P999Ns,
    [property: JsonPropertyName("maxNs")] long? MaxNs,
    [property: JsonPropertyName("msgsPerSec")] double? MsgsPerSec,
    [property: JsonPropertyName("bytesPerSec")] double? BytesPerSec,
    [property: JsonPropertyName("cpuPercent")] double? CpuPercent);

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(List<JsonRow>))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
