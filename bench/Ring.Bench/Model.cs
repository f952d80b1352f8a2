using System;
using System.Diagnostics;

namespace Ring.Bench;

/// <summary>How the two processes exchange messages.</summary>
internal enum TransportKind
{
    RingSpin,
    RingHybrid,
    RingBlock,
    Pipe,
    Uds,
    ShmFloor,
    RingMutex,
    Flock,
    LockFloor,
    RingMpsc,
    RingBroadcast,
    RingMpmc,
    RingSlots,
    RingRr,
    RingFrag,
}

/// <summary>What is measured.</summary>
internal enum ScenarioKind
{
    PingPong,
    Throughput,
    ThroughputBatch,
    IdleWakeup,
    LockUncontended,
    LockContended,
}

/// <summary>The command-line names of transports and scenarios, in table order.</summary>
internal static class Names
{
    internal static readonly string[] Transports = ["ring-spin", "ring-hybrid", "ring-block", "pipe", "uds", "shm-floor", "ring-mutex", "flock", "lock-floor", "ring-mpsc", "ring-broadcast", "ring-mpmc", "ring-slots", "ring-rr", "ring-frag"];

    internal static readonly string[] Scenarios = ["pingpong", "throughput", "throughput-batch", "idle-wakeup", "lock-uncontended", "lock-contended"];

    internal static string Of(TransportKind transport) => Transports[(int)transport];

    internal static string Of(ScenarioKind scenario) => Scenarios[(int)scenario];

    /// <summary>The lock transports (ring-mutex, flock, lock-floor) run only the lock scenarios.</summary>
    internal static bool IsLock(TransportKind transport) => transport is TransportKind.RingMutex or TransportKind.Flock or TransportKind.LockFloor;

    /// <summary>The topology transports (several writer or reader processes) run only the throughput scenario.</summary>
    internal static bool IsTopology(TransportKind transport) => transport is TransportKind.RingMpsc or TransportKind.RingBroadcast or TransportKind.RingMpmc or TransportKind.RingSlots;

    /// <summary>The request/response transport runs only ping-pong (its round trip is a request and its response).</summary>
    internal static bool IsRequestResponse(TransportKind transport) => transport == TransportKind.RingRr;

    /// <summary>ring-frag (messages larger than a frame, fragmented and reassembled) runs only the throughput scenarios.</summary>
    internal static bool IsFragmenting(TransportKind transport) => transport == TransportKind.RingFrag;

    /// <summary>The transports that take messages above <see cref="BenchSettings.MaxUnfragmentedSize"/>: ring-frag and the stream baselines.</summary>
    internal static bool TakesHugeMessages(TransportKind transport) => transport is TransportKind.RingFrag or TransportKind.Pipe or TransportKind.Uds;

    /// <summary>The lock scenarios run only with the lock transports.</summary>
    internal static bool IsLock(ScenarioKind scenario) => scenario >= ScenarioKind.LockUncontended;

    /// <summary>True if the scenario means something for the transport: lock with lock, messages with messages.</summary>
    internal static bool Fits(TransportKind transport, ScenarioKind scenario) =>
        IsTopology(transport) ? scenario == ScenarioKind.Throughput
        : IsRequestResponse(transport) ? scenario == ScenarioKind.PingPong
        : IsFragmenting(transport) ? scenario is ScenarioKind.Throughput or ScenarioKind.ThroughputBatch
        : IsLock(transport) == IsLock(scenario);

    internal static string LockTransports => string.Join(", ", Transports[(int)TransportKind.RingMutex..((int)TransportKind.LockFloor + 1)]);

    internal static string LockScenarios => string.Join(", ", Scenarios[(int)ScenarioKind.LockUncontended..]);

    internal static bool TryParseTransport(string name, out TransportKind transport)
    {
        int index = Array.IndexOf(Transports, name.Trim().ToLowerInvariant());
        transport = (TransportKind)Math.Max(index, 0);
        return index >= 0;
    }

