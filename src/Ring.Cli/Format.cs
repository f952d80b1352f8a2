using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace Ring.Cli;

/// <summary>How the tool writes sizes, ages, parties and payloads.</summary>
internal static class Format
{
    internal const string None = "—";

    internal static string Bytes(long bytes)
    {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0)
        {
            return Inv($"{bytes >> 30} GiB");
        }

        if (bytes >= 1 << 20)
        {
            return bytes % (1 << 20) == 0 ? Inv($"{bytes >> 20} MiB") : Inv($"{bytes / (double)(1 << 20):0.#} MiB");
        }

        if (bytes >= 1024)
        {
            return bytes % 1024 == 0 ? Inv($"{bytes >> 10} KiB") : Inv($"{bytes / 1024.0:0.#} KiB");
        }

        return Inv($"{bytes} B");
    }

    internal static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    internal static string Rate(double perSecond) => perSecond.ToString(perSecond >= 100 ? "N0" : "0.#", CultureInfo.InvariantCulture);

    /// <summary>"45s", "3m 12s", "2h 05m", "4d 03h".</summary>
    internal static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        return age.TotalDays >= 1 ? Inv($"{(int)age.TotalDays}d {age.Hours:00}h")
            : age.TotalHours >= 1 ? Inv($"{(int)age.TotalHours}h {age.Minutes:00}m")
            : age.TotalMinutes >= 1 ? Inv($"{(int)age.TotalMinutes}m {age.Seconds:00}s")
            : Inv($"{(int)age.TotalSeconds}s");
    }

    /// <summary>"OneToOne", or "kind 42 (unknown)" for a kind this tool does not know.</summary>
    internal static string Kind(RingSegmentInfo info) =>
        Enum.IsDefined(info.Kind) ? info.Kind.ToString() : Inv($"kind {(int)info.Kind} (unknown)");

    /// <summary>
    /// A payload for a person: its text when it is valid UTF-8 without control characters (tabs aside), else hex.
    /// </summary>
    internal static string Payload(ReadOnlySpan<byte> payload, bool hex)
    {
        if (!hex && TryText(payload, out string? text))
        {
            return text;
        }

        return Convert.ToHexString(payload).ToLowerInvariant();
    }

    internal static bool TryText(ReadOnlySpan<byte> payload, out string text)
    {
        text = string.Empty;
        try
        {
            text = new UTF8Encoding(false, true).GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (char.IsControl(c) && c != '\t')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// How long a process has run, from its start time (clock ticks after boot, field 22 of /proc/PID/stat) and
    /// /proc/uptime; null where unknown. Linux reports both in USER_HZ, which is 100 on every architecture it supports.
    /// </summary>
    internal static TimeSpan? ProcessAge(long startTicks)
    {
        const double TicksPerSecond = 100;
        try
        {
            string uptime = File.ReadAllText("/proc/uptime");
            int space = uptime.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && double.TryParse(uptime.AsSpan(0, space), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && startTicks > 0)
            {
                return TimeSpan.FromSeconds(Math.Max(0, seconds - (startTicks / TicksPerSecond)));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
