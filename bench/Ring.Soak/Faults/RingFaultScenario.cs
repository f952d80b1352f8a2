using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace Ring.Soak;

/// <summary>
/// Kill -9 of the writers and readers of any ring topology whose parties can be killed (<see cref="IRingTopology.SupportsFaults"/>).
/// Each kill first stops the victim with SIGSTOP, reads its phase and the ring's torn-claim count as they are at that
/// instant, then SIGKILLs it, so that the checks below are exact rather than probable:
/// <list type="bullet">
/// <item>a killed writer: every reader reads, before any message of the writer's successor, exactly the messages the
/// ledger says it committed, plus the one in flight if the writer was stopped between commit and ledger; a claim it left
/// uncommitted is skipped and counted once as torn (<c>torn-claims</c> + 1), and nothing else is;</item>
/// <item>a killed reader: its successor goes on from the first message not consumed (the one the dead reader was handling
/// may come again, once, and is counted as redelivered), losing and repeating nothing;</item>
/// <item>nobody hangs: after a delayed restart the survivors must have noticed the death (a wait that ended with the
/// peer dead), and after each restart the ring must move again, each within the timeout.</item>
/// </list>
/// A third of the writer kills hold a claim on purpose (the writer announces "held" and waits): the kill lands between
/// claim and commit for certain. Each writer process is a new incarnation with its own sequence numbers.
/// </summary>
internal sealed class RingFaultScenario(IRingTopology topology, FaultOptions options) : IFaultScenario
{
    private readonly List<Party> _writers = [];
    private readonly List<Party> _readers = [];
    private readonly string _name = $"ringfault-{Environment.ProcessId}-{topology.Name}";
    private ControlBlock? _control;
    private ITopologyInstance? _instance;
    private TopologySettings? _settings;
    private int _nextIncarnation;
    private long _tornCounted;
    private long _heldKills;

    public string Name => topology.Name;

    private ControlBlock Control => _control!;

    public void Start()
    {
        (int writers, int readers) = topology.DefaultParties;
        if (topology.Delivery != Delivery.EveryReaderGetsAll || readers > LedgerEntry.MaxReaders)
        {
            throw new ArgumentException($"--topology {topology.Name}: the fault harness accounts per reader in order (each reader gets every message), for at most {LedgerEntry.MaxReaders} readers");
        }

        _settings = new TopologySettings(options.Capacity, options.MaxSize, WaitStrategy.Hybrid, false, TimeSpan.FromMilliseconds(20), writers, readers);
        _control = ControlBlock.Create(writers + readers);
        RingSegment.Remove(_name);
        _instance = topology.Create(_name, _settings);
        for (int i = 0; i < writers; i++)
        {
            _writers.Add(new Party("writer", i, i));
        }

        for (int i = 0; i < readers; i++)
        {
            _readers.Add(new Party("reader", i, writers + i));
        }

        foreach (Party p in _writers.Concat(_readers))
        {
            Launch(p);
        }

        foreach (Party p in _writers.Concat(_readers))
        {
            WaitRunning(p);
        }
    }

