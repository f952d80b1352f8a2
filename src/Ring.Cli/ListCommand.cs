using System.CommandLine;
using System.Linq;
using Spectre.Console;

namespace Ring.Cli;

/// <summary><c>ring list</c>: every segment in the directory, read-only.</summary>
internal static class ListCommand
{
    internal static Command Create()
    {
        var directory = Cli.DirectoryOption();
        var command = new Command("list", "List the Ring segments in the directory: name, kind, capacity, fill, the processes each records (creator, writer, reader, ...) and whether each is alive, and a stale flag (every recorded process dead). Reads only: attaches to nothing. Files that are not Ring segments are listed after, with the reason.")
        {
            directory,
        };
        command.SetAction(result => Cli.Run(() => Run(Cli.RequireDirectory(result.GetValue(directory)!))));
        return command;
    }

    private static int Run(string directory)
    {
        SegmentScan scan = SegmentScan.Of(directory);
        IAnsiConsole console = Cli.Out;
        if (scan.Segments.Count == 0)
        {
            console.WriteLine($"No Ring segments in {directory}.");
        }
        else
        {
            Table table = Views.NewTable("NAME", "KIND", "CAPACITY", "FILL", "PARTIES", "STALE");
            foreach (RingSegmentInfo info in scan.Segments)
            {
                table.AddRow(
                    Markup.Escape(info.Name),
                    Markup.Escape(Format.Kind(info)),
                    Views.Capacity(info),
                    Views.Fill(info),
                    Views.Parties(info),
                    Views.Stale(info));
            }

            console.Write(table);
        }

        if (scan.Others.Count > 0)
        {
            console.WriteLine();
            console.WriteLine($"Not Ring segments ({scan.Others.Count}):");
            Table others = Views.NewTable("NAME", "WHY");
            foreach ((string name, string reason) in scan.Others.OrderBy(o => o.Name, System.StringComparer.Ordinal))
            {
                others.AddRow(new Text(name), new Text(reason));
            }

            console.Write(others);
        }

        return ExitCodes.Ok;
    }
}
