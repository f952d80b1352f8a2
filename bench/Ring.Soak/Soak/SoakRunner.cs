using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;

namespace Ring.Soak;

/// <summary>
/// The soak's parent: creates each chosen topology, starts its writer and reader processes, watches them every second
/// (their control slots, the ring's counters, and each process's runtime counters over EventPipe), prints a progress
/// line, then stops the writers, waits until every message sent has arrived, checks, and writes the report. Fails on a
/// lost, repeated or corrupt message, on a hang (nothing moves for the stall timeout), on a child that dies or reports
/// an error, and on GC heap growth past the threshold after warm-up.
/// </summary>
internal static class SoakRunner
{
    /// <summary>The control block's shared word through which the parent asks every child for a full GC (1 after the warm-up, 2 at the end).</summary>
    internal const int CollectRequestWord = 5;

    private static readonly HashSet<string> FlagOptions = new(StringComparer.Ordinal) { "checksums", "no-monitor" };

    internal static int Run(ReadOnlySpan<string> args)
    {
        Args a = Args.ParseOptions(args, FlagOptions);
        var options = SoakOptions.From(a);
        a.ThrowOnUnknown();
        return new Session(options).Run();
    }

    /// <summary>One process of the soak and what was seen of it.</summary>
    internal sealed class Party(string topology, string role, int index, int slot)
    {
        internal string Topology { get; } = topology;

        internal string Role { get; } = role;

        internal int Index { get; } = index;

        internal int Slot { get; } = slot;

        internal Child? Child { get; set; }

        internal RuntimeMonitor? Monitor { get; set; }

        internal List<RuntimeSample> Samples { get; } = [];

        /// <summary>The last values the child's Ring meter published over EventPipe (instrument and tags to value).</summary>
        internal IReadOnlyDictionary<string, double> RingMeter { get; set; } = new Dictionary<string, double>();

        /// <summary>Live heap after a full GC at the end of the warm-up and at the end of the soak, in bytes (-1: not measured).</summary>
        internal long LiveHeapAfterWarmup { get; set; } = -1;

        internal long LiveHeapAtEnd { get; set; } = -1;

        internal double? HeapGrowthMB => LiveHeapAfterWarmup >= 0 && LiveHeapAtEnd >= 0 ? Math.Round((LiveHeapAtEnd - LiveHeapAfterWarmup) / (1024.0 * 1024.0), 3) : null;
    }

    /// <summary>One topology under soak.</summary>
    internal sealed class TopologyRun(IRingTopology topology, string name, TopologySettings settings)
    {
        internal IRingTopology Topology { get; } = topology;

        internal string Name { get; } = name;

        internal TopologySettings Settings { get; } = settings;

        internal ITopologyInstance? Instance { get; set; }

        internal List<Party> Writers { get; } = [];

        internal List<Party> Readers { get; } = [];

        internal long LastReceived { get; set; }

        internal long LastProgressTicks { get; set; }

        internal List<double[]> Throughput { get; } = [];

        internal IReadOnlyDictionary<string, long> Counters { get; set; } = new Dictionary<string, long>();
    }

    private sealed class Session(SoakOptions options)
    {
        private readonly List<TopologyRun> _runs = [];
        private readonly List<string> _failures = [];
        private readonly List<TopologyVerdict> _verdicts = [];
        private readonly bool _interactive = !Console.IsErrorRedirected;
        private ControlBlock? _control;
        private double _measuredSeconds;
        private volatile bool _interrupted;

        internal int Run()
        {
            // Ctrl+C or SIGTERM ends the sending early; the drain, the checks and the report still happen (the run fails as interrupted).
            using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Interrupt);
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Interrupt);
            MachineInfo machine = MachineInfo.Collect();
            DateTimeOffset started = DateTimeOffset.UtcNow;
            Console.Out.WriteLine($"ring soak: {string.Join(", ", options.Topologies.Select(t => t.Name))} for {options.Duration.TotalSeconds:0.#} s, " +
                $"{(options.Rate > 0 ? $"{options.Rate:0} msgs/s per writer" : "full rate")}, messages {options.MinSize}-{options.MaxSize} B, capacity {options.Capacity} B" +
                $"{(options.FrameChecksums ? ", frame checksums" : string.Empty)}, {options.Strategy}");
            Console.Out.WriteLine($"machine: {machine}");
            int slots = options.Topologies.Sum(t => options.PartiesOf(t).Writers + options.PartiesOf(t).Readers);
            try
            {
                _control = ControlBlock.Create(slots);
                StartAll();
                if (_failures.Count == 0)
                {
                    Soak();
                }

                if (_failures.Count == 0 || _interrupted)
                {
                    Drain();
                }

                Verify();
            }
            finally
            {
                foreach (Party p in _runs.SelectMany(r => r.Writers.Concat(r.Readers)))
                {
                    p.Monitor?.Dispose();
                    p.Child?.Dispose();
                }

                foreach (TopologyRun run in _runs)
                {
                    run.Instance?.Dispose();
                }

                _control?.Dispose();
            }

