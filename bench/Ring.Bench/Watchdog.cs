using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Threading;

namespace Ring.Bench;

/// <summary>
/// Bounds every wait of the current cell, in the process it runs in: a deadline, Ctrl+C, and (in the parent) the child's
/// exit. Blocking calls that cannot poll it are unblocked by killing the child.
/// </summary>
internal static class Watchdog
{
    private static long s_deadline = long.MaxValue;
    private static volatile bool s_peerExited;
    private static volatile bool s_cancelled;
    private static CancellationTokenSource s_token = new();

    internal static bool IsCancelled => s_cancelled;

    /// <summary>
    /// Cancelled at the deadline, on Ctrl+C and (in the parent) when the child exits: for blocking calls that take a
    /// token (SharedMutex.Acquire) instead of polling <see cref="ThrowIfExpired"/>.
    /// </summary>
    internal static CancellationToken Token => Volatile.Read(ref s_token).Token;

    internal static bool PeerExited => s_peerExited;

    internal static void Arm(long timeoutTicks)
    {
        s_peerExited = false;
        long now = Stopwatch.GetTimestamp();
        Volatile.Write(ref s_deadline, timeoutTicks >= long.MaxValue - now ? long.MaxValue : now + timeoutTicks);
        var token = new CancellationTokenSource();
        if (timeoutTicks < long.MaxValue / 2)
        {
            token.CancelAfter(TimeSpan.FromSeconds(Math.Min(Units.TicksToSeconds(timeoutTicks), int.MaxValue / 1000.0)));
        }

        if (s_cancelled)
        {
            token.Cancel();
        }

        Interlocked.Exchange(ref s_token, token).Dispose();
    }

    internal static void OnPeerExited()
    {
        s_peerExited = true;
        CancelToken();
    }

    internal static void Cancel()
    {
        s_cancelled = true;
        CancelToken();
    }

    private static void CancelToken()
    {
        try
        {
            Volatile.Read(ref s_token).Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Replaced by the next cell's meanwhile.
        }
    }

    /// <summary>Throws if the cell ran out of time or the run was cancelled.</summary>
    internal static void ThrowIfExpired()
    {
        if (s_cancelled)
        {
            throw new OperationCanceledException("the run was cancelled");
        }

        if (Stopwatch.GetTimestamp() > Volatile.Read(ref s_deadline))
        {
            throw new TimeoutException("the cell ran past its timeout");
        }
    }
}

/// <summary>
/// The wait of a spinning or sleeping loop: call <see cref="SpinOnce"/> (or <see cref="AfterSleep"/>) each time the
/// awaited condition was found false. Checks the watchdog now and then; a peer seen gone gets one more look at the
/// condition (it may have published its last message and exited) before the wait fails.
/// </summary>
internal struct Waiter
{
    private int _spins;
    private bool _peerGoneSeen;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SpinOnce()
    {
        if (X86Base.IsSupported)
        {
            X86Base.Pause();
        }
        else
        {
            Thread.SpinWait(1);
        }

        if ((++_spins & 0x3FFF) == 0)
        {
            Check();
        }
    }

    internal void AfterSleep() => Check();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Check()
    {
        Watchdog.ThrowIfExpired();
        if (Watchdog.PeerExited)
        {
            if (_peerGoneSeen)
            {
                throw new IOException("the peer process exited while this side was still waiting for it");
            }

            _peerGoneSeen = true;
        }
    }
}
