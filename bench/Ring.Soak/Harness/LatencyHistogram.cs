using System;
using System.Runtime.CompilerServices;

namespace Ring.Soak;

/// <summary>
/// Log-linear latency buckets in nanoseconds (16 sub-buckets per power of two: within 6.25 %), in fixed memory, so that
/// a reader can keep one in its control slot for hours and the parent can merge them.
/// </summary>
internal static class LatencyHistogram
{
    internal const int Buckets = 1024;
    private const int SubBits = 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Bucket(long nanoseconds)
    {
        if (nanoseconds < (1 << SubBits))
        {
            return nanoseconds < 0 ? 0 : (int)nanoseconds;
        }

        int exponent = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)nanoseconds);
        int sub = (int)(nanoseconds >> (exponent - SubBits)) & ((1 << SubBits) - 1);
        return Math.Min(Buckets - 1, ((exponent - SubBits + 1) << SubBits) + sub);
    }

    /// <summary>The largest value that falls into a bucket (what a percentile reports: an upper bound).</summary>
    internal static long UpperBound(int bucket)
    {
        if (bucket < (1 << SubBits))
        {
            return bucket;
        }

        int exponent = (bucket >> SubBits) + SubBits - 1;
        if (exponent >= 63)
        {
            return long.MaxValue;
        }

        long sub = bucket & ((1 << SubBits) - 1);
        long low = (1L << exponent) + (sub << (exponent - SubBits));
        return low + (1L << (exponent - SubBits)) - 1;
    }

    /// <summary>Nearest-rank percentile (0..1) of a histogram, in nanoseconds; 0 if it is empty.</summary>
    internal static long Percentile(ReadOnlySpan<long> counts, double quantile)
    {
        long total = 0;
        foreach (long c in counts)
        {
            total += c;
        }

        if (total == 0)
        {
            return 0;
        }

        long rank = Math.Clamp((long)Math.Ceiling(quantile * total), 1, total);
        long seen = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return UpperBound(i);
            }
        }

        return UpperBound(counts.Length - 1);
    }
}
