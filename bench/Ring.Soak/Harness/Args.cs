using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ring.Soak;

/// <summary>
/// The harnesses' command lines: <c>--name value</c> and <c>--flag</c> (parent), <c>key=value</c> (child). Durations take
/// ms, s, m, h; sizes take K and M. Every refusal names the option, the value and the rule.
/// </summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private Args()
    {
    }

    internal static Args ParseOptions(ReadOnlySpan<string> args, IReadOnlySet<string> flags)
    {
        var result = new Args();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new ArgumentException($"unexpected argument '{arg}': options are --name value");
            }

            string name = arg[2..];
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                result._values[name[..eq]] = name[(eq + 1)..];
            }
            else if (flags.Contains(name))
            {
                result._values[name] = "true";
            }
            else if (i + 1 < args.Length)
            {
                result._values[name] = args[++i];
            }
            else
            {
                throw new ArgumentException($"option --{name} needs a value");
            }
        }

        return result;
    }

    internal static Args ParseSettings(ReadOnlySpan<string> args)
    {
        var result = new Args();
        foreach (string arg in args)
        {
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"child setting '{arg}' is not key=value");
            }

            result._values[arg[..eq]] = arg[(eq + 1)..];
        }

        return result;
    }

    internal bool Has(string name) => _values.ContainsKey(name);

    internal string String(string name, string fallback)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? v) ? v : fallback;
    }

    internal string Required(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? v) ? v : throw new ArgumentException($"setting '{name}' is missing");
    }

    internal bool Flag(string name) => bool.Parse(String(name, "false"));

    internal long Long(string name, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        string text = String(name, fallback.ToString(CultureInfo.InvariantCulture));
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
        {
            throw new ArgumentException($"--{name} {text} is invalid: it must be a whole number from {min} to {max}");
        }

        return value;
    }

    internal int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue) => (int)Long(name, fallback, min, max);

    internal double Double(string name, double fallback, double min = 0, double max = double.MaxValue)
    {
        string text = String(name, fallback.ToString(CultureInfo.InvariantCulture));
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < min || value > max)
        {
            throw new ArgumentException($"--{name} {text} is invalid: it must be a number from {min} to {max}");
        }

        return value;
    }

    /// <summary>A duration such as 500ms, 60s, 10m, 1h (a bare number is seconds).</summary>
    internal TimeSpan Duration(string name, TimeSpan fallback)
    {
        if (!_values.ContainsKey(name))
        {
            _used.Add(name);
            return fallback;
        }

        string text = String(name, string.Empty).Trim();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ when text.EndsWith('h') => (text[..^1], 3600.0),
            _ => (text, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < 0 || value * scale > 86400 * 30)
        {
            throw new ArgumentException($"--{name} {text} is invalid: it must be a duration such as 500ms, 60s, 10m or 1h (at most 30 days)");
        }

        return TimeSpan.FromSeconds(value * scale);
    }

    /// <summary>A byte count such as 256, 4K, 1M.</summary>
    internal long Size(string name, long fallback, long min, long max)
    {
        string text = String(name, fallback.ToString(CultureInfo.InvariantCulture)).Trim();
        long scale = 1;
        if (text.EndsWith('K') || text.EndsWith('k'))
        {
            scale = 1024;
            text = text[..^1];
        }
        else if (text.EndsWith('M'))
        {
            scale = 1024 * 1024;
            text = text[..^1];
        }

        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) || value * scale < min || value * scale > max)
        {
            throw new ArgumentException($"--{name} {text} is invalid: it must be a size from {min} to {max} bytes (K and M allowed)");
        }

        return value * scale;
    }

    /// <summary>Throws on an option nobody asked for (a typo must not be ignored silently).</summary>
    internal void ThrowOnUnknown()
    {
        foreach (string name in _values.Keys)
        {
            if (!_used.Contains(name))
            {
                throw new ArgumentException($"unknown option --{name}");
            }
        }
    }
}
