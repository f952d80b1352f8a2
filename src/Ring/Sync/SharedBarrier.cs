using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;

namespace Ring;

/// <summary>
/// A barrier of N participant processes with reusable phases, shared through a named segment
/// (<see cref="SharedBarrierDescriptor"/>), futex-backed. Each <see cref="SharedBarrier"/> object is one participant,
/// registered in the segment's participant table (pid and start time) when it is created or opened. A participant
/// that dies before it arrives breaks the barrier: every waiter fails with <see cref="SharedBarrierBrokenException"/>
/// naming it, within <see cref="RingOptions.LivenessCheckInterval"/>, instead of hanging. A broken barrier stays
/// broken; make a new one.
/// </summary>
public sealed unsafe class SharedBarrier : IDisposable
{
    private readonly PrimitiveCore _core;
    private readonly long* _progress;
    private readonly int* _broken;
    private readonly int _participants;
    private readonly int _slot;

    private SharedBarrier(Segment segment, RingOptions options)
    {
        _core = new PrimitiveCore(segment, options);
        _progress = _core.Memory.Int64At(SharedBarrierDescriptor.ProgressOffset);
        _broken = _core.Memory.Int32At(SharedBarrierDescriptor.BrokenOffset);
        _participants = _core.Memory.ReadInt32Acquire(SharedBarrierDescriptor.ParticipantsOffset);
        if (_participants < 1 || _participants > SharedBarrierDescriptor.MaxParticipants)
        {
            _core.Dispose();
            throw new RingFormatException(
                $"SharedBarrier '{segment.Name}' has {_participants} participants: the rule is 1 to {SharedBarrierDescriptor.MaxParticipants}.");
        }

        try
        {
            _slot = Register();
        }
        catch
        {
            _core.Dispose();
            throw;
        }
    }

    /// <summary>The segment's name.</summary>
    public string Name => _core.Name;

    /// <summary>How many participants each phase waits for.</summary>
    public int ParticipantCount => _participants;

    /// <summary>The number of the current phase (0 first; each completed phase adds 1).</summary>
    public long CurrentPhaseNumber => Volatile.Read(ref *_progress) >>> 32;

    /// <summary>True once a participant died before it arrived.</summary>
    public bool IsBroken => Volatile.Read(ref *_broken) != 0;

    /// <summary>Creates the barrier and joins it as its first participant (exclusive: fails if the name exists).</summary>
    /// <param name="name">The segment name, or a full path.</param>
    /// <param name="participantCount">How many participants each phase waits for: 1 to 200.</param>
    /// <param name="options">Directory, file mode, waiting.</param>
    public static SharedBarrier Create(string name, int participantCount, RingOptions? options = null)
    {
        if (participantCount < 1 || participantCount > SharedBarrierDescriptor.MaxParticipants)
        {
            throw new ArgumentOutOfRangeException(nameof(participantCount), participantCount,
                $"Participant count {participantCount} is invalid: it must be between 1 and {SharedBarrierDescriptor.MaxParticipants}.");
        }

        options ??= new RingOptions();
        return new SharedBarrier(
            Segment.Create(name, RingKind.Barrier, options, m => m.WriteInt32Plain(SharedBarrierDescriptor.ParticipantsOffset, participantCount)),
            options);
    }

    /// <summary>Opens an existing barrier and joins it as a participant.</summary>
    /// <exception cref="InvalidOperationException">Every participant slot is held by a live process.</exception>
    public static SharedBarrier Open(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new SharedBarrier(Segment.Open(name, RingKind.Barrier, options), options);
    }

