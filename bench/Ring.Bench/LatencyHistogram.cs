using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace Ring.Bench;

/// <summary>
/// Latencies in Stopwatch ticks, one counter per tick below 64 Ki ticks and the exact value above: nearest-rank
/// percentiles as exact as sorting every sample, in fixed memory, however many tens of millions of samples a lock cell
/// records (an acquire+release pair takes nanoseconds).
/// </summary>
internal sealed class LatencyHistogram
{
    private const int Buckets = 1 << 16;

    private readonly long[] _counts = new long[Buckets];
    private readonly List<long> _large = new(1024);

    internal long Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Record(long ticks)
    {
        if ((ulong)ticks < Buckets)
        {
            _counts[ticks]++;
        }
        else
        {
            RecordLarge(ticks);
        }

        Count++;
    }

    /// <summary>Percentiles as <see cref="CellResult.FromLatencies"/> computes them (nearest rank).</summary>
    internal CellResult ToResult(CellSpec spec)
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("no latency samples were recorded");
        }

        _large.Sort();
        return new CellResult(spec)
        {
            P50Ns = Units.TicksToNs(Rank(0.50)),
            P90Ns = Units.TicksToNs(Rank(0.90)),
            P99Ns = Units.TicksToNs(Rank(0.99)),
            P999Ns = Units.TicksToNs(Rank(0.999)),
            MaxNs = Units.TicksToNs(Rank(1.0)),
            Samples = Count,
        };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordLarge(long ticks)
    {
        if (ticks < 0)
        {
            // A clock cannot step back; count it as 0 rather than lose it.
            _counts[0]++;
        }
        else
        {
            _large.Add(ticks);
        }
    }

    private long Rank(double quantile)
    {
        long rank = Math.Clamp((long)Math.Ceiling(quantile * Count), 1, Count);
        long seen = 0;
        for (int i = 0; i < Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return i;
            }
        }

        return _large[(int)(rank - seen - 1)];
    }
}