    public KillRecord KillOne(int number, Random random)
    {
        CheckHealth();
        double pick = random.NextDouble();
        bool killWriter = pick < 0.65;
        bool hold = killWriter && pick >= 0.35;
        Party victim = killWriter ? _writers[random.Next(_writers.Count)] : _readers[random.Next(_readers.Count)];
        ControlSlot slot = Control.Slot(victim.Slot);
        int incarnation = (int)Volatile.Read(ref slot.Incarnation);
        if (hold)
        {
            Volatile.Write(ref slot.HoldRequest, 1);
            if (FaultProcesses.WaitFor(() => Volatile.Read(ref slot.Phase) == (long)WriterPhase.Held, options.Timeout) < 0)
            {
                return Fail(number, victim, "held claim", $"hang: writer {victim.Index} did not reach a held claim within {options.Timeout.TotalSeconds} s");
            }
        }
        else
        {
            Thread.Sleep(random.Next(0, 30));
        }

        List<Party> survivors = killWriter ? _readers : _writers;
        long[] noticedBefore = survivors.Select(s => Volatile.Read(ref Control.Slot(s.Slot).PeerDeaths)).ToArray();
        int pid = victim.Child!.ProcessId;
        FaultProcesses.Stop(pid, options.Timeout);
        var phase = (WriterPhase)Volatile.Read(ref slot.Phase);
        long reported = killWriter ? Volatile.Read(ref Control.Ledger(incarnation).Committed) : 0;
        long tornBefore = Torn();
        string atStop = killWriter ? _instance!.Describe() : string.Empty;
        victim.Child.Kill();
        victim.Child.Dispose();
        victim.Child = null;
        string phaseName = killWriter ? phase.ToString() : "reading";
        if (hold)
        {
            _heldKills++;
        }

        // Sometimes leave the victim dead for a while: the survivors must notice (a wait ends with the peer dead) by themselves.
        bool delayed = random.NextDouble() < 0.2;
        double noticed = 0;
        if (delayed)
        {
            // With one writer, the readers must see it dead (a wait ends with the writer dead). With others alive, a
            // reader sees no such end: it must get past the dead writer's uncommitted claim by itself (the torn-claim
            // count grows) and go on with the others' messages.
            long received = _readers.Sum(r => Volatile.Read(ref Control.Slot(r.Slot).Messages));
            Func<bool> noticedDeath = killWriter && _writers.Count > 1
                ? () => (phase != WriterPhase.Held || Torn() > tornBefore) && _readers.Sum(r => Volatile.Read(ref Control.Slot(r.Slot).Messages)) > received
                : () => survivors.Select((s, i) => Volatile.Read(ref Control.Slot(s.Slot).PeerDeaths) > noticedBefore[i]).All(x => x);
            noticed = FaultProcesses.WaitFor(noticedDeath, options.Timeout);
            if (noticed < 0)
            {
                return Fail(number, victim, phaseName, $"hang: the {(killWriter ? "readers" : "writers")} did not notice that {victim.Role} {victim.Index} (pid {pid}) died within {options.Timeout.TotalSeconds} s");
            }
        }

        if (killWriter)
        {
            Control.Slot(victim.Slot).Clear();
        }
        else
        {
            ClearReaderSlotForRestart(slot);
        }

        Launch(victim);
        WaitRunning(victim);
        if (killWriter)
        {
            int successor = (int)Volatile.Read(ref Control.Slot(victim.Slot).Incarnation);
            double recovered = FaultProcesses.WaitFor(
                () => _readers.All(r => Volatile.Read(ref Control.Ledger(successor).Expected(r.Index)) > 0) || Errors().Any(),
                options.Timeout);
            if (recovered < 0)
            {
                return Fail(number, victim, phaseName, $"hang: the readers did not get past writer incarnation {incarnation}'s messages to its successor's within {options.Timeout.TotalSeconds} s");
            }

            long tornDelta = Torn() - tornBefore;
            _tornCounted += tornDelta;
            var failures = new List<string>();
            var observed = new List<string>();
            foreach (Party r in _readers)
            {
                long read = Volatile.Read(ref Control.Ledger(incarnation).Expected(r.Index));
                observed.Add($"reader {r.Index} read {read}");
                if (CheckWriterKill(phase, reported, read, tornDelta) is string why)
                {
                    failures.Add($"reader {r.Index}: {why}");
                }
            }

            observed.Add($"torn +{tornDelta}");
            failures.AddRange(Errors());
            if (failures.Count > 0)
            {
                failures.Add($"the ring when the writer was stopped: {atStop}; after recovery: {_instance!.Describe()}");
            }

            return new KillRecord(number, $"writer {victim.Index} (incarnation {incarnation})", pid, phaseName, $"{reported} committed", string.Join(", ", observed), delayed, noticed, recovered,
                failures.Count == 0 ? null : string.Join("; ", failures));
        }
        else
        {
            double recovered = FaultProcesses.WaitFor(() => Volatile.Read(ref Control.Slot(victim.Slot).Messages) > 0 || Errors().Any(), options.Timeout);
            if (recovered < 0)
            {
                return Fail(number, victim, phaseName, $"hang: the restarted reader {victim.Index} read nothing within {options.Timeout.TotalSeconds} s");
            }

            long tornDelta = Torn() - tornBefore;
            _tornCounted += tornDelta;
            var failures = Errors().ToList();
            if (tornDelta != 0)
            {
                failures.Add($"killing a reader changed the torn-claim count by {tornDelta}");
            }

            return new KillRecord(number, $"reader {victim.Index}", pid, phaseName, "no loss, no repeat", $"torn +{tornDelta}, redelivered {Volatile.Read(ref slot.Redelivered)}", delayed, noticed, recovered,
                failures.Count == 0 ? null : string.Join("; ", failures));
        }
    }