            var report = SoakReport.Build(options, machine, started, _measuredSeconds, _runs, _verdicts, _failures);
            SoakReport.Write(report, options.ReportPath);
            Console.Out.WriteLine(SoakReport.Summary(report));
            Console.Out.WriteLine($"report: {options.ReportPath}.md, {options.ReportPath}.json");
            return _failures.Count == 0 ? SoakProgram.Passed : SoakProgram.Failed;
        }

        private ControlBlock Control => _control!;

        private void Interrupt(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true;
            _interrupted = true;
        }

        private void StartAll()
        {
            int slot = 0;
            foreach (IRingTopology topology in options.Topologies)
            {
                (int writers, int readers) = options.PartiesOf(topology);
                var settings = new TopologySettings(options.Capacity, options.MaxSize, options.Strategy, options.FrameChecksums, TimeSpan.FromMilliseconds(100), writers, readers);
                string name = $"ringsoak-{Environment.ProcessId}-{topology.Name}";
                var run = new TopologyRun(topology, name, settings);
                _runs.Add(run);
                run.Instance = topology.Create(name, settings);
                for (int i = 0; i < writers; i++)
                {
                    run.Writers.Add(Start(run, "writer", i, slot++));
                }

                for (int i = 0; i < readers; i++)
                {
                    run.Readers.Add(Start(run, "reader", i, slot++));
                }
            }

            // Every child announces itself ready (its side is open) before anything is sent.
            var clock = Stopwatch.StartNew();
            foreach (Party p in AllParties())
            {
                while (Control.Slot(p.Slot).State == SlotState.Starting)
                {
                    if (p.Child!.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60))
                    {
                        _failures.Add($"{Describe(p)} did not start: {p.Child.ExitDescription()} {p.Child.StandardError} {Control.Slot(p.Slot).Error}".Trim());
                        return;
                    }

                    Thread.Sleep(10);
                }

                if (Control.Slot(p.Slot).State == SlotState.Failed)
                {
                    _failures.Add($"{Describe(p)} failed to start: {Control.Slot(p.Slot).Error}");
                    return;
                }
            }

            if (options.Monitor)
            {
                foreach (Party p in AllParties())
                {
                    p.Monitor = new RuntimeMonitor(p.Child!.ProcessId);
                }
            }
        }

        private Party Start(TopologyRun run, string role, int index, int slot)
        {
            var party = new Party(run.Topology.Name, role, index, slot);
            var settings = new List<string>
            {
                "ctl=" + Control.Path,
                ChildMain.Invariant($"slot={slot}"),
                "topology=" + run.Topology.Name,
                "name=" + run.Name,
                ChildMain.Invariant($"index={index}"),
                ChildMain.Invariant($"min-size={options.MinSize}"),
                ChildMain.Invariant($"max-size={options.MaxSize}"),
                ChildMain.Invariant($"rate={options.Rate}"),
            };
            settings.AddRange(ChildMain.ToArgs(run.Settings));
            party.Child = Child.Start("soak-" + role, settings);
            return party;
        }

        private void Soak()
        {
            long start = Stopwatch.GetTimestamp();
            foreach (TopologyRun run in _runs)
            {
                run.LastProgressTicks = start;
            }

            Control.Go = true;
            long nextSample = start + Stopwatch.Frequency;
            long end = start + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
            long lastPrint = 0;
            while (_failures.Count == 0)
            {
                long now = Stopwatch.GetTimestamp();
                if (now >= end)
                {
                    break;
                }

                if (_interrupted)
                {
                    _failures.Add($"interrupted after {(double)(now - start) / Stopwatch.Frequency:0.0} s of {options.Duration.TotalSeconds:0} s");
                    break;
                }

                Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, Math.Min(nextSample, end) - now) * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
                now = Stopwatch.GetTimestamp();
                if (now < nextSample && now < end)
                {
                    continue;
                }

                nextSample += Stopwatch.Frequency;
                double seconds = (double)(now - start) / Stopwatch.Frequency;
                if (seconds >= options.Warmup.TotalSeconds && Volatile.Read(ref Control.Shared(CollectRequestWord)) == 0)
                {
                    Volatile.Write(ref Control.Shared(CollectRequestWord), 1);
                }

                SampleAll(seconds, now);
                CheckAlive(now, running: true);
                if (_interactive || seconds - lastPrint >= 10 || seconds < 1.5)
                {
                    lastPrint = (long)seconds;
                    Progress(seconds);
                }
            }

            _measuredSeconds = (double)(Stopwatch.GetTimestamp() - start) / Stopwatch.Frequency;
            if (_interactive)
            {
                Console.Error.WriteLine();
            }

            MeasureLiveHeaps();
        }

        /// <summary>Asks every child for its live heap after a full GC, while all still run, and keeps both figures.</summary>
        private void MeasureLiveHeaps()
        {
            if (Volatile.Read(ref Control.Shared(CollectRequestWord)) != 1)
            {
                return; // the warm-up never ended (an early failure or interruption)
            }

            Volatile.Write(ref Control.Shared(CollectRequestWord), 2);
            var parties = AllParties().ToList();
            FaultProcesses.WaitFor(() => parties.All(p => Volatile.Read(ref Control.Slot(p.Slot).CollectionsDone) == 2 || p.Child!.HasExited), TimeSpan.FromSeconds(20));
            foreach (Party p in parties)
            {
                ControlSlot slot = Control.Slot(p.Slot);
                long done = Volatile.Read(ref slot.CollectionsDone);
                p.LiveHeapAfterWarmup = done >= 1 ? slot.LiveHeapAfterWarmup : -1;
                p.LiveHeapAtEnd = done == 2 ? slot.LiveHeapAtEnd : -1;
            }
        }

        /// <summary>Stops the writers, waits until everything sent has arrived (or nothing moves for the stall timeout), then releases the readers.</summary>
        private void Drain()
        {
            Control.Stop = true;
            long lastProgress = Stopwatch.GetTimestamp();
            long lastTotal = -1;
            long stall = (long)(options.StallTimeout.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                bool writersDone = _runs.All(r => r.Writers.All(w => Control.Slot(w.Slot).State is SlotState.Done or SlotState.Failed || w.Child!.HasExited));
                if (writersDone && _runs.All(Delivered))
                {
                    break;
                }

                long total = _runs.Sum(r => r.Readers.Sum(p => Volatile.Read(ref Control.Slot(p.Slot).Messages)) + r.Writers.Sum(p => Volatile.Read(ref Control.Slot(p.Slot).Messages)));
                long now = Stopwatch.GetTimestamp();
                if (total != lastTotal)
                {
                    lastTotal = total;
                    lastProgress = now;
                }
                else if (now - lastProgress > stall)
                {
                    _failures.Add($"hang: after the writers were told to stop, nothing moved for {options.StallTimeout.TotalSeconds:0.#} s " +
                        $"(writers done: {writersDone}; {string.Join("; ", _runs.Select(DeliveryState))})");
                    break;
                }

                CheckAlive(now, running: false);
                if (_failures.Count > 0)
                {
                    break;
                }

                Thread.Sleep(20);
            }

            Control.Finish = true;
            foreach (Party p in AllParties())
            {
                if (!p.Child!.WaitForExit(TimeSpan.FromSeconds(20)))
                {
                    _failures.Add($"hang: {Describe(p)} did not exit within 20 s of being told to finish");
                    p.Child.Kill();
                }
                else if (p.Child.ExitCode != 0)
                {
                    _failures.Add($"{Describe(p)} ended with {p.Child.ExitDescription()}: {Control.Slot(p.Slot).Error} {p.Child.StandardError}".Trim());
                }
            }

            SampleAll(_measuredSeconds, Stopwatch.GetTimestamp());
        }

        private bool Delivered(TopologyRun run)
        {
            for (int w = 0; w < run.Writers.Count; w++)
            {
                long sent = Volatile.Read(ref Control.Slot(run.Writers[w].Slot).Messages);
                if (run.Topology.Delivery == Delivery.EveryReaderGetsAll)
                {
                    if (run.Readers.Any(r => Control.Slot(r.Slot).Received[w] < sent))
                    {
                        return false;
                    }
                }
                else if (run.Readers.Sum(r => Control.Slot(r.Slot).Received[w]) < sent)
                {
                    return false;
                }
            }

            return true;
        }

        private string DeliveryState(TopologyRun run) =>
            $"{run.Topology.Name}: sent {run.Writers.Sum(w => Control.Slot(w.Slot).Messages)}, received {run.Readers.Sum(r => Control.Slot(r.Slot).Messages)}";

        private void SampleAll(double seconds, long now)
        {
            foreach (TopologyRun run in _runs)
            {
                foreach (Party p in run.Writers.Concat(run.Readers))
                {
                    if (p.Monitor is not null && !p.Child!.HasExited)
                    {
                        p.Samples.Add(p.Monitor.Sample(seconds));
                        IReadOnlyDictionary<string, double> meter = p.Monitor.MeterValues();
                        if (meter.Count > 0)
                        {
                            p.RingMeter = meter;
                        }
                    }
                }

                long received = run.Readers.Sum(r => Volatile.Read(ref Control.Slot(r.Slot).Messages));
                double previous = run.Throughput.Count == 0 ? 0 : run.Throughput[^1][0];
                double dt = Math.Max(1e-3, seconds - previous);
                run.Throughput.Add([Math.Round(seconds, 1), Math.Round((received - run.LastReceived) / dt)]);
                if (received != run.LastReceived)
                {
                    run.LastProgressTicks = now;
                }

                run.LastReceived = received;
                try
                {
                    run.Counters = run.Instance!.ReadCounters();
                }
                catch (Exception e) when (e is RingCorruptedException or InvalidOperationException)
                {
                    _failures.Add($"{run.Topology.Name}: reading the ring's counters failed: {e.Message}");
                }
            }
        }

        private void CheckAlive(long now, bool running)
        {
            long stall = (long)(options.StallTimeout.TotalSeconds * Stopwatch.Frequency);
            foreach (TopologyRun run in _runs)
            {
                if (running && now - run.LastProgressTicks > stall)
                {
                    _failures.Add($"hang: {run.Topology.Name}: no message arrived for {options.StallTimeout.TotalSeconds:0.#} s ({DeliveryState(run)})");
                }

                foreach (Party p in run.Writers.Concat(run.Readers))
                {
                    ControlSlot slot = Control.Slot(p.Slot);
                    string error = slot.Error;
                    if (error.Length > 0)
                    {
                        _failures.Add($"{Describe(p)}: {error}");
                    }
                    else if (p.Child!.HasExited && (running || p.Child.ExitCode != 0))
                    {
                        _failures.Add($"{Describe(p)} exited early: {p.Child.ExitDescription()} {p.Child.StandardError}".Trim());
                    }
                }
            }
        }

        private void Progress(double seconds)
        {
            var parts = new List<string>();
            foreach (TopologyRun run in _runs)
            {
                long received = run.LastReceived;
                double rate = run.Throughput.Count == 0 ? 0 : run.Throughput[^1][1];
                long lost = run.Readers.Sum(r => Control.Slot(r.Slot).Lost);
                long dup = run.Readers.Sum(r => Control.Slot(r.Slot).Duplicated);
                long corrupt = run.Readers.Sum(r => Control.Slot(r.Slot).Corrupt);
                double heap = run.Writers.Concat(run.Readers).Select(p => p.Samples.Count == 0 ? 0 : p.Samples[^1].GcHeapMB).DefaultIfEmpty(0).Max();
                parts.Add($"{run.Topology.Name} {Units.Rate(rate)}/s, {Units.Count(received)} msgs, lost {lost} dup {dup} corrupt {corrupt}, max heap {heap:0.0} MB");
            }

            string line = string.Create(CultureInfo.InvariantCulture, $"[{seconds,5:0}/{options.Duration.TotalSeconds:0} s] {string.Join(" | ", parts)}");
            if (_interactive)
            {
                Console.Error.Write("\r" + line.PadRight(Math.Min(Console.WindowWidth > 0 ? Console.WindowWidth - 1 : 160, 200)));
            }
            else
            {
                Console.Error.WriteLine(line);
            }
        }

        private IEnumerable<Party> AllParties() => _runs.SelectMany(r => r.Writers.Concat(r.Readers));

        private static string Describe(Party p) => $"{p.Topology} {p.Role} {p.Index} (pid {p.Child?.ProcessId})";

        private void Verify()
        {
            foreach (TopologyRun run in _runs)
            {
                TopologyVerdict verdict = TopologyVerdict.Compute(run, Control);
                _verdicts.Add(verdict);
                _failures.AddRange(verdict.Failures.Select(f => $"{run.Topology.Name}: {f}"));
            }

            bool measured = Volatile.Read(ref Control.Shared(CollectRequestWord)) == 2;
            foreach (Party p in AllParties())
            {
                if (p.Monitor?.Error is string error)
                {
                    _failures.Add($"{Describe(p)}: not watched: {error}");
                }

                if (!measured)
                {
                    continue;
                }

                if (p.HeapGrowthMB is not double growth)
                {
                    _failures.Add($"{Describe(p)}: its live heap was not measured after the warm-up and at the end (a full GC on request)");
                }
                else if (growth > options.MaxHeapGrowthMB)
                {
                    _failures.Add($"{Describe(p)}: the live heap after a full GC grew {growth:0.00} MB from the end of the warm-up to the end ({p.LiveHeapAfterWarmup} -> {p.LiveHeapAtEnd} bytes), past the threshold of {options.MaxHeapGrowthMB} MB");
                }
            }
        }
    }
}
