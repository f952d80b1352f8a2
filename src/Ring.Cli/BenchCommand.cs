using System.CommandLine;
using Ring.Bench;

namespace Ring.Cli;

/// <summary><c>ring bench</c>: the cross-process harness of bench/Ring.Bench, run in this process; its children are <c>ring bench --child ...</c>.</summary>
internal static class BenchCommand
{
    internal const string Name = "bench";

    internal static Command Create()
    {
        BenchHost.ChildPrefix = [Name];
        var command = new Command(Name, BenchHost.Description + " Each cell starts a child process (this tool again). Never run two benchmarks at once.");
        BenchHost.Configure(command);
        return command;
    }
}
