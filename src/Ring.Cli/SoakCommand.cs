using System.CommandLine;

namespace Ring.Cli;

/// <summary>
/// <c>ring soak [faults|fuzz] [--option value ...]</c>: the reliability harnesses of bench/Ring.Soak. The arguments go
/// to <see cref="Ring.Soak.SoakProgram.Run"/> as they are (it has its own options and <c>--help</c>), so Main hands
/// them over before parsing; this command only lists <c>soak</c> in the tool's help.
/// </summary>
internal static class SoakCommand
{
    internal const string Name = "soak";

    internal static Command Create() => new(
        Name,
        "Soak topologies across processes checking every message (sequence, CRC-32C), kill parties with SIGKILL (soak faults), or corrupt a live segment (soak fuzz). 'ring soak --help' lists its options.");

    /// <summary>Runs the harness with the arguments after "soak".</summary>
    internal static int Run(string[] args) => Ring.Soak.SoakProgram.Run(args[1..]);
}