    /// <summary>
    /// Arrives at the barrier and waits, up to <paramref name="timeout"/>, until all participants have arrived. True
    /// when the phase completed; false on timeout, in which case this arrival is withdrawn (unless the phase completed
    /// meanwhile, which then counts).
    /// </summary>
    /// <exception cref="SharedBarrierBrokenException">A participant died before it arrived.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (the arrival is withdrawn).</exception>
    public bool SignalAndWait(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        _core.ThrowIfDisposed();
        ThrowIfBroken();
        long progress = Volatile.Read(ref *_progress);
        long phase = progress >>> 32;

        // The arrival is written in the table before it is counted, so no one takes an arrived participant for missing.
        Volatile.Write(ref *ArrivedPhase(_slot), (int)(phase + 1));
        while (true)
        {
            int arrived = (int)progress;
            long next = arrived + 1 >= _participants ? (phase + 1) << 32 : progress + 1;
            long seen = Interlocked.CompareExchange(ref *_progress, next, progress);
            if (seen == progress)
            {
                if (arrived + 1 >= _participants)
                {
                    // The last one in starts the next phase and wakes the others (the CAS was the full fence).
                    _core.WakeIfSleeping();
                    return true;
                }

                break;
            }

            progress = seen;
            if (progress >>> 32 != phase)
            {
                throw new InvalidOperationException($"SharedBarrier '{Name}': phase {phase} completed without this participant: more processes signal than it has participants.");
            }
        }

        var condition = new PhaseCondition(this, phase);
        WaitOutcome outcome;
        try
        {
            outcome = _core.Wait(ref condition, timeout, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            if (Withdraw(phase))
            {
                throw;
            }

            return true;
        }

        _core.ThrowIfDisposed();
        if (CurrentPhaseNumber != phase)
        {
            return true;
        }

        ThrowIfBroken();
        return outcome == WaitOutcome.TimedOut && !Withdraw(phase);
    }

    /// <summary>Arrives and waits as long as it takes.</summary>
    /// <exception cref="SharedBarrierBrokenException">A participant died before it arrived.</exception>
    public void SignalAndWait(CancellationToken cancellationToken = default) => SignalAndWait(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Arrives and waits asynchronously (on a dedicated thread); false on timeout, as the synchronous form.</summary>
    public ValueTask<bool> SignalAndWaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _core.WaitAsync((ticks, ct) => SignalAndWait(PrimitiveCore.TimeoutOf(ticks), ct), timeout, cancellationToken);

    /// <summary>Leaves the participant table and unmaps the segment (the file stays).</summary>
    public void Dispose() => _core.Dispose(() => Volatile.Write(ref *EntryPid(_slot), 0));

    private int* EntryPid(int slot) => _core.Memory.Int32At(SharedBarrierDescriptor.TableOffset + (slot * SharedBarrierDescriptor.EntryLength));

    private int* ArrivedPhase(int slot) => EntryPid(slot) + 1;

    private long* EntryStartTime(int slot) => (long*)(EntryPid(slot) + 2);

    /// <summary>Takes a free slot, or the slot of a dead participant; refuses when every slot has a live holder.</summary>
    private int Register()
    {
        int me = ProcessLiveness.CurrentProcessId;
        for (int pass = 0; pass < 2; pass++)
        {
            for (int slot = 0; slot < _participants; slot++)
            {
                int holder = Volatile.Read(ref *EntryPid(slot));
                bool free = holder == 0 || (pass == 1 && !ProcessLiveness.IsAlive(holder, Volatile.Read(ref *EntryStartTime(slot))));
                if (!free)
                {
                    continue;
                }

                // Start time and arrival first, so that nobody pairs our pid with stale values.
                Volatile.Write(ref *EntryStartTime(slot), ProcessLiveness.CurrentStartTime);
                Volatile.Write(ref *ArrivedPhase(slot), (int)CurrentPhaseNumber);
                if (Interlocked.CompareExchange(ref *EntryPid(slot), me, holder) == holder)
                {
                    return slot;
                }
            }
        }

        throw new InvalidOperationException($"SharedBarrier '{Name}' has all its {_participants} participant slots held by live processes.");
    }

    /// <summary>Takes back this participant's arrival in <paramref name="phase"/>; false if the phase completed first.</summary>
    private bool Withdraw(long phase)
    {
        while (true)
        {
            long progress = Volatile.Read(ref *_progress);
            if (progress >>> 32 != phase)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref *_progress, progress - 1, progress) == progress)
            {
                Volatile.Write(ref *ArrivedPhase(_slot), (int)phase);
                return true;
            }
        }
    }

    private void ThrowIfBroken()
    {
        int pid = Volatile.Read(ref *_broken);
        if (pid != 0)
        {
            throw new SharedBarrierBrokenException(
                $"SharedBarrier '{Name}' is broken: participant process {pid} died before it arrived. Make a new barrier.", pid);
        }
    }

    /// <summary>Marks the barrier broken if a registered participant that has not arrived in <paramref name="phase"/> is dead.</summary>
    private bool FindDeadParticipant(long phase)
    {
        for (int slot = 0; slot < _participants; slot++)
        {
            int pid = Volatile.Read(ref *EntryPid(slot));
            if (pid == 0 || Volatile.Read(ref *ArrivedPhase(slot)) == (int)(phase + 1))
            {
                continue;
            }

            if (!ProcessLiveness.IsAlive(pid, Volatile.Read(ref *EntryStartTime(slot))))
            {
                Interlocked.CompareExchange(ref *_broken, pid, 0);
                _core.Site.Wake();
                return true;
            }
        }

        return false;
    }

    private readonly struct PhaseCondition(SharedBarrier barrier, long phase) : IWaitCondition
    {
        public bool IsSatisfied() => barrier._core.IsDisposed || barrier.CurrentPhaseNumber != phase || barrier.IsBroken;

        public bool IsPeerGone() => barrier.FindDeadParticipant(phase);
    }
}
