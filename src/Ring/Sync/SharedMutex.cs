using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;

namespace Ring;

/// <summary>
/// A mutex shared by processes through a named segment (<see cref="SharedMutexDescriptor"/>), futex-backed, that
/// survives the death of its owner: the lock word holds the owner's pid and start time, so a waiter that finds the
/// owner dead takes the mutex over and is told so with an <see cref="AbandonedMutexException"/> — while holding it —
/// so that it can repair what the dead owner was changing. Never a silent grant, never a deadlock.
/// </summary>
/// <remarks>
/// Ownership belongs to this object (not to a thread), so that an asynchronous acquire can be released from whichever
/// thread the continuation runs on. It is not re-entrant: acquiring again through an object that holds the mutex
/// throws <see cref="LockRecursionException"/>. Uncontended acquire and release are one compare-and-swap each, with no
/// system call. A dead owner is noticed by waiters within <see cref="RingOptions.LivenessCheckInterval"/>.
/// </remarks>
public sealed unsafe class SharedMutex : IDisposable
{
    private readonly PrimitiveCore _core;
    private readonly long* _owner;
    private readonly long _identity = ProcessLiveness.CurrentIdentity;
    private bool _held;

    private SharedMutex(Segment segment, RingOptions options)
    {
        _core = new PrimitiveCore(segment, options);
        _owner = _core.Memory.Int64At(SharedMutexDescriptor.OwnerOffset);
    }

    /// <summary>The segment's name.</summary>
    public string Name => _core.Name;

    /// <summary>True while this object holds the mutex.</summary>
    public bool IsHeld => _held;

    /// <summary>The pid of the process holding the mutex, or 0 if it is free.</summary>
    public int OwnerProcessId => ProcessLiveness.ProcessIdOf(Volatile.Read(ref *_owner));

    /// <summary>How many times an acquirer took this mutex from a dead owner.</summary>
    public long AbandonmentCount => Volatile.Read(ref *_core.Memory.Int64At(SharedMutexDescriptor.AbandonmentsOffset));

    /// <summary>Creates the mutex, free (exclusive: fails if the name exists).</summary>
    public static SharedMutex Create(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new SharedMutex(Segment.Create(name, RingKind.Mutex, options), options);
    }

    /// <summary>Opens an existing mutex.</summary>
    public static SharedMutex Open(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new SharedMutex(Segment.Open(name, RingKind.Mutex, options), options);
    }

    /// <summary>Creates the mutex, or opens it if it exists.</summary>
    public static SharedMutex CreateOrOpen(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new SharedMutex(Segment.CreateOrOpen(name, RingKind.Mutex, options), options);
    }

    /// <summary>
    /// Takes the mutex if it is free, or if its owner is dead, without waiting. Returns false if a live process holds it.
    /// </summary>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it; this object now holds it.</exception>
    /// <exception cref="LockRecursionException">This object already holds it.</exception>
    public bool TryAcquire()
    {
        BeforeAcquire();
        if (TryTake())
        {
            return true;
        }

        long owner = Volatile.Read(ref *_owner);
        return owner != 0 && TryTakeFromDead(owner);
    }

    /// <summary>
    /// Takes the mutex, waiting up to <paramref name="timeout"/> with the options' <see cref="WaitStrategy"/>. Returns
    /// false if the timeout expired.
    /// </summary>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it; this object now holds it.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (not acquired).</exception>
    /// <exception cref="LockRecursionException">This object already holds it.</exception>
    public bool TryAcquire(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        BeforeAcquire();
        if (TryTake())
        {
            return true;
        }

        var condition = new AcquireCondition(this);
        WaitOutcome outcome = _core.Wait(ref condition, timeout, cancellationToken);
        _core.ThrowIfDisposed();
        if (condition.AbandonedBy != 0)
        {
            throw Abandoned(condition.AbandonedBy);
        }

        return outcome == WaitOutcome.Satisfied && _held;
    }

