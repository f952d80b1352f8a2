using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Ring.Bench;

/// <summary>
/// The lock cells: Ring's <see cref="SharedMutex"/> and an exclusive flock(2) on a file, each shared by the parent and
/// its child, and <see cref="Lock"/> shared by two threads of the parent as the in-process floor. A small file in
/// /dev/shm, mapped by both sides, holds the counter that the contended scenario increments under the lock and the
/// control words. The parent creates everything and removes it; the child only opens.
/// </summary>
internal static class LockTransport
{
    internal static CellResult RunParent(CellSpec spec, string resource)
    {
        if (spec.Transport == TransportKind.LockFloor)
        {
            return RunFloor(spec, resource);
        }

        string controlPath = ControlPath(resource);
        string lockPath = FlockPath(resource);
        string mutexName = MutexName(resource);
        bool mutexCreated = false;
        bool lockFileCreated = false;
        SharedMutex? mutex = null;
        int fd = -1;
        try
        {
            using SharedFile controlFile = SharedFile.Create(controlPath, LockControl.FileLength);
            if (spec.Transport == TransportKind.RingMutex)
            {
                mutex = SharedMutex.Create(mutexName, Options());
                mutexCreated = true;
            }
            else
            {
                new FileStream(lockPath, FileMode.CreateNew, FileAccess.ReadWrite).Dispose();
                lockFileCreated = true;
                fd = NativeMethods.OpenLockFile(lockPath);
            }

            using ChildHandle child = ChildHandle.Start(new ChildArgs(spec, resource, Environment.ProcessId));
            LockControl control;
            unsafe
            {
                control = new LockControl(controlFile.Pointer);
            }

            if (mutex is not null)
            {
                var side = new MutexSide(mutex);
                return Measure(ref side, spec, control, child);
            }
            else
            {
                var side = new FlockSide(fd);
                return Measure(ref side, spec, control, child);
            }
        }
        finally
        {
            mutex?.Dispose();
            if (fd >= 0)
            {
                NativeMethods.CloseFile(fd);
            }

            Cleanup.DeleteFile(controlPath);
            if (mutexCreated)
            {
                Cleanup.RemoveSegment(mutexName);
            }

            if (lockFileCreated)
            {
                Cleanup.DeleteFile(lockPath);
            }
        }
    }

    internal static void RunChild(ChildArgs args)
    {
        using SharedFile controlFile = SharedFile.Open(ControlPath(args.Resource));
        LockControl control;
        unsafe
        {
            control = new LockControl(controlFile.Pointer);
        }

        if (args.Spec.Transport == TransportKind.RingMutex)
        {
            using SharedMutex mutex = SharedMutex.Open(MutexName(args.Resource), Options());
            var side = new MutexSide(mutex);
            RunChildSide(ref side, args.Spec, control);
        }
        else
        {
            int fd = NativeMethods.OpenLockFile(FlockPath(args.Resource));
            try
            {
                var side = new FlockSide(fd);
                RunChildSide(ref side, args.Spec, control);
            }
            finally
            {
                NativeMethods.CloseFile(fd);
            }
        }
    }

    private static RingOptions Options() => new() { OpenTimeout = TimeSpan.FromSeconds(10), Directory = ShmFloorTransport.Directory };

    private static string ControlPath(string resource) => Path.Combine(ShmFloorTransport.Directory, resource + "-lock");

    private static string FlockPath(string resource) => Path.Combine(Path.GetTempPath(), resource + "-flock");

    private static string MutexName(string resource) => resource + "-mutex";

    private static CellResult Measure<T>(ref T side, CellSpec spec, LockControl control, ChildHandle child)
        where T : struct, ILockSide
    {
        try
        {
            child.WaitReady();
            if (spec.Scenario == ScenarioKind.LockUncontended)
            {
                CellResult result = LockDrivers.Uncontended(ref side, spec);
                control.Stop();
                child.Finish();
                return result;
            }

            CellResult contended;
            long parentPairs;
            try
            {
                contended = LockDrivers.Contended(ref side, spec, control, out parentPairs);
            }
            finally
            {
                control.Stop();
            }

            child.Finish();
            return LockDrivers.Verify(contended, control, parentPairs);
        }
        catch (Exception e)
        {
            control.Stop();
            return ParentSide.Failed(spec, child.Describe(e));
        }
    }

    /// <summary>The child: READY, then the contended loop, or (uncontended) holds its side open until told to stop.</summary>
    private static void RunChildSide<T>(ref T side, CellSpec spec, LockControl control)
        where T : struct, ILockSide
    {
        ChildSide.SignalReady();
        ChildSide.InjectFault();
        if (spec.Scenario == ScenarioKind.LockContended)
        {
            LockDrivers.ContendedPeer(ref side, control);
        }
        else
        {
            var waiter = default(Waiter);
            while (!control.Stopped)
            {
                Thread.Sleep(1);
                waiter.AfterSleep();
            }
        }
    }

