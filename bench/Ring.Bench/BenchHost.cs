using System;
using System.Collections.Generic;
using System.CommandLine;

namespace Ring.Bench;

/// <summary>
/// How another program hosts this harness as one of its commands (the <c>ring</c> tool's <c>ring bench</c>): it adds
/// the harness's options and action to a command of its own, and routes the hidden child command line back here.
/// </summary>
/// <example>
/// <code>
/// if (args is ["bench", BenchHost.ChildFlag, ..]) return BenchHost.RunChild(args.AsSpan(2));
/// BenchHost.ChildPrefix = ["bench"];
/// var bench = new Command("bench", BenchHost.Description);
/// BenchHost.Configure(bench);
/// </code>
/// </example>
public static class BenchHost
{
    /// <summary>The first argument of a child's command line (after <see cref="ChildPrefix"/>).</summary>
    public const string ChildFlag = ChildArgs.Flag;

    /// <summary>What the harness measures, for a help text.</summary>
    public const string Description = Program.Description;

    /// <summary>
    /// Arguments that lead from the host's command line to the harness, put before <see cref="ChildFlag"/> when a
    /// child is started: <c>["bench"]</c> for <c>ring bench</c>; empty when Ring.Bench runs on its own. Children are
    /// started as this process's executable (through the dotnet host with the entry assembly, if run that way).
    /// </summary>
    public static IReadOnlyList<string> ChildPrefix { get; set; } = [];

    /// <summary>Adds the harness's options (<c>--transports</c>, <c>--scenarios</c>, ...) and its action to <paramref name="command"/>.</summary>
    public static void Configure(Command command) => Program.Configure(command);

    /// <summary>Runs one side of a cell as a child: the arguments after <see cref="ChildFlag"/>. Returns the exit code.</summary>
    public static int RunChild(ReadOnlySpan<string> arguments) => ChildSide.RunChild(arguments);
}