    /// <summary>Takes the mutex, waiting as long as it takes.</summary>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it; this object now holds it.</exception>
    public void Acquire(CancellationToken cancellationToken = default) =>
        TryAcquire(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// Takes the mutex asynchronously (the wait runs on a dedicated thread, never a thread-pool thread). True when
    /// acquired, false when the timeout expired; faults with <see cref="AbandonedMutexException"/> as the synchronous form.
    /// </summary>
    public ValueTask<bool> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        BeforeAcquire();
        if (TryTake())
        {
            return new ValueTask<bool>(true);
        }

        return _core.WaitAsync((ticks, ct) => TryAcquire(PrimitiveCore.TimeoutOf(ticks), ct), timeout, cancellationToken);
    }

    /// <summary>Releases the mutex and wakes a waiter if any sleeps.</summary>
    /// <exception cref="SynchronizationLockException">This object does not hold the mutex.</exception>
    public void Release()
    {
        _core.ThrowIfDisposed();
        if (!_held)
        {
            throw new SynchronizationLockException($"SharedMutex '{Name}' is not held by this object: only the holder may release it.");
        }

        _held = false;

        // The compare-and-swap is the full fence the wake-up protocol needs before the sleeper count is read.
        long seen = Interlocked.CompareExchange(ref *_owner, 0, _identity);
        if (seen != _identity)
        {
            throw new SynchronizationLockException(
                $"SharedMutex '{Name}' was held by this object, but its lock word now names process {ProcessLiveness.ProcessIdOf(seen)}: the segment was changed under it.");
        }

        _core.WakeIfSleeping();
    }

    /// <summary>Releases the mutex if this object holds it, then unmaps the segment (the file stays).</summary>
    public void Dispose() => _core.Dispose(() =>
    {
        if (_held)
        {
            _held = false;
            Interlocked.CompareExchange(ref *_owner, 0, _identity);
            _core.WakeIfSleeping();
        }
    });

    private void BeforeAcquire()
    {
        _core.ThrowIfDisposed();
        if (_held)
        {
            throw new LockRecursionException($"SharedMutex '{Name}' is already held by this object: it is not re-entrant.");
        }
    }

    private bool TryTake()
    {
        if (Interlocked.CompareExchange(ref *_owner, _identity, 0) == 0)
        {
            _held = true;
            return true;
        }

        return false;
    }

    /// <summary>If <paramref name="owner"/> is dead, swaps the lock word from it to this process; throws the abandonment.</summary>
    private bool TryTakeFromDead(long owner)
    {
        if (!TakeFromDead(owner))
        {
            return false;
        }

        throw Abandoned(ProcessLiveness.ProcessIdOf(owner));
    }

    private AbandonedMutexException Abandoned(int deadOwner) => new(
        $"SharedMutex '{Name}': its owner, process {deadOwner}, died holding it. This object holds it now; repair the state it protects.");

    private bool TakeFromDead(long owner)
    {
        if (ProcessLiveness.IsAlive(owner) || Interlocked.CompareExchange(ref *_owner, _identity, owner) != owner)
        {
            return false;
        }

        _held = true;
        Interlocked.Increment(ref *_core.Memory.Int64At(SharedMutexDescriptor.AbandonmentsOffset));
        return true;
    }

    private struct AcquireCondition(SharedMutex mutex) : IWaitCondition
    {
        public int AbandonedBy;

        public readonly bool IsSatisfied() => mutex._core.IsDisposed || mutex._held || mutex.TryTake();

        public bool IsPeerGone()
        {
            long owner = Volatile.Read(ref *mutex._owner);
            if (owner != 0 && mutex.TakeFromDead(owner))
            {
                AbandonedBy = ProcessLiveness.ProcessIdOf(owner);
            }

            // Never "gone" for the caller: a dead owner's mutex is taken over, and IsSatisfied then says so.
            return false;
        }
    }
}