    /// <summary>The floor: System.Threading.Lock, and for the contended scenario a second thread of this process.</summary>
    private static CellResult RunFloor(CellSpec spec, string resource)
    {
        string controlPath = ControlPath(resource);
        try
        {
            using SharedFile controlFile = SharedFile.Create(controlPath, LockControl.FileLength);
            LockControl control;
            unsafe
            {
                control = new LockControl(controlFile.Pointer);
            }

            var gate = new Lock();
            var side = new FloorSide(gate);
            if (spec.Scenario == ScenarioKind.LockUncontended)
            {
                return LockDrivers.Uncontended(ref side, spec);
            }

            Exception? peerError = null;
            var peer = new Thread(() =>
            {
                try
                {
                    var peerSide = new FloorSide(gate);
                    LockDrivers.ContendedPeer(ref peerSide, control);
                }
                catch (Exception e)
                {
                    peerError = e;
                }
            })
            {
                IsBackground = true,
                Name = "lock-floor peer",
            };
            peer.Start();
            CellResult result;
            long parentPairs;
            try
            {
                result = LockDrivers.Contended(ref side, spec, control, out parentPairs);
            }
            finally
            {
                control.Stop();
                peer.Join();
            }

            return peerError is null
                ? LockDrivers.Verify(result, control, parentPairs)
                : ParentSide.Failed(spec, $"the second thread failed: {peerError.GetType().Name}: {peerError.Message}");
        }
        catch (Exception e)
        {
            return ParentSide.Failed(spec, $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            Cleanup.DeleteFile(controlPath);
        }
    }
}

/// <summary>One side's lock as the lock drivers see it; structs, so that the calls are specialized and inlined.</summary>
internal interface ILockSide
{
    void Acquire();

    void Release();
}

/// <summary>Ring's SharedMutex: blocking Acquire (the mutex's own wait: Hybrid), cancelled by the cell's watchdog.</summary>
internal readonly struct MutexSide : ILockSide
{
    private readonly SharedMutex _mutex;
    private readonly CancellationToken _token;

    internal MutexSide(SharedMutex mutex)
    {
        _mutex = mutex;
        _token = Watchdog.Token;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Acquire() => _mutex.Acquire(_token);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Release() => _mutex.Release();
}

/// <summary>
/// flock(LOCK_EX) / flock(LOCK_UN) on this side's own open file (flock locks belong to the open file). A dead peer's
/// lock is released by the kernel, so a blocked acquire never outlives the child (killed at the cell's timeout).
/// </summary>
internal readonly struct FlockSide : ILockSide
{
    private readonly int _fd;

    internal FlockSide(int fd) => _fd = fd;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Acquire() => NativeMethods.LockExclusive(_fd);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Release() => NativeMethods.Unlock(_fd);
}

/// <summary>System.Threading.Lock: the in-process floor.</summary>
internal readonly struct FloorSide : ILockSide
{
    private readonly Lock _lock;

    internal FloorSide(Lock gate) => _lock = gate;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Acquire() => _lock.Enter();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Release() => _lock.Exit();
}

/// <summary>
/// The words both sides share, in a small /dev/shm file: the counter incremented under the lock (non-atomically, so
/// that a lock that lets two in loses increments), the phase the parent sets, and the child's pair count. Each on its
/// own 128 bytes.
/// </summary>
internal readonly unsafe struct LockControl
{
    internal const long FileLength = 4096;

    private const long Idle = 0;
    private const long Running = 1;
    private const long Stopping = 2;

    private readonly long* _counter;
    private readonly long* _phase;
    private readonly long* _peerPairs;

    internal LockControl(byte* mapping)
    {
        _counter = (long*)mapping;
        _phase = (long*)(mapping + 128);
        _peerPairs = (long*)(mapping + 256);
    }

    /// <summary>Read and written only under the lock: a plain (non-atomic) read-modify-write.</summary>
    internal long Counter
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref *_counter);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set => Volatile.Write(ref *_counter, value);
    }

    internal bool Started => Volatile.Read(ref *_phase) != Idle;

    internal bool Stopped => Volatile.Read(ref *_phase) == Stopping;

    internal long PeerPairs
    {
        get => Volatile.Read(ref *_peerPairs);
        set => Volatile.Write(ref *_peerPairs, value);
    }

    internal void Start() => Volatile.Write(ref *_phase, Running);

    internal void Stop() => Volatile.Write(ref *_phase, Stopping);
}

/// <summary>The lock scenarios, written once for the three locks.</summary>
internal static class LockDrivers
{
    private const int PairsPerCheck = 64;

