using System;
using System.Globalization;

namespace Ring.Soak;

/// <summary>Numbers for people: counts, rates and durations with units.</summary>
internal static class Units
{
    internal static string Count(double n) => n switch
    {
        >= 1e9 => F($"{n / 1e9:0.00} G"),
        >= 1e6 => F($"{n / 1e6:0.00} M"),
        >= 1e4 => F($"{n / 1e3:0.0} k"),
        _ => F($"{n:0}"),
    };

    internal static string Rate(double n) => Count(n);

    internal static string Nanoseconds(double ns) => ns switch
    {
        >= 1e9 => F($"{ns / 1e9:0.00} s"),
        >= 1e6 => F($"{ns / 1e6:0.00} ms"),
        >= 1e3 => F($"{ns / 1e3:0.0} µs"),
        _ => F($"{ns:0} ns"),
    };

    internal static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
