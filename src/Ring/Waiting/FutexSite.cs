using System.Threading;

namespace Ring;

/// <summary>
/// One place a party sleeps: a futex word (the signal, a sequence the waker bumps before it wakes) and the count of
/// sleepers the waker checks so that it makes no system call when nobody sleeps.
/// </summary>
internal sealed unsafe class FutexSite
{
    /// <summary>True where futex is available (Linux x64 and arm64).</summary>
    internal static readonly bool IsFutexSupported = Interop.SyscallNumbers.IsSupported;

    internal FutexSite(int* signal, int* sleepers, long* sleepCounter, long* wakeCounter)
    {
        Signal = signal;
        Sleepers = sleepers;
        SleepCounter = sleepCounter;
        WakeCounter = wakeCounter;
    }

    internal int* Signal { get; }

    internal int* Sleepers { get; }

    /// <summary>Counter of sleeps (incremented atomically: several processes may share it).</summary>
    internal long* SleepCounter { get; }

    /// <summary>Counter of wake-ups (incremented atomically).</summary>
    internal long* WakeCounter { get; }

    /// <summary>True if some party is inside the sleep protocol. Call after <see cref="AsymmetricFence.Light"/>.</summary>
    internal bool HasSleepers => Volatile.Read(ref *Sleepers) != 0;

    /// <summary>Bumps the signal and wakes every sleeper; counts the wake-up.</summary>
    internal void Wake()
    {
        Interlocked.Increment(ref *Signal);
        Interlocked.Increment(ref *WakeCounter);
        if (IsFutexSupported)
        {
            Interop.Sys.FutexWake(Signal, int.MaxValue);
        }
    }

    /// <summary>Wakes sleepers without counting a wake-up: used for cancellation and disposal in this process.</summary>
    internal void Interrupt()
    {
        Interlocked.Increment(ref *Signal);
        if (IsFutexSupported)
        {
            Interop.Sys.FutexWake(Signal, int.MaxValue);
        }
    }
}