    internal static bool TryParseScenario(string name, out ScenarioKind scenario)
    {
        int index = Array.IndexOf(Scenarios, name.Trim().ToLowerInvariant());
        scenario = (ScenarioKind)Math.Max(index, 0);
        return index >= 0;
    }
}

/// <summary>
/// How long one cell runs, in Stopwatch ticks. A phase ends at its duration or its count, whichever comes first;
/// <see cref="long.MaxValue"/> means unbounded.
/// </summary>
/// <param name="WarmupTicks">Warm-up time (ping-pong, throughput): not recorded.</param>
/// <param name="WarmupCount">Warm-up messages (idle wake-up): not recorded.</param>
/// <param name="DurationTicks">Measured time.</param>
/// <param name="Count">Measured messages (round trips for ping-pong).</param>
/// <param name="TimeoutTicks">The whole cell, process start included: past it the child is killed and the cell fails.</param>
internal sealed record CellPlan(long WarmupTicks, long WarmupCount, long DurationTicks, long Count, long TimeoutTicks);

/// <summary>One measurement: a transport, a scenario and a message size (0 for the lock scenarios, which send none).</summary>
internal sealed record CellSpec(TransportKind Transport, ScenarioKind Scenario, int MessageSize, CellPlan Plan)
{
    public override string ToString() => Names.IsLock(Scenario)
        ? $"{Names.Of(Transport)} {Names.Of(Scenario)}"
        : $"{Names.Of(Transport)} {Names.Of(Scenario)} {Units.FormatSize(MessageSize)}";
}

/// <summary>What a cell measured; null where not applicable. Latencies in nanoseconds.</summary>
internal sealed record CellResult(CellSpec Spec)
{
    public long? P50Ns { get; init; }

    public long? P90Ns { get; init; }

    public long? P99Ns { get; init; }

    public long? P999Ns { get; init; }

    public long? MaxNs { get; init; }

    public double? MsgsPerSec { get; init; }

    public double? BytesPerSec { get; init; }

    public double? CpuPercent { get; init; }

    /// <summary>Messages (or round trips) that entered the numbers.</summary>
    public long Samples { get; init; }

    /// <summary>Why the cell failed; null on success.</summary>
    public string? Error { get; init; }

    public bool Failed => Error is not null;

    /// <summary>Percentiles of a set of latencies in Stopwatch ticks (sorted in place), nearest-rank.</summary>
    internal static CellResult FromLatencies(CellSpec spec, long[] ticks, int count, double? cpuPercent)
    {
        if (count == 0)
        {
            throw new InvalidOperationException("no latency samples were recorded");
        }

        Span<long> samples = ticks.AsSpan(0, count);
        samples.Sort();
        return new CellResult(spec)
        {
            P50Ns = Units.TicksToNs(Rank(samples, 0.50)),
            P90Ns = Units.TicksToNs(Rank(samples, 0.90)),
            P99Ns = Units.TicksToNs(Rank(samples, 0.99)),
            P999Ns = Units.TicksToNs(Rank(samples, 0.999)),
            MaxNs = Units.TicksToNs(samples[^1]),
            CpuPercent = cpuPercent,
            Samples = count,
        };
    }

    internal static CellResult FromRate(CellSpec spec, long messages, long elapsedTicks)
    {
        if (messages <= 0 || elapsedTicks <= 0)
        {
            throw new InvalidOperationException($"no throughput window: {messages} messages in {elapsedTicks} ticks");
        }

        double seconds = elapsedTicks / (double)Stopwatch.Frequency;
        double rate = messages / seconds;
        return new CellResult(spec) { MsgsPerSec = rate, BytesPerSec = rate * spec.MessageSize, Samples = messages };
    }

    private static long Rank(ReadOnlySpan<long> sorted, double quantile)
    {
        int rank = (int)Math.Ceiling(quantile * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
