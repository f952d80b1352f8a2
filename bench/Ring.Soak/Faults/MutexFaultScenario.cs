using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace Ring.Soak;

/// <summary>
/// Kill -9 of processes that take turns at a <see cref="SharedMutex"/>. Each worker increments a counter in shared memory
/// under the mutex non-atomically (read, pause, write) and counts its own increments in its slot, also under the mutex,
/// so that whenever the mutex is free the counter equals the sum of the workers' counts. Each kill stops the victim
/// (SIGSTOP), reads whether it owns the mutex, then SIGKILLs it. Checked:
/// <list type="bullet">
/// <item>a victim that owned the mutex: the next acquirer gets <see cref="AbandonedMutexException"/> while holding it
/// (within the timeout: no hang), <c>AbandonmentCount</c> grows by exactly 1, and the acquirer repairs the counter from
/// the workers' counts;</item>
/// <item>a victim that did not own it: no abandonment is signalled;</item>
/// <item>a worker that acquires normally always finds the counter and the counts consistent and nobody else inside
/// (mutual exclusion, and no silent grant of an abandoned mutex);</item>
/// <item>after each restart the increments go on within the timeout.</item>
/// </list>
/// Two workers (this machine has two cores), restarted in the same slot so that their counts carry over.
/// </summary>
internal sealed class MutexFaultScenario(FaultOptions options) : IFaultScenario
{
    private const int Workers = 2;
    private const int Counter = 0;
    private const int Inside = 1;
    private readonly Child?[] _children = new Child?[Workers];
    private readonly string _name = $"ringfault-{Environment.ProcessId}-mutex";
    private ControlBlock? _control;
    private SharedMutex? _mutex;
    private long _ownerKills;

    public string Name => "mutex";

    private ControlBlock Control => _control!;

    public void Start()
    {
        _control = ControlBlock.Create(Workers);
        RingSegment.Remove(_name);
        _mutex = SharedMutex.Create(_name, Options());
        for (int i = 0; i < Workers; i++)
        {
            Launch(i);
        }
    }

    public KillRecord KillOne(int number, Random random)
    {
        CheckHealth();
        int victim = random.Next(Workers);
        Thread.Sleep(random.Next(0, 20));
        Child child = _children[victim]!;
        int pid = child.ProcessId;
        long abandonmentsBefore = _mutex!.AbandonmentCount;
        FaultProcesses.Stop(pid, options.Timeout);
        bool owner = _mutex.OwnerProcessId == pid;
        child.Kill();
        child.Dispose();
        _children[victim] = null;
        if (owner)
        {
            _ownerKills++;
        }

        var failures = new List<string>();
        double noticed = 0;
        if (owner)
        {
            // The survivor is waiting for the mutex (or about to): it must take it over within its liveness interval.
            noticed = FaultProcesses.WaitFor(() => _mutex.AbandonmentCount > abandonmentsBefore, options.Timeout);
            if (noticed < 0)
            {
                failures.Add($"hang: the mutex owned by the killed worker (pid {pid}) was not taken over within {options.Timeout.TotalSeconds} s");
            }
        }

        // Progress measured from the kill: the survivor goes on (after taking the mutex over, if it was the owner's).
        long afterKill = Increments();
        Launch(victim);
        double recovered = FaultProcesses.WaitFor(() => Increments() > afterKill + 10 || Errors().Any(), options.Timeout);
        if (recovered < 0)
        {
            failures.Add($"hang: no increment under the mutex within {options.Timeout.TotalSeconds} s of the restart");
        }

        long abandonments = _mutex.AbandonmentCount;
        if (abandonments != _ownerKills)
        {
            failures.Add($"{abandonments} abandonments signalled after {_ownerKills} kills of the owner");
        }

        failures.AddRange(Errors());
        return new KillRecord(number, $"worker {victim}", pid, owner ? "owned the mutex" : "did not own it",
            $"abandonments {_ownerKills}", $"abandonments {abandonments}", false, noticed, recovered, failures.Count == 0 ? null : string.Join("; ", failures));
    }

    public IReadOnlyList<string> Finish()
    {
        var failures = new List<string>();
        if (_control is null)
        {
            return failures;
        }

        Control.Stop = true;
        for (int i = 0; i < Workers; i++)
        {
            if (_children[i] is Child c && !c.WaitForExit(options.Timeout))
            {
                failures.Add($"hang: worker {i} did not exit within {options.Timeout.TotalSeconds} s of being told to stop");
            }
        }

        failures.AddRange(Errors());
        long counter = Volatile.Read(ref Control.Shared(Counter));
        if (counter != Increments())
        {
            failures.Add($"the counter under the mutex is {counter}, but the workers counted {Increments()} increments");
        }

        return failures;
    }

