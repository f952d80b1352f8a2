using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace Ring.Bench;

/// <summary>
/// A hand-written SVG chart of a run: for every latency cell group (scenario × size) the percentiles p50 … max of each
/// transport as lines on a log scale, and for every throughput group one bar per transport (linear, value printed).
/// One colour per transport throughout; the floors are drawn dashed.
/// </summary>
internal static class SvgReport
{
    private const int Width = 1200;
    private const int Margin = 20;
    private const int Gap = 20;
    private const int PanelWidth = (Width - (2 * Margin) - Gap) / 2;
    private const int LatencyPanelHeight = 270;
    private const string Font = "font-family=\"system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\"";

    private static readonly string[] s_percentiles = ["p50", "p90", "p99", "p99.9", "max"];

    private static readonly Dictionary<string, string> s_colors = new(StringComparer.Ordinal)
    {
        ["ring-spin"] = "#1f77b4",
        ["ring-hybrid"] = "#2ca02c",
        ["ring-block"] = "#9467bd",
        ["pipe"] = "#d62728",
        ["uds"] = "#ff7f0e",
        ["shm-floor"] = "#555555",
        ["ring-mutex"] = "#1f77b4",
        ["flock"] = "#d62728",
        ["lock-floor"] = "#555555",
        ["ring-rr"] = "#17becf",
    };

    private static readonly string[] s_spareColors = ["#17becf", "#bcbd22", "#e377c2", "#8c564b", "#7f7f7f", "#aec7e8", "#98df8a", "#ffbb78"];

    /// <summary><c>--render-from JSON --svg FILE</c>: the chart of an earlier run. Returns the exit code.</summary>
    internal static int RenderFromJson(string jsonPath, string? svgPath)
    {
        if (svgPath is null)
        {
            Console.Error.WriteLine("error: --render-from needs --svg FILE: the chart is what it writes.");
            return 2;
        }

        List<JsonRow>? rows;
        try
        {
            rows = JsonSerializer.Deserialize(File.ReadAllText(jsonPath), BenchJsonContext.Default.ListJsonRow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: cannot read --render-from '{jsonPath}': {e.Message}");
            return 1;
        }
        catch (JsonException e)
        {
            Console.Error.WriteLine($"error: --render-from '{jsonPath}' is not the JSON array --json writes: {e.Message}");
            return 1;
        }

        if (rows is null || rows.Count == 0)
        {
            Console.Error.WriteLine($"error: --render-from '{jsonPath}' holds no results.");
            return 1;
        }

        string title = $"Ring.Bench, {Path.GetFileNameWithoutExtension(jsonPath)}";
        File.WriteAllText(svgPath, Render(rows, title, $"rendered from {Path.GetFileName(jsonPath)}"));
        Console.Error.WriteLine($"Wrote '{svgPath}': {rows.Count} cells from '{jsonPath}'.");
        return 0;
    }

    internal static string Render(IReadOnlyList<JsonRow> rows, string title, string subtitle)
    {
        List<string> transports = rows.Select(r => r.Transport).Distinct().ToList();
        var colors = new Dictionary<string, string>(StringComparer.Ordinal);
        int spare = 0;
        foreach (string t in transports)
        {
            colors[t] = s_colors.TryGetValue(t, out string? c) ? c : s_spareColors[spare++ % s_spareColors.Length];
        }

        List<IGrouping<(string Scenario, int Size), JsonRow>> groups = rows
            .GroupBy(r => (r.Scenario, r.MessageSize))
            .OrderBy(g => ScenarioOrder(g.Key.Scenario)).ThenBy(g => g.Key.MessageSize)
            .ToList();
        var latency = groups.Where(g => g.Any(r => r.P50Ns is not null)).ToList();
        var throughput = groups.Where(g => g.Any(r => r.MsgsPerSec is not null)).ToList();

        var body = new StringBuilder();
        int y = 70;
        y = Legend(body, transports, colors, y);
        if (latency.Count > 0)
        {
            y = Heading(body, "Latency percentiles (log scale; pingpong: round trip, idle-wakeup: one way, lock: a pair or an acquire)", y);
            y = Grid(body, latency, y, (sb, g) => LatencyPanel(sb, g, colors), _ => LatencyPanelHeight);
        }

        if (throughput.Count > 0)
        {
            y = Heading(body, "Throughput (messages, or lock pairs, per second; linear scale)", y);
            y = Grid(body, throughput, y, (sb, g) => ThroughputPanel(sb, g, colors), g => 44 + (22 * g.Count(r => r.MsgsPerSec is not null)));
        }

        var svg = new StringBuilder();
        svg.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{y + Margin}\" viewBox=\"0 0 {Width} {y + Margin}\" {Font} font-size=\"12\">\n"));
        svg.Append(Inv($"<rect width=\"{Width}\" height=\"{y + Margin}\" fill=\"#ffffff\"/>\n"));
        svg.Append(Inv($"<text x=\"{Margin}\" y=\"30\" font-size=\"18\" font-weight=\"bold\">{Escape(title)}</text>\n"));
        svg.Append(Inv($"<text x=\"{Margin}\" y=\"50\" fill=\"#555\">{Escape(subtitle)}</text>\n"));
        svg.Append(body);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static int Legend(StringBuilder sb, List<string> transports, Dictionary<string, string> colors, int y)
    {
        int x = Margin;
        foreach (string t in transports)
        {
            sb.Append(Inv($"<line x1=\"{x}\" y1=\"{y - 4}\" x2=\"{x + 24}\" y2=\"{y - 4}\" stroke=\"{colors[t]}\" stroke-width=\"3\"{Dash(t)}/>"));
            sb.Append(Inv($"<text x=\"{x + 30}\" y=\"{y}\">{Escape(t)}</text>\n"));
            x += 40 + (8 * t.Length) + 20;
        }

        return y + 20;
    }

