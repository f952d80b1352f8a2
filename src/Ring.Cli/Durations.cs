using System;
using System.Globalization;

namespace Ring.Cli;

/// <summary>Parses the times options take: "5s", "250ms", "1.5" (seconds), "2m", "1h", "infinite".</summary>
internal static class Durations
{
    internal static TimeSpan Parse(string text, string option)
    {
        string s = text.Trim().ToLowerInvariant();
        if (s is "infinite" or "inf" or "forever")
        {
            return System.Threading.Timeout.InfiniteTimeSpan;
        }

        double scale = 1;
        foreach ((string suffix, double value) in new (string, double)[] { ("ms", 1e-3), ("us", 1e-6), ("s", 1), ("m", 60), ("h", 3600) })
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                scale = value;
                s = s[..^suffix.Length];
                break;
            }
        }

        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || number < 0 || !double.IsFinite(number) || number * scale > int.MaxValue / 1000.0)
        {
            throw new CommandFailedException($"{option} '{text}' is invalid: give a time such as 5s, 250ms, 2m or 1.5 (seconds), or 'infinite'.", ExitCodes.Usage);
        }

        return TimeSpan.FromSeconds(number * scale);
    }
}
