using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Threading;

namespace Ring;

/// <summary>What a party waits for: re-read from shared memory on every call.</summary>
internal interface IWaitCondition
{
    /// <summary>True when the wait is over (the awaited state holds, or the ring was disposed in this process).</summary>
    bool IsSatisfied();

    /// <summary>True when the process this party depends on is known to be dead (slow: reads /proc).</summary>
    bool IsPeerGone();
}

internal enum WaitOutcome
{
    Satisfied,
    TimedOut,
    PeerGone,
}

/// <summary>The waiting settings of one ring object, resolved from <see cref="RingOptions"/>.</summary>
internal readonly struct WaitPolicy
{
    internal WaitPolicy(RingOptions options)
    {
        // Without futexes the sleeping strategies degrade to polling naps.
        Strategy = !FutexSite.IsFutexSupported && options.WaitStrategy is WaitStrategy.Hybrid or WaitStrategy.Blocking
            ? WaitStrategy.Polling
            : options.WaitStrategy;
        SpinTicks = Strategy == WaitStrategy.Blocking ? 0 : WaitLoop.ToTicks(options.SpinDuration);
        LivenessTicks = WaitLoop.ToTicks(options.LivenessCheckInterval);
    }

    internal WaitStrategy Strategy { get; }

    internal long SpinTicks { get; }

    internal long LivenessTicks { get; }
}

/// <summary>
/// Spin, then yield, then sleep on a futex, re-checking the condition between every step. Every phase is bounded: a
/// spin gives way to yields, a busy spin yields every few thousand iterations, and a sleep never outlasts the liveness
/// interval, so timeouts, cancellation and a dead peer are always noticed.
/// </summary>
internal static unsafe class WaitLoop
{
    private const int MaxYields = 8;
    private const int BusySpinYieldMask = 4095;
    private const int ChecksPerClockRead = 63;
    private const int EagerChecks = 64;
    private const int MaxBackOff = 256;
    private const int InitialBackOff = 64;

    internal static long ToTicks(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)(span.Ticks * (Stopwatch.Frequency / (double)TimeSpan.TicksPerSecond));

