using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ring.TestPeer;

/// <summary>The peer modes' settings: "key=value" arguments, or a bare "key" meaning "true".</summary>
public static class PeerArguments
{
    public static Dictionary<string, string> Parse(ReadOnlySpan<string> args)
    {
        var settings = new Dictionary<string, string>();
        foreach (string arg in args)
        {
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            settings[eq < 0 ? arg : arg[..eq]] = eq < 0 ? "true" : arg[(eq + 1)..];
        }

        return settings;
    }

    public static int Int(Dictionary<string, string> settings, string key, int value) =>
        settings.TryGetValue(key, out string? text) ? int.Parse(text, CultureInfo.InvariantCulture) : value;
}
