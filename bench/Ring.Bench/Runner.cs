using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace Ring.Bench;

/// <summary>Runs the cells one after the other (never two at once: the machine may have two cores) and reports.</summary>
internal static class Runner
{
    private const int Cancelled = 130;

    internal static int Run(BenchSettings settings)
    {
        List<CellSpec> cells = Cells(settings);

        // Ctrl+C or SIGTERM: stop after the current cell, whose child is killed; finally blocks remove what it made.
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        Cleanup.RemoveStale();
        MachineInfo machine = MachineInfo.Collect();
        Console.Error.WriteLine($"Ring.Bench: {cells.Count} cells on {machine.Cpu}, {machine.Cores} cores. {settings.Describe()}");
        // With --repeat, every round runs every cell once, so that a slow spell of the machine spreads over cells
        // instead of spoiling all the runs of one.
        var runs = new List<CellResult>[cells.Count];
        for (int i = 0; i < cells.Count; i++)
        {
            runs[i] = new List<CellResult>(settings.Repeat);
        }

        long runStart = Stopwatch.GetTimestamp();
        for (int round = 0; round < settings.Repeat && !Watchdog.IsCancelled; round++)
        {
            for (int i = 0; i < cells.Count && !Watchdog.IsCancelled; i++)
            {
                CellSpec cell = cells[i];

                // Start each cell with a clean heap so that no collection lands in a measurement.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                long start = Stopwatch.GetTimestamp();
                CellResult result = RunCell(cell, i);
                runs[i].Add(result);
                string elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
                string label = settings.Repeat > 1 ? $"[{round + 1}.{i + 1}/{settings.Repeat}.{cells.Count}]" : $"[{i + 1}/{cells.Count}]";
                Console.Error.WriteLine($"{label} {cell}: {(result.Failed ? "FAILED: " + result.Error : Report.Summary(result))} ({elapsed} s)");
            }
        }

        var results = new List<CellResult>(cells.Count);
        foreach (List<CellResult> cellRuns in runs)
        {
            if (cellRuns.Count > 0)
            {
                results.Add(Median(cellRuns));
            }
        }

        Console.Error.WriteLine($"Done in {Stopwatch.GetElapsedTime(runStart).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s.");
        string markdown = Report.Markdown(results, machine, settings);
        Console.Out.Write(markdown);
        if (settings.MarkdownPath is not null)
        {
            File.WriteAllText(settings.MarkdownPath, markdown);
        }

        if (settings.JsonPath is not null)
        {
            File.WriteAllText(settings.JsonPath, Report.Json(results));
        }

        if (settings.SvgPath is not null)
        {
            string title = $"Ring.Bench, commit {machine.Commit}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC";
            string subtitle = $"{machine.Cpu}, {machine.Cores} cores, Linux {machine.Kernel}, {machine.Runtime}";
            File.WriteAllText(settings.SvgPath, SvgReport.Render(Report.Rows(results), title, subtitle));
        }

        if (Watchdog.IsCancelled)
        {
            return Cancelled;
        }

        return results.Exists(r => r.Failed) ? 1 : 0;
    }

    /// <summary>
    /// The meaningful combinations, in table order: message scenarios with message transports, one per size; lock
    /// scenarios with lock transports, once each (message size 0).
    /// </summary>
    internal static List<CellSpec> Cells(BenchSettings settings)
    {
        var cells = new List<CellSpec>();
        foreach (TransportKind transport in settings.Transports)
        {
            foreach (ScenarioKind scenario in settings.Scenarios)
            {
                if (!Names.Fits(transport, scenario))
                {
                    continue;
                }

                // A slot ring carries one fixed type: ring-slots runs its 32-byte struct once, whatever the sizes.
                foreach (int size in Names.IsLock(scenario) ? [0] : transport == TransportKind.RingSlots ? [32] : Names.IsFragmenting(transport) && !settings.SizesGiven ? BenchSettings.DefaultFragmentedSizes : settings.Sizes)
                {
                    if (size > BenchSettings.MaxUnfragmentedSize && !Names.TakesHugeMessages(transport))
                    {
                        continue;
                    }

                    cells.Add(new CellSpec(transport, scenario, size, settings.PlanFor(scenario, size)));
                }
            }
        }

        return cells;
    }

    /// <summary>
    /// A failed run if any failed; otherwise the run whose headline figure is the median: msgs/s for the throughput
    /// cells and lock-contended (pairs/s of both sides), else p50.
    /// </summary>
    private static CellResult Median(List<CellResult> cellRuns)
    {
        CellResult? failed = cellRuns.Find(r => r.Failed);
        if (failed is not null)
        {
            return failed;
        }

        bool byRate = cellRuns[0].Spec.Scenario == ScenarioKind.LockContended;
        cellRuns.Sort((a, b) => !byRate && a.P50Ns is long pa && b.P50Ns is long pb
            ? pa.CompareTo(pb)
            : (b.MsgsPerSec ?? 0).CompareTo(a.MsgsPerSec ?? 0));
        return cellRuns[cellRuns.Count / 2];
    }

    private static void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Console.Error.WriteLine($"{context.Signal}: stopping after the current cell.");
        Watchdog.Cancel();
        ChildHandle.KillCurrent();
    }

    private static CellResult RunCell(CellSpec spec, int index)
    {
        string resource = string.Create(CultureInfo.InvariantCulture, $"{Cleanup.Prefix}{Environment.ProcessId}-{index}");
        Watchdog.Arm(spec.Plan.TimeoutTicks);
        try
        {
            return spec.Transport switch
            {
                TransportKind.Pipe => StreamTransport.RunPipeParent(spec, resource),
                TransportKind.Uds => StreamTransport.RunUdsParent(spec, resource),
                TransportKind.ShmFloor => ShmFloorTransport.RunParent(spec, resource),
                TransportKind.RingMutex or TransportKind.Flock or TransportKind.LockFloor => LockTransport.RunParent(spec, resource),
                TransportKind.RingMpsc or TransportKind.RingBroadcast or TransportKind.RingMpmc or TransportKind.RingSlots => TopologyTransport.RunParent(spec, resource),
                TransportKind.RingRr => RequestResponseTransport.RunParent(spec, resource),
                TransportKind.RingFrag => FragmentTransport.RunParent(spec, resource),
                _ => RingTransport.RunParent(spec, resource),
            };
        }
        catch (Exception e)
        {
            // Setup failed before a child could tell its side.
            return ParentSide.Failed(spec, $"{e.GetType().Name}: {e.Message}");
        }
    }
}
