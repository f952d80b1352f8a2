using System;
using System.Collections.Generic;

namespace Ring.Soak;

/// <summary>
/// Something the fault harness kills parts of: it starts its processes, then for each kill picks a victim, kills it
/// with SIGKILL at a random moment, restarts it, waits (bounded) for the survivors to notice and recover, and checks what
/// must hold. <see cref="RingFaultScenario"/> serves every ring topology whose <see cref="IRingTopology.SupportsFaults"/>
/// is true; <see cref="MutexFaultScenario"/> is the one for <see cref="SharedMutex"/>.
/// </summary>
internal interface IFaultScenario : IDisposable
{
    string Name { get; }

    /// <summary>Creates the segments and starts the processes; returns when all of them run.</summary>
    void Start();

    /// <summary>One kill, restart and check. A failure is recorded in the returned record (and stops the run).</summary>
    KillRecord KillOne(int number, Random random);

    /// <summary>Stops the processes and makes the final checks; returns the failures.</summary>
    IReadOnlyList<string> Finish();

    /// <summary>Totals for the report (messages or increments, torn claims or abandonments, ...).</summary>
    IReadOnlyDictionary<string, long> Totals();
}

/// <summary>What one kill did and what was checked.</summary>
internal sealed record KillRecord(
    int Number,
    string Victim,
    int Pid,
    string Phase,
    string Expected,
    string Observed,
    bool DelayedRestart,
    double NoticedMs,
    double RecoveredMs,
    string? Failure);
