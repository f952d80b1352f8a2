using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Ring.Cli;

/// <summary><c>ring stat NAME [--watch]</c>: one segment's header, parties and counters, read-only.</summary>
internal static class StatCommand
{
    internal static Command Create()
    {
        var directory = Cli.DirectoryOption();
        var name = Cli.NameArgument("The segment's name (or a full path).");
        var watch = new Option<bool>("--watch", "-w")
        {
            Description = "Refresh until Ctrl+C (in place on a terminal, one snapshot after another otherwise), with the rate of every counter since the previous refresh.",
        };
        var interval = new Option<string>("--interval")
        {
            Description = "Time between refreshes with --watch, e.g. 1s, 250ms.",
            DefaultValueFactory = _ => "1s",
        };
        var count = new Option<int>("--count", "-n")
        {
            Description = "With --watch, stop after this many refreshes (0: until Ctrl+C).",
        };
        var command = new Command("stat", "Show one segment: kind, sizes, age, fill; each process it records (role, pid, alive, how long it has run, a reader's lag); every counter (positions, messages, full stalls, sleeps, wake-ups, torn claims, ...). With --watch, rates per second. Reads only: attaches to nothing.")
        {
            name, directory, watch, interval, count,
        };
        command.SetAction(result => Cli.Run(() =>
        {
            string dir = Cli.RequireDirectory(result.GetValue(directory)!);
            string segment = result.GetValue(name)!;
            Cli.RequireValidName(segment, dir);
            TimeSpan every = Durations.Parse(result.GetValue(interval)!, "--interval");
            int n = result.GetValue(count);
            if (n < 0)
            {
                throw new CommandFailedException($"--count {n} is invalid: it must be 0 (no limit) or more.", ExitCodes.Usage);
            }

            return result.GetValue(watch) ? Watch(segment, dir, every, n) : Once(segment, dir);
        }));
        return command;
    }

    private static int Once(string name, string directory)
    {
        Cli.Out.Write(Render(RingSegment.Inspect(name, directory), null, TimeSpan.Zero));
        return ExitCodes.Ok;
    }

    private static int Watch(string name, string directory, TimeSpan interval, int count)
    {
        CancellationToken stop = Cli.InterruptToken();
        RingSegmentInfo? previous = null;
        long previousAt = 0;
        int shown = 0;

        // Each refresh inspects the file anew: a segment removed meanwhile ends the watch with an error.
        IRenderable Next()
        {
            RingSegmentInfo info = RingSegment.Inspect(name, directory);
            long now = Stopwatch.GetTimestamp();
            IRenderable view = Render(info, previous, previous is null ? TimeSpan.Zero : Stopwatch.GetElapsedTime(previousAt, now));
            previous = info;
            previousAt = now;
            shown++;
            return view;
        }

        bool More() => (count == 0 || shown < count) && !stop.WaitHandle.WaitOne(interval);

        if (Console.IsOutputRedirected)
        {
            Cli.Out.Write(Next());
            while (More())
            {
                Cli.Out.WriteLine();
                Cli.Out.Write(Next());
            }
        }
        else
        {
            Cli.Out.Live(Next()).AutoClear(false).Start(context =>
            {
                while (More())
                {
                    context.UpdateTarget(Next());
                    context.Refresh();
                }
            });
        }

        return stop.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    /// <summary>The view of one snapshot; with a previous one, the rate of each cumulative counter.</summary>
    private static IRenderable Render(RingSegmentInfo info, RingSegmentInfo? previous, TimeSpan elapsed)
    {
        var header = new Grid().AddColumn(new GridColumn().PadRight(2)).AddColumn();
        header.AddRow("[bold]segment[/]", $"{Markup.Escape(info.Name)}  ({Markup.Escape(info.Path)})");
        header.AddRow("[bold]kind[/]", $"{Markup.Escape(Format.Kind(info))}, layout version {info.LayoutVersion}{(info.CanInspectKind ? string.Empty : ": this tool cannot read its counters")}");
        if (info.Capacity > 0)
        {
            header.AddRow("[bold]capacity[/]", $"{Format.Bytes(info.Capacity)}, messages up to {Format.Bytes(info.MaxMessageLength)}");
            header.AddRow("[bold]fill[/]", Views.Fill(info));
        }

        header.AddRow("[bold]file[/]", Format.Bytes(info.Length));
        header.AddRow("[bold]created[/]", Views.When(info.CreatedAt));
        header.AddRow("[bold]stale[/]", info.IsStale ? "[yellow]yes[/]: every process it records is dead" : "no");

        Table parties = Views.NewTable("ROLE", "PID", "ALIVE", "RUNNING FOR", "LAG");
        foreach (RingParty party in info.Parties)
        {
            TimeSpan? age = party.IsAlive && party.Role != "owner" ? Format.ProcessAge(party.StartTime) : null;
            parties.AddRow(
                Markup.Escape(party.Role),
                party.ProcessId.ToString(CultureInfo.InvariantCulture),
                Views.Alive(party.IsAlive),
                age is TimeSpan a ? Format.Age(a) : Format.None,
                party.Lag is long lag ? Format.Bytes(lag) : Format.None);
        }

        var items = new List<IRenderable> { header, new Text(string.Empty), new Markup("[bold]Processes[/]"), parties };
        if (info.Counters.Count > 0)
        {
            bool rates = previous is not null && elapsed > TimeSpan.Zero;
            Table counters = rates
                ? Views.NewTable("COUNTER", "PARTY", "VALUE", "UNIT", "PER SECOND")
                : Views.NewTable("COUNTER", "PARTY", "VALUE", "UNIT");
            foreach (RingCounter c in info.Counters)
            {
                var cells = new List<string> { Markup.Escape(c.Name), Markup.Escape(c.Party ?? string.Empty), Views.Value(c), Markup.Escape(Views.Unit(c)) };
                if (rates)
                {
                    cells.Add(c.IsCumulative && Find(previous!, c) is long before ? Format.Rate((c.Value - before) / elapsed.TotalSeconds) : string.Empty);
                }

                counters.AddRow(cells.ToArray());
            }

            items.Add(new Text(string.Empty));
            items.Add(new Markup("[bold]Counters[/]"));
            items.Add(counters);
        }

        return new Rows(items);
    }

    private static long? Find(RingSegmentInfo info, RingCounter counter)
    {
        foreach (RingCounter c in info.Counters)
        {
            if (c.Name == counter.Name && c.Party == counter.Party)
            {
                return c.Value;
            }
        }

        return null;
    }
}
