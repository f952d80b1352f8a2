using System;
using System.Collections.Generic;

namespace Ring.Soak;

/// <summary>
/// The reliability harnesses of Ring: the soak (<c>ring soak</c>), kill -9 fault injection (<c>ring soak faults</c>) and
/// corruption fuzzing (<c>ring soak fuzz</c>). Each runs the chosen topologies across child processes it starts itself
/// (this program again, with <c>--child</c>).
/// </summary>
public static class SoakProgram
{
    /// <summary>Exit code: every check passed.</summary>
    public const int Passed = 0;

    /// <summary>Exit code: a check failed (loss, repeat, corruption, hang, crash, heap growth).</summary>
    public const int Failed = 1;

    /// <summary>Exit code: the command line was wrong.</summary>
    public const int UsageError = 2;

    /// <summary>Runs Ring.Soak as a program.</summary>
    public static int Main(string[] args) => Run(args);

    /// <summary>
    /// The entry point for another program (the <c>ring</c> tool calls it for <c>ring soak ...</c> with the arguments
    /// after <c>soak</c>): <c>[faults|fuzz] [--option value ...]</c>; <c>--help</c> lists the options. Output goes to the
    /// console; returns <see cref="Passed"/>, <see cref="Failed"/> or <see cref="UsageError"/>.
    /// </summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && args[0] == Child.Flag)
        {
            return ChildMain.Run(args.AsSpan(1));
        }

        string command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "soak";
        ReadOnlySpan<string> rest = args.Length > 0 && !args[0].StartsWith('-') ? args.AsSpan(1) : args.AsSpan();
        if (rest.Contains("--help") || rest.Contains("-h") || command == "help")
        {
            Console.Out.WriteLine(Usage);
            return Passed;
        }

        try
        {
            return command switch
            {
                "soak" => SoakRunner.Run(rest),
                "faults" => FaultRunner.Run(rest),
                "fuzz" => FuzzRunner.Run(rest),
                _ => throw new ArgumentException($"unknown command '{command}': soak (the default), faults or fuzz"),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"ring soak: {e.Message}");
            Console.Error.WriteLine("ring soak --help lists the options.");
            return UsageError;
        }
    }

    private static string Usage => $$"""
        ring soak [soak|faults|fuzz] [options]    (Ring.Soak)

        soak: runs topologies across processes and checks every message (sequence number, writer id, CRC-32C).
          --topology NAMES       comma-separated: {{string.Join(", ", Names())}} (default one-to-one)
          --duration D           how long to send, e.g. 60s, 10m, 1h (default 60s)
          --rate N               messages per second per writer; 0 = as fast as possible (default 0)
          --writers N --readers N  processes per topology (default: the topology's own)
          --min-size N --max-size N  message sizes in bytes, uniform (default 24 and 256)
          --capacity N           ring capacity, e.g. 64K (default 64K)
          --strategy S           hybrid, busyspin, blocking, polling (default hybrid)
          --checksums            frame checksums on (RingOptions.FrameChecksums)
          --warmup D             time before the heap baseline (default: a sixth of the duration, at most 10s)
          --max-heap-growth MB   fail if a process's GC heap grows more after warm-up (default 32)
          --stall-timeout D      fail as hung if nothing moves this long (default 10s)
          --report PATH          write PATH.md and PATH.json (default ring-soak-UTCTIME in the current directory)
          --no-monitor           do not attach EventPipe to the children

        faults: kills writers and readers with SIGKILL at random moments (some between claim and commit), restarts them,
                and checks after each kill that nothing hangs, no committed message is lost and torn claims are counted.
          --topology NAME        one-to-one or mutex (default one-to-one)
          --kills N              (default 100)       --seed N     (default: time)
          --timeout D            longest a survivor may take to notice or recover (default 10s)
          --report PATH          also write PATH.md and PATH.json

        fuzz: a hostile process writes random bytes and field values into a live segment while a reader reads.
          --topology NAME        (default one-to-one)  --mutations N (default 100000)  --seed N
          --checksums BOOL       frame checksums on the fuzzed rings (default true; both are run with --both)
          --both                 half the mutations with checksums, half without
          --report PATH          also write PATH.md and PATH.json

        Exit code: 0 all checks passed, 1 a check failed, 2 bad command line.
        """;

    private static IEnumerable<string> Names()
    {
        foreach (IRingTopology t in Topologies.All)
        {
            yield return t.Name;
        }
    }
}