    public IReadOnlyList<string> Finish()
    {
        var failures = new List<string>();
        if (_control is null)
        {
            return failures;
        }

        failures.AddRange(Errors());
        long torn = _instance is null ? 0 : Torn();
        if (torn < _heldKills)
        {
            failures.Add($"the ring counted {torn} torn claims, fewer than the {_heldKills} kills of a writer holding a claim");
        }

        Control.Stop = true;
        foreach (Party p in _writers.Concat(_readers))
        {
            if (p.Child is not null && !p.Child.WaitForExit(options.Timeout))
            {
                failures.Add($"hang: {p.Role} {p.Index} (pid {p.Child.ProcessId}) did not exit within {options.Timeout.TotalSeconds} s of being told to stop");
            }
        }

        return failures;
    }

    public IReadOnlyDictionary<string, long> Totals()
    {
        var totals = new Dictionary<string, long>
        {
            ["writer-incarnations"] = _nextIncarnation,
            ["kills-holding-a-claim"] = _heldKills,
            ["torn-claims-counted-by-the-ring"] = _instance is null ? 0 : Torn(),
            ["torn-claims-seen-after-kills"] = _tornCounted,
            ["messages-read"] = _readers.Sum(r => Enumerable.Range(0, _nextIncarnation).Sum(i => Control.Ledger(i).Expected(r.Index))),
        };
        if (_instance is not null)
        {
            foreach ((string key, long value) in _instance.ReadCounters())
            {
                totals["ring " + key] = value;
            }
        }

        return totals;
    }

    public void Dispose()
    {
        foreach (Party p in _writers.Concat(_readers))
        {
            p.Child?.Dispose();
        }

        _instance?.Dispose();
        _control?.Dispose();
    }

    /// <summary>
    /// The rules for a killed writer, by the phase it was stopped in. "read" is what the reader got of it, "reported" what
    /// its ledger said it committed, "torn" how much the ring's torn-claim count grew.
    /// </summary>
    internal static string? CheckWriterKill(WriterPhase phase, long reported, long read, long torn)
    {
        long extra = read - reported;
        if (extra < 0)
        {
            return $"{reported - read} committed messages lost (read {read}, committed {reported})";
        }

        bool ok = phase switch
        {
            WriterPhase.Idle => extra == 0 && torn == 0,
            WriterPhase.Claiming => extra == 0 && torn is 0 or 1,
            WriterPhase.Claimed => extra + torn == 1 && torn is 0 or 1,
            WriterPhase.Held => extra == 0 && torn == 1,
            WriterPhase.Recording => extra is 0 or 1 && torn == 0,
            _ => extra is 0 or 1 && torn is 0 or 1 && extra + torn <= 1,
        };
        return ok ? null : $"stopped {phase} with {reported} committed: read {read} and torn claims +{torn} break the rule for that phase";
    }

