using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;

namespace Ring;

/// <summary>
/// A counting semaphore with a maximum, shared by processes through a named segment
/// (<see cref="SharedSemaphoreDescriptor"/>), futex-backed. The count only changes by compare-and-swap within
/// [0, maximum]: releasing beyond the maximum is refused with <see cref="SemaphoreFullException"/> and changes nothing,
/// so the count is exact under any interleaving and never drifts. Uncontended acquire and release make no system call.
/// Permits are not owned: a process that dies holding one does not give it back.
/// </summary>
public sealed unsafe class SharedSemaphore : IDisposable
{
    private readonly PrimitiveCore _core;
    private readonly int* _count;
    private readonly int _maximum;

    private SharedSemaphore(Segment segment, RingOptions options)
    {
        _core = new PrimitiveCore(segment, options);
        _count = _core.Memory.Int32At(SharedSemaphoreDescriptor.CountOffset);
        _maximum = _core.Memory.ReadInt32Acquire(SharedSemaphoreDescriptor.MaximumOffset);
        if (_maximum < 1 || (uint)*_count > (uint)_maximum)
        {
            int count = *_count;
            _core.Dispose();
            throw new RingFormatException($"SharedSemaphore '{segment.Name}' has count {count} and maximum {_maximum}: the rule is 0 <= count <= maximum, maximum >= 1.");
        }
    }

    /// <summary>The segment's name.</summary>
    public string Name => _core.Name;

    /// <summary>Permits available now.</summary>
    public int CurrentCount => Volatile.Read(ref *_count);

    /// <summary>The largest count, fixed at creation.</summary>
    public int MaximumCount => _maximum;

    /// <summary>Creates the semaphore (exclusive: fails if the name exists).</summary>
    /// <param name="name">The segment name, or a full path.</param>
    /// <param name="initialCount">Permits available at first: 0 to <paramref name="maximumCount"/>.</param>
    /// <param name="maximumCount">The largest count: at least 1.</param>
    /// <param name="options">Directory, file mode, waiting.</param>
    public static SharedSemaphore Create(string name, int initialCount, int maximumCount, RingOptions? options = null)
    {
        CheckCounts(initialCount, maximumCount);
        options ??= new RingOptions();
        return new SharedSemaphore(Segment.Create(name, RingKind.Semaphore, options, m => Initialize(m, initialCount, maximumCount)), options);
    }

    /// <summary>Opens an existing semaphore.</summary>
    public static SharedSemaphore Open(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new SharedSemaphore(Segment.Open(name, RingKind.Semaphore, options), options);
    }

    /// <summary>Creates the semaphore, or opens it if it exists; an existing one must have the maximum asked for.</summary>
    public static SharedSemaphore CreateOrOpen(string name, int initialCount, int maximumCount, RingOptions? options = null)
    {
        CheckCounts(initialCount, maximumCount);
        options ??= new RingOptions();
        var semaphore = new SharedSemaphore(Segment.CreateOrOpen(name, RingKind.Semaphore, options, m => Initialize(m, initialCount, maximumCount)), options);
        if (semaphore._maximum != maximumCount)
        {
            int existing = semaphore._maximum;
            semaphore.Dispose();
            throw new RingFormatException($"SharedSemaphore '{name}' exists with maximum {existing}, but maximum {maximumCount} was asked for.");
        }

        return semaphore;
    }

    /// <summary>Takes a permit if one is available, without waiting.</summary>
    public bool TryAcquire()
    {
        _core.ThrowIfDisposed();
        return TryTake();
    }

    /// <summary>Takes a permit, waiting up to <paramref name="timeout"/>; false if it expired.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (nothing taken).</exception>
    public bool TryAcquire(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        _core.ThrowIfDisposed();
        if (TryTake())
        {
            return true;
        }

        var condition = new AcquireCondition(this);
        _core.Wait(ref condition, timeout, cancellationToken);
        _core.ThrowIfDisposed();
        return condition.Taken;
    }

    /// <summary>Takes a permit, waiting as long as it takes.</summary>
    public void Acquire(CancellationToken cancellationToken = default) => TryAcquire(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Takes a permit asynchronously (on a dedicated thread); false if the timeout expired.</summary>
    public ValueTask<bool> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        _core.ThrowIfDisposed();
        return TryTake()
            ? new ValueTask<bool>(true)
            : _core.WaitAsync((ticks, ct) => TryAcquire(PrimitiveCore.TimeoutOf(ticks), ct), timeout, cancellationToken);
    }

    /// <summary>Gives back <paramref name="releaseCount"/> permits and wakes waiters; returns the count before.</summary>
    /// <exception cref="SemaphoreFullException">The count would exceed the maximum; nothing was released.</exception>
    public int Release(int releaseCount = 1)
    {
        if (releaseCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(releaseCount), releaseCount, $"Release count {releaseCount} is invalid: it must be at least 1.");
        }

        _core.ThrowIfDisposed();
        while (true)
        {
            int count = Volatile.Read(ref *_count);
            if (count > _maximum - releaseCount)
            {
                throw new SemaphoreFullException(
                    $"Releasing {releaseCount} into SharedSemaphore '{Name}' with count {count} would exceed its maximum {_maximum}; nothing was released.");
            }

            // The compare-and-swap is the full fence the wake-up protocol needs before the sleeper count is read.
            if (Interlocked.CompareExchange(ref *_count, count + releaseCount, count) == count)
            {
                _core.WakeIfSleeping();
                return count;
            }
        }
    }

    /// <summary>Unmaps the segment (the file stays).</summary>
    public void Dispose() => _core.Dispose();

    private static void CheckCounts(int initialCount, int maximumCount)
    {
        if (maximumCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maximumCount), maximumCount, $"Maximum count {maximumCount} is invalid: it must be at least 1.");
        }

        if (initialCount < 0 || initialCount > maximumCount)
        {
            throw new ArgumentOutOfRangeException(nameof(initialCount), initialCount,
                $"Initial count {initialCount} is invalid: it must be between 0 and the maximum count {maximumCount}.");
        }
    }

    private static void Initialize(SharedMemory memory, int initialCount, int maximumCount)
    {
        memory.WriteInt32Plain(SharedSemaphoreDescriptor.CountOffset, initialCount);
        memory.WriteInt32Plain(SharedSemaphoreDescriptor.MaximumOffset, maximumCount);
    }

    private bool TryTake()
    {
        while (true)
        {
            int count = Volatile.Read(ref *_count);
            if (count <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref *_count, count - 1, count) == count)
            {
                return true;
            }
        }
    }

    private struct AcquireCondition(SharedSemaphore semaphore) : IWaitCondition
    {
        public bool Taken;

        public bool IsSatisfied() => semaphore._core.IsDisposed || Taken || (Taken = semaphore.TryTake());

        public readonly bool IsPeerGone() => false;
    }
}
