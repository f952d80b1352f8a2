using System;
using System.Diagnostics;
using System.Globalization;

namespace Ring.Bench;

/// <summary>Conversions and the parsing of sizes ("64K") and durations ("500ms").</summary>
internal static class Units
{
    internal static long TicksToNs(long ticks) =>
        Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1_000_000_000.0 / Stopwatch.Frequency));

    internal static long SecondsToTicks(double seconds) =>
        double.IsPositiveInfinity(seconds) ? long.MaxValue : (long)(seconds * Stopwatch.Frequency);

    internal static double TicksToSeconds(long ticks) => ticks / (double)Stopwatch.Frequency;

    /// <summary>"32 B", "1 KiB", "64 KiB", "1.5 MiB".</summary>
    internal static string FormatSize(long bytes)
    {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes >> 20} MiB");
        }

        if (bytes >= 1024 && bytes % 1024 == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes >> 10} KiB");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
    }

    /// <summary>Parses "32", "32B", "1K", "1KiB", "64kb", "1M" (K and M are binary).</summary>
    internal static bool TryParseSize(string text, out int bytes)
    {
        bytes = 0;
        string s = text.Trim().ToUpperInvariant();
        long multiplier = 1;
        foreach ((string suffix, long value) in new (string, long)[] { ("KIB", 1024), ("KB", 1024), ("K", 1024), ("MIB", 1 << 20), ("MB", 1 << 20), ("M", 1 << 20), ("B", 1) })
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                multiplier = value;
                s = s[..^suffix.Length].TrimEnd();
                break;
            }
        }

        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n * multiplier > int.MaxValue)
        {
            return false;
        }

        bytes = (int)(n * multiplier);
        return true;
    }

    /// <summary>Parses "1.5" (seconds), "1.5s", "500ms", "200us".</summary>
    internal static bool TryParseSeconds(string text, out double seconds)
    {
        string s = text.Trim().ToLowerInvariant();
        double scale = 1;
        if (s.EndsWith("ms", StringComparison.Ordinal))
        {
            scale = 1e-3;
            s = s[..^2];
        }
        else if (s.EndsWith("us", StringComparison.Ordinal))
        {
            scale = 1e-6;
            s = s[..^2];
        }
        else if (s.EndsWith('s'))
        {
            s = s[..^1];
        }

        bool ok = double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) && seconds > 0 && double.IsFinite(seconds);
        seconds *= scale;
        return ok;
    }
}
