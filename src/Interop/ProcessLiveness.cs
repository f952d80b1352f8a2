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
    internal static bool IsAlive(int pid, long startTime)
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

        if (Interop.Sys.Kill(pid, 0) != 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Interop.Errors.ESRCH)
        {
            return false;
        }

        // A zombie (Z) or dying (X) process still answers kill() but will never write again: it counts as dead.
        if (!Interop.Procfs.TryReadStat(pid, out char state, out long actual) || state is 'Z' or 'X')
        {
            return false;
        }

        return startTime == 0 || actual == startTime;
    }

    private static long ReadCurrentStartTime() =>
        OperatingSystem.IsLinux() && Interop.Procfs.TryGetProcessStartTime(Environment.ProcessId, out long t) ? t : 0;
}
