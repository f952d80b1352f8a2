using System;

namespace Ring.Bench;

/// <summary>The parent's half of a cell once its child runs: the measuring side.</summary>
internal static class ParentSide
{
    /// <summary>
    /// Waits for the child's READY, runs the scenario's measuring driver, and checks that the child exited cleanly.
    /// Any failure becomes a failed result that carries both sides' story.
    /// </summary>
    internal static CellResult Measure<T>(ref T channel, CellSpec spec, ChildHandle child)
        where T : struct, IChannel
    {
        try
        {
            child.WaitReady();
            CellResult result = spec.Scenario switch
            {
                ScenarioKind.PingPong => Drivers.PingPong(ref channel, spec),
                ScenarioKind.Throughput => Drivers.ReceiveStream(ref channel, spec, batched: false),
                ScenarioKind.ThroughputBatch => Drivers.ReceiveStream(ref channel, spec, batched: true),
                _ => Drivers.ReceiveIdle(ref channel, spec),
            };
            child.Finish();
            return result;
        }
        catch (Exception e)
        {
            return Failed(spec, child.Describe(e));
        }
    }

    internal static CellResult Failed(CellSpec spec, string error) => new(spec) { Error = error };
}

/// <summary>The child's half of a cell: signals READY, then echoes (ping-pong) or sends (the one-way scenarios).</summary>
internal static class ChildSide
{
    internal static void Run<T>(ref T channel, ChildArgs args)
        where T : struct, IChannel
    {
        CellSpec spec = args.Spec;
        SignalReady();
        InjectFault();
        switch (spec.Scenario)
        {
            case ScenarioKind.PingPong:
                Drivers.Echo(ref channel, spec.MessageSize);
                break;
            case ScenarioKind.Throughput:
                Drivers.SendStream(ref channel, spec.MessageSize, spec.Plan, batched: false);
                break;
            case ScenarioKind.ThroughputBatch:
                Drivers.SendStream(ref channel, spec.MessageSize, spec.Plan, batched: true);
                break;
            default:
                Drivers.SendIdle(ref channel, spec.MessageSize, spec.Plan);
                break;
        }
    }

    /// <summary>
    /// Test hook for the harness's own robustness: RING_BENCH_CHILD_FAULT=hang makes every child hang after READY,
    /// =exit makes it exit with code 42; the parent must fail the cell, clean up and go on.
    /// </summary>
    internal static void InjectFault()
    {
        switch (Environment.GetEnvironmentVariable("RING_BENCH_CHILD_FAULT"))
        {
            case "hang":
                System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);
                break;
            case "exit":
                Console.Error.WriteLine("RING_BENCH_CHILD_FAULT=exit: exiting with code 42");
                Environment.Exit(42);
                break;
        }
    }

    internal static void SignalReady()
    {
        Console.Error.WriteLine(ChildHandle.ReadyLine);
        Console.Error.Flush();
    }

    /// <summary>Entry point of a child process (<c>Ring.Bench --child key=value ...</c>).</summary>
    internal static int RunChild(ReadOnlySpan<string> arguments)
    {
        // First: never outlive the parent, even if it is killed with SIGKILL.
        NativeMethods.KillMeWhenParentDies();
        string what = "child";
        try
        {
            ChildArgs args = ChildArgs.Parse(arguments);
            what = $"child ({args.Spec})";
            if (NativeMethods.ParentProcessId() != args.ParentProcessId)
            {
                // The parent died before the death signal was armed.
                Console.Error.WriteLine($"{what}: the parent process {args.ParentProcessId} is gone");
                return 3;
            }

            Watchdog.Arm(args.Spec.Plan.TimeoutTicks);
            switch (args.Spec.Transport)
            {
                case TransportKind.Pipe:
                    StreamTransport.RunPipeChild(args);
                    break;
                case TransportKind.Uds:
                    StreamTransport.RunUdsChild(args);
                    break;
                case TransportKind.ShmFloor:
                    ShmFloorTransport.RunChild(args);
                    break;
                case TransportKind.RingMutex or TransportKind.Flock:
                    LockTransport.RunChild(args);
                    break;
                case TransportKind.RingRr:
                    RequestResponseTransport.RunChild(args);
                    break;
                case TransportKind.RingMpsc or TransportKind.RingBroadcast or TransportKind.RingMpmc or TransportKind.RingSlots:
                    TopologyTransport.RunChild(args);
                    break;
                case TransportKind.RingFrag:
                    FragmentTransport.RunChild(args);
                    break;
                default:
                    RingTransport.RunChild(args);
                    break;
            }

            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"{what}: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }
}