    private static int Heading(StringBuilder sb, string text, int y)
    {
        sb.Append(Inv($"<text x=\"{Margin}\" y=\"{y + 16}\" font-size=\"14\" font-weight=\"bold\">{Escape(text)}</text>\n"));
        return y + 28;
    }

    /// <summary>Lays panels out two to a row; returns the y below the last row.</summary>
    private static int Grid<T>(StringBuilder sb, List<T> items, int y, Action<StringBuilder, T> draw, Func<T, int> height)
    {
        for (int i = 0; i < items.Count; i += 2)
        {
            int rowHeight = 0;
            for (int j = i; j < Math.Min(i + 2, items.Count); j++)
            {
                int h = height(items[j]);
                rowHeight = Math.Max(rowHeight, h);
                int x = Margin + ((j - i) * (PanelWidth + Gap));
                sb.Append(Inv($"<g transform=\"translate({x},{y})\">\n"));
                sb.Append(Inv($"<rect width=\"{PanelWidth}\" height=\"{h}\" fill=\"#fafafa\" stroke=\"#dddddd\"/>\n"));
                draw(sb, items[j]);
                sb.Append("</g>\n");
            }

            y += rowHeight + Gap;
        }

        return y;
    }

    private static void LatencyPanel(StringBuilder sb, IGrouping<(string Scenario, int Size), JsonRow> group, Dictionary<string, string> colors)
    {
        const int Left = 70, Right = 20, Top = 30, Bottom = 40;
        int plotWidth = PanelWidth - Left - Right;
        int plotHeight = LatencyPanelHeight - Top - Bottom;
        List<JsonRow> rows = group.Where(r => r.P50Ns is not null).ToList();
        List<long> values = rows.SelectMany(Percentiles).Where(v => v > 0).ToList();
        int low = (int)Math.Floor(Math.Log10(Math.Max(1, values.Count > 0 ? values.Min() : 1)));
        int high = (int)Math.Ceiling(Math.Log10(Math.Max(10, values.Count > 0 ? values.Max() : 10)));
        if (high <= low)
        {
            high = low + 1;
        }

        double Y(long ns) => Top + plotHeight - ((Math.Log10(Math.Max(1, ns)) - low) / (high - low) * plotHeight);
        double X(int i) => Left + (plotWidth * (i + 0.5) / s_percentiles.Length);

        sb.Append(Inv($"<text x=\"10\" y=\"20\" font-weight=\"bold\">{Escape(GroupTitle(group.Key.Scenario, group.Key.Size))}</text>\n"));
        for (int decade = low; decade <= high; decade++)
        {
            long ns = (long)Math.Pow(10, decade);
            double y = Y(ns);
            sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotWidth}\" y2=\"{y:0.#}\" stroke=\"#cccccc\"/>"));
            sb.Append(Inv($"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" fill=\"#555\">{FormatNs(ns)}</text>\n"));
            if (decade < high)
            {
                foreach (int m in new[] { 2, 5 })
                {
                    double minor = Y(ns * m);
                    sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{minor:0.#}\" x2=\"{Left + plotWidth}\" y2=\"{minor:0.#}\" stroke=\"#eeeeee\"/>\n"));
                }
            }
        }

        for (int i = 0; i < s_percentiles.Length; i++)
        {
            sb.Append(Inv($"<text x=\"{X(i):0.#}\" y=\"{Top + plotHeight + 18}\" text-anchor=\"middle\" fill=\"#555\">{s_percentiles[i]}</text>\n"));
        }

        var labels = new List<(double Y, string Text, string Color)>();
        foreach (JsonRow row in rows)
        {
            long[] p = Percentiles(row).ToArray();
            var points = new StringBuilder();
            for (int i = 0; i < p.Length; i++)
            {
                points.Append(Inv($"{X(i):0.#},{Y(p[i]):0.#} "));
            }

            string color = colors[row.Transport];
            sb.Append(Inv($"<polyline points=\"{points.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{Dash(row.Transport)}>"));
            sb.Append(Inv($"<title>{Escape(row.Transport)}: {string.Join(", ", s_percentiles.Select((name, i) => $"{name} {FormatNs(p[i])}"))}</title></polyline>\n"));
            for (int i = 0; i < p.Length; i++)
            {
                sb.Append(Inv($"<circle cx=\"{X(i):0.#}\" cy=\"{Y(p[i]):0.#}\" r=\"3\" fill=\"{color}\"><title>{Escape(row.Transport)} {s_percentiles[i]}: {FormatNs(p[i])}</title></circle>\n"));
            }

            labels.Add((Y(p[0]), FormatNs(p[0]), color));
        }

        // The p50 of each line printed left of it (the figure people quote), pushed apart so that none overlap.
        labels.Sort((a, b) => a.Y.CompareTo(b.Y));
        double next = double.MinValue;
        foreach ((double y, string text, string color) in labels)
        {
            double at = Math.Max(y, next);
            next = at + 11;
            sb.Append(Inv($"<text x=\"{X(0) - 8:0.#}\" y=\"{at + 4:0.#}\" text-anchor=\"end\" font-size=\"10\" fill=\"{color}\">{text}</text>\n"));
        }
    }

    private static void ThroughputPanel(StringBuilder sb, IGrouping<(string Scenario, int Size), JsonRow> group, Dictionary<string, string> colors)
    {
        const int Left = 100, Right = 20, Top = 30;
        int plotWidth = PanelWidth - Left - Right;
        List<JsonRow> rows = group.Where(r => r.MsgsPerSec is not null).ToList();
        double max = rows.Max(r => r.MsgsPerSec!.Value);
        sb.Append(Inv($"<text x=\"10\" y=\"20\" font-weight=\"bold\">{Escape(GroupTitle(group.Key.Scenario, group.Key.Size))}</text>\n"));
        int y = Top;
        foreach (JsonRow row in rows)
        {
            double rate = row.MsgsPerSec!.Value;
            double w = max > 0 ? Math.Max(1, rate / max * plotWidth) : 1;
            string color = colors[row.Transport];
            string label = FormatRate(rate) + (row.BytesPerSec is double b && group.Key.Size >= 1024 ? $" ({FormatBytes(b)})" : string.Empty);
            sb.Append(Inv($"<text x=\"{Left - 6}\" y=\"{y + 13}\" text-anchor=\"end\">{Escape(row.Transport)}</text>"));
            sb.Append(Inv($"<rect x=\"{Left}\" y=\"{y + 2}\" width=\"{w:0.#}\" height=\"15\" fill=\"{color}\"{(IsFloor(row.Transport) ? " fill-opacity=\"0.7\"" : string.Empty)}><title>{Escape(row.Transport)}: {label}</title></rect>"));

            // The value after the bar, or inside a long bar, so that it never leaves the panel.
            sb.Append(w > plotWidth * 0.6
                ? Inv($"<text x=\"{Left + w - 5:0.#}\" y=\"{y + 13}\" font-size=\"11\" text-anchor=\"end\" fill=\"#ffffff\">{Escape(label)}</text>\n")
                : Inv($"<text x=\"{Left + w + 5:0.#}\" y=\"{y + 13}\" font-size=\"11\">{Escape(label)}</text>\n"));
            y += 22;
        }
    }

    private static IEnumerable<long> Percentiles(JsonRow r) =>
        [r.P50Ns ?? 0, r.P90Ns ?? 0, r.P99Ns ?? 0, r.P999Ns ?? 0, r.MaxNs ?? 0];

    private static int ScenarioOrder(string scenario)
    {
        int i = Array.IndexOf(Names.Scenarios, scenario);
        return i < 0 ? int.MaxValue : i;
    }

    private static string GroupTitle(string scenario, int size) =>
        size == 0 ? scenario : $"{scenario}, {Units.FormatSize(size)}";

    private static bool IsFloor(string transport) => transport.EndsWith("-floor", StringComparison.Ordinal);

    private static string Dash(string transport) => IsFloor(transport) ? " stroke-dasharray=\"6 3\"" : string.Empty;

    internal static string FormatNs(long ns) => ns switch
    {
        < 1_000 => Inv($"{ns} ns"),
        < 1_000_000 => Inv($"{ns / 1e3:0.#} µs"),
        < 1_000_000_000 => Inv($"{ns / 1e6:0.#} ms"),
        _ => Inv($"{ns / 1e9:0.#} s"),
    };

    private static string FormatRate(double perSecond) => perSecond switch
    {
        >= 1e6 => Inv($"{perSecond / 1e6:0.##} M/s"),
        >= 1e3 => Inv($"{perSecond / 1e3:0.#} k/s"),
        _ => Inv($"{perSecond:0} /s"),
    };

    private static string FormatBytes(double perSecond) => perSecond >= 1e9 ? Inv($"{perSecond / 1e9:0.#} GB/s") : Inv($"{perSecond / 1e6:0} MB/s");

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
