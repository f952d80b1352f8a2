using System;
using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Ring.Cli;

/// <summary>Pieces of output that <c>list</c> and <c>stat</c> share.</summary>
internal static class Views
{
    internal static string Alive(bool alive) => alive ? "[green]alive[/]" : "[red]dead[/]";

    /// <summary>"creator 1234 dead, writer 1240 alive".</summary>
    internal static string Parties(RingSegmentInfo info)
    {
        var sb = new StringBuilder();
        foreach (RingParty party in info.Parties)
        {
            if (sb.Length > 0)
            {
                sb.Append(", ");
            }

            sb.Append(Markup.Escape(party.Role)).Append(' ').Append(party.ProcessId.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Alive(party.IsAlive));
        }

        return sb.ToString();
    }

    /// <summary>"1.2 KiB (0.1%)", or a dash for kinds without a data region.</summary>
    internal static string Fill(RingSegmentInfo info)
    {
        if (info.BytesPending is not long pending || info.Capacity <= 0)
        {
            return Format.None;
        }

        double percent = 100.0 * pending / info.Capacity;
        return string.Create(CultureInfo.InvariantCulture, $"{Format.Bytes(pending)} ({percent:0.#}%)");
    }

    internal static string Capacity(RingSegmentInfo info) => info.Capacity > 0 ? Format.Bytes(info.Capacity) : Format.None;

    internal static string Stale(RingSegmentInfo info) => info.IsStale ? "[yellow]stale[/]" : string.Empty;

    internal static Table NewTable(params string[] columns)
    {
        var table = new Table().Border(TableBorder.None).ShowHeaders();
        foreach (string column in columns)
        {
            table.AddColumn(new TableColumn($"[bold]{column}[/]").PadRight(2));
        }

        return table;
    }

    /// <summary>A counter's value: bytes as sizes with the exact count beside them, the rest as counts.</summary>
    internal static string Value(RingCounter counter) =>
        counter.Unit == "By" && counter.Value >= 1024 ? $"{Format.Count(counter.Value)} ({Format.Bytes(counter.Value)})" : Format.Count(counter.Value);

    /// <summary>"bytes", "message", "1" stays "1".</summary>
    internal static string Unit(RingCounter counter) => counter.Unit == "By" ? "bytes" : counter.Unit.Trim('{', '}');

    internal static string When(DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"{at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({Format.Age(DateTimeOffset.UtcNow - at)} ago)");
}
