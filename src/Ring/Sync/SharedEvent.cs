using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;

namespace Ring;

/// <summary>
/// An event shared by processes through a named segment (<see cref="SharedEventDescriptor"/>), futex-backed, in the
/// two modes of <see cref="EventResetMode"/>: manual-reset (once set, every waiter passes until it is reset) and
/// auto-reset (each set lets exactly one waiter pass, which resets it by compare-and-swap). Setting an event nobody
/// waits on makes no system call.
/// </summary>
public sealed unsafe class SharedEvent : IDisposable
{
    private readonly PrimitiveCore _core;
    private readonly int* _state;

    private SharedEvent(Segment segment, RingOptions options)
    {
        _core = new PrimitiveCore(segment, options);
        _state = _core.Memory.Int32At(SharedEventDescriptor.StateOffset);
        int mode = _core.Memory.ReadInt32Acquire(SharedEventDescriptor.ModeOffset);
        if (mode is not (0 or 1))
        {
            _core.Dispose();
            throw new RingFormatException($"SharedEvent '{segment.Name}' has mode {mode}: the rule is 0 (auto-reset) or 1 (manual-reset).");
        }

        Mode = mode == 1 ? EventResetMode.ManualReset : EventResetMode.AutoReset;
    }

    /// <summary>The segment's name.</summary>
    public string Name => _core.Name;

    /// <summary>Auto-reset or manual-reset, fixed at creation.</summary>
    public EventResetMode Mode { get; }

    /// <summary>True while the event is set.</summary>
    public bool IsSet => Volatile.Read(ref *_state) != 0;

    /// <summary>Creates the event (exclusive: fails if the name exists).</summary>
    public static SharedEvent Create(string name, EventResetMode mode, bool initialState = false, RingOptions? options = null)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, $"Event mode {(int)mode} is not AutoReset or ManualReset.");
        }

        options ??= new RingOptions();
        return new SharedEvent(Segment.Create(name, RingKind.Event, options, m => Initialize(m, mode, initialState)), options);
    }

    /// <summary>
    /// Creates an auto-reset event whose per-kind extension (<see cref="SyncDescriptor.ExtensionOffset"/>) is written by
    /// <paramref name="extend"/> before the header is published: a channel that uses the event's futex as its doorbell
    /// keeps its own description there (see <see cref="Layout.LaneMailboxDescriptor"/>).
    /// </summary>
    internal static SharedEvent CreateWithExtension(string name, RingOptions options, Action<SharedMemory> extend) =>
        new(Segment.Create(name, RingKind.Event, options, m =>
        {
            Initialize(m, EventResetMode.AutoReset, initialState: false);
            extend(m);
        }), options);

    /// <summary>The mapped segment and futex site (channels built on the event use them directly).</summary>
    internal PrimitiveCore Core => _core;

    /// <summary>Opens an existing event.</summary>
    public static SharedEvent Open(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new SharedEvent(Segment.Open(name, RingKind.Event, options), options);
    }

    /// <summary>Sets the event and wakes its waiters: all of them pass (manual-reset), or exactly one (auto-reset).</summary>
    public void Set()
    {
        _core.ThrowIfDisposed();

        // The exchange is the full fence the wake-up protocol needs before the sleeper count is read.
        Interlocked.Exchange(ref *_state, 1);
        _core.WakeIfSleeping();
    }

    /// <summary>Resets the event.</summary>
    public void Reset()
    {
        _core.ThrowIfDisposed();
        Interlocked.Exchange(ref *_state, 0);
    }

    /// <summary>Passes if the event is set (consuming it if auto-reset), without waiting.</summary>
    public bool TryWait()
    {
        _core.ThrowIfDisposed();
        return TryPass();
    }

    /// <summary>Waits until the event is set (consuming it if auto-reset), up to <paramref name="timeout"/>; false if it expired.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public bool Wait(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        _core.ThrowIfDisposed();
        if (TryPass())
        {
            return true;
        }

        var condition = new SetCondition(this);
        _core.Wait(ref condition, timeout, cancellationToken);
        _core.ThrowIfDisposed();
        return condition.Passed;
    }

    /// <summary>Waits asynchronously (on a dedicated thread); false if the timeout expired.</summary>
    public ValueTask<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        _core.ThrowIfDisposed();
        return TryPass()
            ? new ValueTask<bool>(true)
            : _core.WaitAsync((ticks, ct) => Wait(PrimitiveCore.TimeoutOf(ticks), ct), timeout, cancellationToken);
    }

    /// <summary>Unmaps the segment (the file stays).</summary>
    public void Dispose() => _core.Dispose();

    private static void Initialize(SharedMemory memory, EventResetMode mode, bool initialState)
    {
        memory.WriteInt32Plain(SharedEventDescriptor.StateOffset, initialState ? 1 : 0);
        memory.WriteInt32Plain(SharedEventDescriptor.ModeOffset, mode == EventResetMode.ManualReset ? 1 : 0);
    }

    private bool TryPass() => Mode == EventResetMode.ManualReset
        ? Volatile.Read(ref *_state) != 0
        : Interlocked.CompareExchange(ref *_state, 0, 1) == 1;

    private struct SetCondition(SharedEvent e) : IWaitCondition
    {
        public bool Passed;

        public bool IsSatisfied() => e._core.IsDisposed || Passed || (Passed = e.TryPass());

        public readonly bool IsPeerGone() => false;
    }
}
