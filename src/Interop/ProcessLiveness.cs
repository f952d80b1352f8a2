using System;

namespace Ring;

/// <summary>
/// Liveness of a process named by pid plus start time. kill(pid, 0) alone would take a recycled pid for the original
/// process; the start time from /proc tells them apart.
/// </summary>
internal static class ProcessLiveness
{
    private static readonly long s_currentStartTime = ReadCurrentStartTime();

    /// <summary>This process's pid.</summary>
    internal static int CurrentProcessId { get; } = Environment.ProcessId;

    /// <summary>This process's start time in clock ticks after boot (0 where /proc is not available).</summary>
    internal static long CurrentStartTime => s_currentStartTime;

    /// <summary>
    /// True unless the process is known to be gone: no such pid, or the pid now belongs to a process that started at
    /// another time. A process of another user (EPERM) counts as alive.
    /// </summary>
    internal static bool IsAlive(int pid, long startTime) => IsAlive(pid, startTime, startTime == 0 ? 0 : -1L);

    /// <summary>
    /// This process as one 64-bit word: the pid in the high half, the low 32 bits of the start time in the low half.
    /// Fits a compare-and-swap, so that a lock word can hold its owner's identity itself.
    /// </summary>
    internal static long CurrentIdentity { get; } = Identity(Environment.ProcessId, s_currentStartTime);

    /// <summary>Packs a pid and a start time as <see cref="CurrentIdentity"/> does.</summary>
    internal static long Identity(int pid, long startTime) => ((long)pid << 32) | (uint)startTime;

    /// <summary>The pid of an identity word.</summary>
    internal static int ProcessIdOf(long identity) => (int)(identity >> 32);

    /// <summary>Liveness of the process an identity word names (start time compared on its low 32 bits).</summary>
    internal static bool IsAlive(long identity) => IsAlive(ProcessIdOf(identity), identity, 0xFFFFFFFFL);

    /// <summary>
    /// The one liveness check: the pid exists, is not a zombie, and its start time agrees with
    /// <paramref name="expected"/> on the bits of <paramref name="mask"/> (mask 0: any start time).
    /// </summary>
    private static bool IsAlive(int pid, long expected, long mask)
    {
        if (pid <= 0)
        {
            return false;
        }

        if (!OperatingSystem.IsLinux())
        {
            // Without /proc we cannot tell a reused pid; fall back to the runtime's view.
            try
            {
                using var p = System.Diagnostics.Process.GetProcessById(pid);
                return !p.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        return TryReadLiveStartTime(pid, out long actual) && (actual & mask) == (expected & mask);
    }

    /// <summary>The start time of a process that exists and is not a zombie; false if it is gone.</summary>
    private static bool TryReadLiveStartTime(int pid, out long startTime)
    {
        startTime = 0;
        if (Interop.Sys.Kill(pid, 0) != 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Interop.Errors.ESRCH)
        {
            return false;
        }

        // A zombie (Z) or dying (X) process still answers kill() but will never write again: it counts as dead.
        return Interop.Procfs.TryReadStat(pid, out char state, out startTime) && state is not ('Z' or 'X');
    }

    private static long ReadCurrentStartTime() =>
        OperatingSystem.IsLinux() && Interop.Procfs.TryGetProcessStartTime(Environment.ProcessId, out long t) ? t : 0;
}