    /// <summary>Refuses a negative timeout other than <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CheckTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            ThrowHelper.ThrowTimeoutOutOfRange(timeout);
        }
    }

    /// <summary>The Stopwatch timestamp at which a wait of <paramref name="timeout"/> from now ends (long.MaxValue: never).</summary>
    internal static long Deadline(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return long.MaxValue;
        }

        CheckTimeout(timeout);
        long ticks = ToTicks(timeout);
        long now = Stopwatch.GetTimestamp();
        return ticks >= long.MaxValue - now ? long.MaxValue : now + ticks;
    }

    /// <summary>The time left until <paramref name="deadline"/> (zero once passed; infinite for long.MaxValue).</summary>
    internal static TimeSpan Remaining(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return Timeout.InfiniteTimeSpan;
        }

        long left = deadline - Stopwatch.GetTimestamp();
        return left <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)(left * (TimeSpan.TicksPerSecond / (double)Stopwatch.Frequency)));
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, the deadline passes, or the peer is found dead; the phases
    /// (spin, yield, sleep) follow <paramref name="policy"/>. Throws <see cref="OperationCanceledException"/> on
    /// cancellation.
    /// </summary>
    /// <param name="condition">What to wait for.</param>
    /// <param name="policy">The ring object's strategy and durations.</param>
    /// <param name="site">Where to sleep.</param>
    /// <param name="deadline">Stopwatch timestamp at which to give up (long.MaxValue: never).</param>
    /// <param name="backOff">
    /// Spin with exponentially growing pauses between checks (up to <see cref="MaxBackOff"/>). Right for a writer
    /// waiting for room: checking the reader's line less often lets the reader free a batch instead of the two sides
    /// trading one cache line per message. Wrong for a reader waiting for data, where each pause is added latency.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    internal static WaitOutcome Wait<TCondition>(ref TCondition condition, in WaitPolicy policy, FutexSite site, long deadline, bool backOff, CancellationToken cancellationToken)
        where TCondition : struct, IWaitCondition
    {
        long start = Stopwatch.GetTimestamp();
        long spinUntil = policy.Strategy == WaitStrategy.BusySpin ? long.MaxValue : start + policy.SpinTicks;
        long nextLiveness = start + policy.LivenessTicks;
        bool spinning = spinUntil > start;
        int spins = 0;
        int pause = 1;
        int yields = 0;
        if (backOff && spinning)
        {
            // The caller just found no room. Re-checking at once would take the room of one frame as soon as it is
            // freed and leave the two sides trading cache lines frame by frame; a pause first lets the reader free a
            // batch (at 25 ns a PAUSE, about 1.6 us: a hundred small frames).
            pause = InitialBackOff;
            Pause(pause);
        }

        CancellationTokenRegistration registration = default;
        try
        {
            while (true)
            {
                if (condition.IsSatisfied())
                {
                    return WaitOutcome.Satisfied;
                }

                if (spinning)
                {
                    // Between checks: nothing for the first 64 (a reply on its way is seen within nanoseconds, not
                    // half a PAUSE later: 25 ns on the machine we measure on), then one PAUSE, or growing runs of them
                    // when backing off. The clock, cancellation and liveness are looked at every 64 checks, so that a
                    // check costs a few nanoseconds.
                    if (spins >= EagerChecks || backOff)
                    {
                        Pause(pause);
                    }

                    if (backOff && pause < MaxBackOff)
                    {
                        pause <<= 1;
                    }

                    // Once the pauses are long, a clock read per check costs nothing by comparison and keeps the
                    // spin phase's bound honest.
                    if ((++spins & ChecksPerClockRead) != 0 && pause < 16)
                    {
                        continue;
                    }

                    if ((spins & BusySpinYieldMask) == 0)
                    {
                        Thread.Yield();
                    }
                }

                cancellationToken.ThrowIfCancellationRequested();
                long now = Stopwatch.GetTimestamp();
                if (now >= deadline)
                {
                    return WaitOutcome.TimedOut;
                }

                if (now >= nextLiveness)
                {
                    nextLiveness = now + policy.LivenessTicks;
                    if (condition.IsPeerGone())
                    {
                        return condition.IsSatisfied() ? WaitOutcome.Satisfied : WaitOutcome.PeerGone;
                    }
                }

                spinning = now < spinUntil;
                if (spinning)
                {
                    continue;
                }

                if (yields < MaxYields && policy.Strategy != WaitStrategy.Blocking)
                {
                    yields++;
                    Thread.Yield();
                    continue;
                }

                if (policy.Strategy == WaitStrategy.Polling)
                {
                    Thread.Sleep(1);
                    continue;
                }

                if (cancellationToken.CanBeCanceled && registration == default)
                {
                    // Cancellation bumps the signal and wakes the futex, so a sleeper notices at once.
                    registration = cancellationToken.UnsafeRegister(static s => ((FutexSite)s!).Interrupt(), site);
                }

                long sleepTicks = Math.Min(deadline, nextLiveness) - now;
                if (Sleep(ref condition, site, sleepTicks))
                {
                    return WaitOutcome.Satisfied;
                }
            }
        }
        finally
        {
            registration.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pause(int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (X86Base.IsSupported)
            {
                X86Base.Pause();
            }
            else if (ArmBase.IsSupported)
            {
                ArmBase.Yield();
            }
            else
            {
                Thread.SpinWait(1);
            }
        }
    }

    /// <summary>
    /// The sleeping half of the wake-up protocol. Returns true if the condition held after announcing the sleep.
    /// <para>
    /// Why no wake-up is lost. The waker runs: (W1) publish (store the frame or position), (W2) fence, (W3) load
    /// sleepers, and if non-zero (W4) increment the signal, (W5) FUTEX_WAKE. The sleeper runs: (S1) increment sleepers,
    /// (S2) fence, (S3) load signal = v, (S4) re-check the condition, (S5) FUTEX_WAIT(signal, v). W2 and S2 together
    /// are a full fence between each side's store and its later load (Dekker), so W3 sees S1 or S4 sees W1 (or both):
    /// </para>
    /// <list type="bullet">
    /// <item>S4 sees W1: the sleeper does not sleep.</item>
    /// <item>W3 sees S1: the waker does W4 then W5. If W4 precedes S3 in the signal's order, S3 reads the new value,
    /// and because W4 is a full fence after W1, S4 sees W1. If W4 follows S3, the kernel compares the signal with v
    /// atomically against wakers at S5: FUTEX_WAIT either returns EAGAIN (W4 came first) or queues the sleeper before
    /// W5 runs, and W5 wakes it.</item>
    /// </list>
    /// <para>
    /// W2 is <see cref="AsymmetricFence.Light"/> (a compiler barrier when membarrier is registered, else a full fence)
    /// and S2 is <see cref="AsymmetricFence.Heavy"/> (membarrier): the heavy barrier forces a full barrier on the
    /// waker's CPU at some point P of its program; if W1 precedes P it is visible to S4, and if it follows P, so does
    /// W3, which then sees S1.
    /// </para>
    /// </summary>
    private static bool Sleep<TCondition>(ref TCondition condition, FutexSite site, long sleepTicks)
        where TCondition : struct, IWaitCondition
    {
        Interlocked.Increment(ref *site.Sleepers);
        try
        {
            AsymmetricFence.Heavy();
            int seen = Volatile.Read(ref *site.Signal);
            if (condition.IsSatisfied())
            {
                return true;
            }

            Interlocked.Increment(ref *site.SleepCounter);
            long nanoseconds = sleepTicks >= long.MaxValue / 1000 ? 1_000_000_000L : (long)(sleepTicks * (1_000_000_000.0 / Stopwatch.Frequency));
            Interop.Sys.FutexWait(site.Signal, seen, Math.Max(nanoseconds, 1000));
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref *site.Sleepers);
        }
    }
}