    private void Launch(Party p)
    {
        var settings = new List<string>
        {
            "ctl=" + Control.Path,
            ChildMain.Invariant($"slot={p.Slot}"),
            "topology=" + topology.Name,
            "name=" + _name,
            ChildMain.Invariant($"index={p.Index}"),
            ChildMain.Invariant($"max-size={options.MaxSize}"),
        };
        if (p.Role == "writer")
        {
            settings.Add(ChildMain.Invariant($"incarnation={_nextIncarnation++}"));
        }

        settings.AddRange(ChildMain.ToArgs(_settings!));
        p.Child = Child.Start("fault-" + p.Role, settings);
    }

    private void WaitRunning(Party p)
    {
        if (FaultProcesses.WaitFor(() => Control.Slot(p.Slot).State != SlotState.Starting || p.Child!.HasExited, TimeSpan.FromSeconds(60)) < 0 ||
            Control.Slot(p.Slot).State != SlotState.Running)
        {
            throw new FaultRunFailedException($"{p.Role} {p.Index} did not start: {p.Child!.ExitDescription()} {Control.Slot(p.Slot).Error} {p.Child.StandardError}".Trim());
        }
    }

    /// <summary>A restarted reader starts with a clean slot, except for the incarnation of the last message recorded (redelivery check).</summary>
    private static void ClearReaderSlotForRestart(ControlSlot slot)
    {
        long incarnation = slot.Incarnation;
        long redelivered = slot.Redelivered;
        long noticed = slot.PeerDeaths;
        slot.Clear();
        slot.Incarnation = incarnation;
        slot.Redelivered = redelivered;
        slot.PeerDeaths = noticed;
    }

    private long Torn() => _instance!.ReadCounters().TryGetValue("torn-claims", out long torn) ? torn : 0;

    private IEnumerable<string> Errors()
    {
        foreach (Party p in _writers.Concat(_readers))
        {
            string error = Control.Slot(p.Slot).Error;
            if (error.Length > 0)
            {
                yield return $"{p.Role} {p.Index}: {error}";
            }
        }
    }

    private void CheckHealth()
    {
        foreach (Party p in _writers.Concat(_readers))
        {
            if (p.Child is null || p.Child.HasExited)
            {
                throw new FaultRunFailedException($"{p.Role} {p.Index} exited on its own: {p.Child?.ExitDescription()} {Control.Slot(p.Slot).Error} {p.Child?.StandardError}".Trim());
            }

            long age = System.Diagnostics.Stopwatch.GetTimestamp() - Volatile.Read(ref Control.Slot(p.Slot).Heartbeat);
            if (age > options.Timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency)
            {
                throw new FaultRunFailedException($"hang: {p.Role} {p.Index} (pid {p.Child.ProcessId}) has not moved for {age / (double)System.Diagnostics.Stopwatch.Frequency:0.0} s");
            }
        }

        if (Errors().FirstOrDefault() is string error)
        {
            throw new FaultRunFailedException(error);
        }
    }

    private static KillRecord Fail(int number, Party victim, string phase, string failure) =>
        new(number, $"{victim.Role} {victim.Index}", 0, phase, string.Empty, string.Empty, false, 0, 0, failure);

    private sealed class Party(string role, int index, int slot)
    {
        internal string Role { get; } = role;

        internal int Index { get; } = index;

        internal int Slot { get; } = slot;

        internal Child? Child { get; set; }
    }
}

/// <summary>The run cannot go on (a process died by itself, hung, or reported an error).</summary>
internal sealed class FaultRunFailedException : Exception
{
    public FaultRunFailedException()
    {
    }

    public FaultRunFailedException(string message)
        : base(message)
    {
    }

    public FaultRunFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The fault harness's command line.</summary>
internal sealed record FaultOptions(string Topology, int Kills, int Seed, TimeSpan Timeout, long Capacity, int MaxSize, string? ReportPath, string CommandLine);