    /// <summary>
    /// Acquire+release pairs back to back on one side; the other side only holds its object open. One timestamp per
    /// pair: each sample is the time from one pair's end to the next's, i.e. one pair plus one clock read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static CellResult Uncontended<T>(ref T side, CellSpec spec)
        where T : struct, ILockSide
    {
        CellPlan plan = spec.Plan;
        long warmupEnd = Drivers.AddTicks(Stopwatch.GetTimestamp(), plan.WarmupTicks);
        do
        {
            for (int i = 0; i < PairsPerCheck; i++)
            {
                side.Acquire();
                side.Release();
            }

            Watchdog.ThrowIfExpired();
        }
        while (Stopwatch.GetTimestamp() < warmupEnd);

        var histogram = new LatencyHistogram();
        long start = Stopwatch.GetTimestamp();
        long end = Drivers.AddTicks(start, plan.DurationTicks);
        long previous = start;
        long pairs = 0;
        while (pairs < plan.Count)
        {
            side.Acquire();
            side.Release();
            long now = Stopwatch.GetTimestamp();
            histogram.Record(now - previous);
            previous = now;
            pairs++;
            if (now >= end)
            {
                break;
            }

            if ((pairs & 0xFFFF) == 0)
            {
                Watchdog.ThrowIfExpired();
            }
        }

        double rate = pairs / Units.TicksToSeconds(previous - start);
        return histogram.ToResult(spec) with { MsgsPerSec = rate };
    }

    /// <summary>
    /// The measuring side of the contended scenario: starts the peer, then {acquire; counter++; release} in a loop,
    /// timing each acquire. The rate of both sides together is the counter's growth over the measured window, read
    /// under the lock at its first and last acquire. <paramref name="pairs"/>: all of this side's pairs, warm-up
    /// included, for <see cref="Verify"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static CellResult Contended<T>(ref T side, CellSpec spec, LockControl control, out long pairs)
        where T : struct, ILockSide
    {
        CellPlan plan = spec.Plan;
        pairs = 0;
        control.Start();
        long warmupEnd = Drivers.AddTicks(Stopwatch.GetTimestamp(), plan.WarmupTicks);
        do
        {
            for (int i = 0; i < PairsPerCheck; i++)
            {
                side.Acquire();
                control.Counter = control.Counter + 1;
                side.Release();
            }

            pairs += PairsPerCheck;
            Watchdog.ThrowIfExpired();
        }
        while (Stopwatch.GetTimestamp() < warmupEnd);

        var histogram = new LatencyHistogram();
        long end = long.MaxValue;
        long startTime = 0;
        long startCounter = 0;
        long endTime;
        long endCounter;
        long measured = 0;
        while (true)
        {
            long t0 = Stopwatch.GetTimestamp();
            side.Acquire();
            long t1 = Stopwatch.GetTimestamp();
            long value = control.Counter;
            control.Counter = value + 1;
            side.Release();
            pairs++;
            histogram.Record(t1 - t0);
            if (measured++ == 0)
            {
                startTime = t1;
                startCounter = value;
                end = Drivers.AddTicks(t1, plan.DurationTicks);
            }

            if (t1 >= end || measured >= plan.Count)
            {
                endTime = t1;
                endCounter = value;
                break;
            }

            if ((measured & 0x3FF) == 0)
            {
                Watchdog.ThrowIfExpired();
            }
        }

        control.Stop();
        CellResult latencies = histogram.ToResult(spec);
        CellResult rate = CellResult.FromRate(spec, endCounter - startCounter, endTime - startTime);
        return latencies with { MsgsPerSec = rate.MsgsPerSec };
    }

    /// <summary>The other side of the contended scenario: waits for the start, loops until the stop, reports its pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ContendedPeer<T>(ref T side, LockControl control)
        where T : struct, ILockSide
    {
        var waiter = default(Waiter);
        while (!control.Started)
        {
            waiter.SpinOnce();
        }

        long pairs = 0;
        while (!control.Stopped)
        {
            side.Acquire();
            control.Counter = control.Counter + 1;
            side.Release();
            if ((++pairs & 0x3FF) == 0)
            {
                Watchdog.ThrowIfExpired();
            }
        }

        control.PeerPairs = pairs;
    }

    /// <summary>
    /// Mutual exclusion held if no increment was lost: the counter equals both sides' pairs. A run in which the other
    /// side never got the lock was not contended and fails too.
    /// </summary>
    internal static CellResult Verify(CellResult result, LockControl control, long parentPairs)
    {
        long counter = control.Counter;
        long peerPairs = control.PeerPairs;
        if (peerPairs == 0)
        {
            return ParentSide.Failed(result.Spec, "not contended: the other side never acquired the lock during the run");
        }

        if (counter != parentPairs + peerPairs)
        {
            return ParentSide.Failed(result.Spec, string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"mutual exclusion failed: the shared counter is {counter}, but the sides made {parentPairs} + {peerPairs} = {parentPairs + peerPairs} increments"));
        }

        return result;
    }
}
