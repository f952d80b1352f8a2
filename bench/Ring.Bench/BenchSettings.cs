using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Ring.Bench;

/// <summary>A run's choices, from the command line, and the time budget of each cell derived from them.</summary>
internal sealed record BenchSettings(
    IReadOnlyList<TransportKind> Transports,
    IReadOnlyList<ScenarioKind> Scenarios,
    IReadOnlyList<int> Sizes,
    bool Quick,
    long? Count,
    double? DurationSeconds,
    double? WarmupSeconds,
    double? CellTimeoutSeconds,
    string? JsonPath,
    string? MarkdownPath,
    int Repeat = 1)
{
    /// <summary>Where to write the SVG chart, or null.</summary>
    internal string? SvgPath { get; init; }

    internal static readonly int[] DefaultSizes = [32, 1024, 64 * 1024];

    /// <summary>ring-frag's sizes when --sizes is not given: 1 MiB and 16 MiB, fragmented over its 4 MiB ring.</summary>
    internal static readonly int[] DefaultFragmentedSizes = [1 << 20, 16 << 20];

    /// <summary>The largest size --sizes accepts.</summary>
    internal const int MaxSize = 16 << 20;

    /// <summary>The largest size the transports other than ring-frag, pipe and uds run (larger sizes skip them).</summary>
    internal const int MaxUnfragmentedSize = 4 << 20;

    /// <summary>True if --sizes was given (else ring-frag runs <see cref="DefaultFragmentedSizes"/>).</summary>
    internal bool SizesGiven { get; init; }

    /// <summary>
    /// Default budgets keep a full run (95 cells) near 2 minutes on two cores: ping-pong stops at 200k round trips or
    /// 1 s, throughput and the lock scenarios measure 0.75 s, idle wake-up 1000 messages at 1 ms; each after a 0.25 s
    /// warm-up. --count or
    /// --duration replace both bounds: the one given applies, the other is lifted.
    /// </summary>
    internal CellPlan PlanFor(ScenarioKind scenario, int messageSize)
    {
        double warmup = WarmupSeconds ?? (Quick ? 0.02 : 0.25);
        (double duration, long count) = scenario switch
        {
            ScenarioKind.PingPong => Quick ? (0.05, 2_000L) : (1.0, 200_000L),
            ScenarioKind.IdleWakeup => Quick ? (double.PositiveInfinity, 20L) : (double.PositiveInfinity, 1_000L),
            _ => Quick ? (0.05, long.MaxValue) : (0.75, long.MaxValue),
        };

        if (Count is not null || DurationSeconds is not null)
        {
            duration = DurationSeconds ?? double.PositiveInfinity;
            count = Count ?? long.MaxValue;
        }

        long warmupCount = scenario switch
        {
            ScenarioKind.PingPong => Quick ? 100 : 1_000,
            ScenarioKind.IdleWakeup => Quick ? 5 : 200,
            _ => 0,
        };

        // A generous guess at each message's cost bounds a count-only run; the timeout is that guess tripled plus
        // 20 s for process start and the handshake.
        double perMessage = scenario switch
        {
            ScenarioKind.PingPong => 50e-6 + 2.0 * messageSize / 100e6,
            ScenarioKind.IdleWakeup => 1.5e-3,
            _ => 20e-6 + (double)messageSize / 100e6,
        };
        double expected = (scenario == ScenarioKind.IdleWakeup ? warmupCount * perMessage : warmup) + Math.Min(duration, count * perMessage);
        double timeout = CellTimeoutSeconds ?? 20 + 3 * expected;
        return new CellPlan(
            Units.SecondsToTicks(scenario == ScenarioKind.IdleWakeup ? 0 : warmup),
            warmupCount,
            Units.SecondsToTicks(duration),
            count,
            Units.SecondsToTicks(timeout));
    }

    /// <summary>One line that says how long cells ran, for the report.</summary>
    internal string Describe()
    {
        string Seconds(long ticks) => ticks == long.MaxValue ? "∞" : Units.TicksToSeconds(ticks).ToString("0.###", CultureInfo.InvariantCulture) + " s";
        string Count(long n) => n == long.MaxValue ? "∞" : n.ToString("N0", CultureInfo.InvariantCulture);
        CellPlan ping = PlanFor(ScenarioKind.PingPong, 32);
        CellPlan tput = PlanFor(ScenarioKind.Throughput, 32);
        CellPlan idle = PlanFor(ScenarioKind.IdleWakeup, 32);
        CellPlan locks = PlanFor(ScenarioKind.LockContended, 0);
        string lockPart = Scenarios.Any(Names.IsLock)
            ? $"; lock-*: warm-up {Seconds(locks.WarmupTicks)}, then ≤ {Count(locks.Count)} pairs or {Seconds(locks.DurationTicks)}"
            : string.Empty;
        return $"pingpong: warm-up {Seconds(ping.WarmupTicks)} (≥ {Count(ping.WarmupCount)} round trips), then ≤ {Count(ping.Count)} round trips or {Seconds(ping.DurationTicks)}; " +
            $"throughput: warm-up {Seconds(tput.WarmupTicks)}, then ≤ {Count(tput.Count)} messages or {Seconds(tput.DurationTicks)}; " +
            $"idle-wakeup: 1 message/ms, {Count(idle.WarmupCount)} warm-up, then ≤ {Count(idle.Count)} messages or {Seconds(idle.DurationTicks)}" + lockPart +
            (Repeat > 1 ? $"; each cell run {Repeat} times in rounds, the run with the median headline figure (p50, or msgs/s) reported" : string.Empty) +
            (Quick ? " (--quick: smoke run, numbers not meaningful)" : string.Empty);
    }
}