    public IReadOnlyDictionary<string, long> Totals() => new Dictionary<string, long>
    {
        ["increments"] = _control is null ? 0 : Increments(),
        ["counter"] = _control is null ? 0 : Control.Shared(Counter),
        ["kills-of-the-owner"] = _ownerKills,
        ["abandonments-signalled"] = _mutex?.AbandonmentCount ?? 0,
        ["repairs-by-the-next-owner"] = _control is null ? 0 : Enumerable.Range(0, Workers).Sum(i => Control.Slot(i).Redelivered),
    };

    public void Dispose()
    {
        foreach (Child? c in _children)
        {
            c?.Dispose();
        }

        _mutex?.Dispose();
        RingSegment.Remove(_name);
        _control?.Dispose();
    }

    /// <summary>The worker process: increments under the mutex until told to stop, repairing after an abandonment.</summary>
    internal static int RunWorker(Args a, ControlBlock control, ControlSlot slot)
    {
        using SharedMutex mutex = SharedMutex.Open(a.Required("name"), Options());
        int workers = a.Int("workers", Workers);
        slot.State = SlotState.Running;
        slot.Beat();
        while (!control.Stop)
        {
            bool abandoned = false;
            try
            {
                if (!mutex.TryAcquire(TimeSpan.FromMilliseconds(500)))
                {
                    slot.Beat();
                    continue;
                }
            }
            catch (AbandonedMutexException)
            {
                abandoned = true;
            }

            ref long counter = ref control.Shared(Counter);
            ref long inside = ref control.Shared(Inside);
            long sum = 0;
            for (int i = 0; i < workers; i++)
            {
                sum += Volatile.Read(ref control.Slot(i).Messages);
            }

            if (abandoned)
            {
                // The previous owner died inside: the counts are right (each is written last), the counter may be one ahead.
                Volatile.Write(ref counter, sum);
                Volatile.Write(ref inside, 0);
                Interlocked.Increment(ref slot.Redelivered);
            }
            else if (Volatile.Read(ref counter) != sum || Volatile.Read(ref inside) != 0)
            {
                slot.SetError($"the state under the mutex is torn (counter {counter}, counted increments {sum}, inside {inside}) but no abandonment was signalled");
            }

            if (Interlocked.Increment(ref inside) != 1)
            {
                slot.SetError("two processes were inside the mutex at once");
            }

            long value = Volatile.Read(ref counter);
            Thread.SpinWait(20);
            Volatile.Write(ref counter, value + 1);
            Volatile.Write(ref slot.Messages, slot.Messages + 1);
            Interlocked.Decrement(ref inside);
            mutex.Release();
            if ((slot.Messages & 255) == 0)
            {
                slot.Beat();
            }
        }

        slot.State = SlotState.Done;
        return 0;
    }

    private static RingOptions Options() => new() { LivenessCheckInterval = TimeSpan.FromMilliseconds(20), OpenTimeout = TimeSpan.FromSeconds(10) };

    private void Launch(int worker)
    {
        ControlSlot slot = Control.Slot(worker);
        slot.State = SlotState.Starting;
        slot.Phase = 0;
        _children[worker] = Child.Start("fault-mutex", ["ctl=" + Control.Path, ChildMain.Invariant($"slot={worker}"), "name=" + _name, ChildMain.Invariant($"workers={Workers}")]);
        if (FaultProcesses.WaitFor(() => slot.State != SlotState.Starting || _children[worker]!.HasExited, TimeSpan.FromSeconds(60)) < 0 || slot.State != SlotState.Running)
        {
            throw new FaultRunFailedException($"worker {worker} did not start: {_children[worker]!.ExitDescription()} {slot.Error} {_children[worker]!.StandardError}".Trim());
        }
    }

    private long Increments()
    {
        long sum = 0;
        for (int i = 0; i < Workers; i++)
        {
            sum += Volatile.Read(ref Control.Slot(i).Messages);
        }

        return sum;
    }

    private IEnumerable<string> Errors()
    {
        for (int i = 0; i < Workers; i++)
        {
            string error = Control.Slot(i).Error;
            if (error.Length > 0)
            {
                yield return $"worker {i}: {error}";
            }
        }
    }

    private void CheckHealth()
    {
        for (int i = 0; i < Workers; i++)
        {
            if (_children[i] is not Child c || c.HasExited)
            {
                throw new FaultRunFailedException($"worker {i} exited on its own: {_children[i]?.ExitDescription()} {Control.Slot(i).Error} {_children[i]?.StandardError}".Trim());
            }
        }

        if (Errors().FirstOrDefault() is string error)
        {
            throw new FaultRunFailedException(error);
        }
    }
}
