using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Ring.Bench;

namespace Ring.Cli;

/// <summary>
/// The <c>ring</c> tool. Exit codes: 0 success, 1 failure (the message on stderr names the value), 2 usage (unknown
/// option, bad value), 130 Ctrl+C.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // A benchmark cell's child: "ring bench --child key=value ...", hidden from the help.
        if (args.Length >= 2 && args[0] == BenchCommand.Name && args[1] == BenchHost.ChildFlag)
        {
            return BenchHost.RunChild(args.AsSpan(2));
        }

        // `ring soak ...`: the harness parses its own arguments (and starts its children as Ring.Soak itself).
        if (args.Length >= 1 && args[0] == SoakCommand.Name)
        {
            return SoakCommand.Run(args);
        }

        // A plain command named "ring" rather than a RootCommand, which takes its name from the entry assembly (Ring.Cli).
        var root = new Command("ring", "ring: list, inspect, tail, send to, receive from and remove Ring shared-memory segments, run the cross-process benchmark and the reliability harnesses. Every command takes --dir (default /dev/shm) and --help.")
        {
            ListCommand.Create(),
            StatCommand.Create(),
            TailCommand.Create(),
            SendCommand.Create(),
            RecvCommand.Create(),
            RemoveCommand.Create(),
            BenchCommand.Create(),
            SoakCommand.Create(),
        };
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (ParseError error in parsed.Errors)
            {
                Console.Error.WriteLine($"error: {error.Message}");
            }

            Console.Error.WriteLine($"Try '{Usage(parsed)} --help'.");
            return ExitCodes.Usage;
        }

        return parsed.Invoke();
    }

    private static string Usage(ParseResult parsed)
    {
        string command = parsed.CommandResult.Command.Name;
        return parsed.CommandResult.Command == parsed.RootCommandResult.Command ? "ring" : $"ring {command}";
    }
}
