using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;

namespace Ring;

/// <summary>
/// What the four synchronization primitives share: the mapped segment, the futex site, the waiting policy, blocking
/// waits that <see cref="Dispose"/> waits for, and the dedicated thread behind asynchronous waits.
/// </summary>
internal sealed unsafe class PrimitiveCore
{
    private readonly WaitPolicy _policy;
    private DedicatedAsyncWaiter? _asyncWaiter;
    private readonly DisposeGate _gate = new();
    private readonly IDisposable _metrics;

    internal PrimitiveCore(Segment segment, RingOptions options)
    {
        Segment = segment;
        Memory = segment.Memory;
        _policy = new WaitPolicy(options);
        Site = new FutexSite(
            Memory.Int32At(SyncDescriptor.SignalOffset),
            Memory.Int32At(SyncDescriptor.SleepersOffset),
            Memory.Int64At(SyncDescriptor.SleepsOffset),
            Memory.Int64At(SyncDescriptor.WakeupsOffset));
        _metrics = RingMetrics.Register(segment);
    }

    internal Segment Segment { get; }

    internal SharedMemory Memory { get; }

    internal FutexSite Site { get; }

    internal bool IsDisposed => _gate.IsClosed;

    internal string Name => Segment.Name;

    internal void ThrowIfDisposed()
    {
        if (_gate.IsClosed)
        {
            throw new ObjectDisposedException($"{Segment.Kind} '{Name}'");
        }
    }

    /// <summary>
    /// After a state change made with an interlocked instruction (a full fence: the W1/W2 of the wake-up protocol in
    /// <see cref="WaitLoop"/>), wakes the sleepers if there are any. Everyone is woken; each re-checks the state.
    /// </summary>
    internal void WakeIfSleeping()
    {
        if (Site.HasSleepers)
        {
            Site.Wake();
        }
    }

    /// <summary>
    /// Waits for <paramref name="condition"/> with the primitive's strategy. Returns Satisfied (also when disposed:
    /// the caller checks), TimedOut, or PeerGone when the condition reported a dead process.
    /// </summary>
    internal WaitOutcome Wait<TCondition>(ref TCondition condition, TimeSpan timeout, CancellationToken cancellationToken)
        where TCondition : struct, IWaitCondition
    {
        long deadline = WaitLoop.Deadline(timeout);
        _gate.Enter($"{Segment.Kind} '{Name}'");
        try
        {
            return WaitLoop.Wait(ref condition, _policy, Site, deadline, backOff: false, cancellationToken);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Runs <paramref name="wait"/> (given a timeout in ticks, or -1) on the primitive's dedicated thread.</summary>
    internal ValueTask<bool> WaitAsync(Func<long, CancellationToken, bool> wait, TimeSpan timeout, CancellationToken cancellationToken)
    {
        WaitLoop.CheckTimeout(timeout);
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        _asyncWaiter ??= new DedicatedAsyncWaiter(wait, $"{Segment.Kind} '{Name}'");
        return _asyncWaiter.WaitAsync(timeout == Timeout.InfiniteTimeSpan ? -1 : timeout.Ticks, cancellationToken);
    }

    /// <summary>The timeout an asynchronous wait was given, back from its ticks.</summary>
    internal static TimeSpan TimeoutOf(long ticks) => ticks < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(ticks);

    internal void Dispose(Action? beforeUnmap = null)
    {
        if (_gate.IsClosed)
        {
            return;
        }

        bool idle = _gate.Close(Site.Interrupt);

        _asyncWaiter?.Stop(TimeSpan.FromSeconds(5));
        beforeUnmap?.Invoke();
        _metrics.Dispose();

        // A thread that is still inside after 10 s keeps the mapping alive: leak it rather than crash.
        if (idle)
        {
            Segment.Dispose();
        }
    }
}
