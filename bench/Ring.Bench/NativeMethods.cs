using System;
using System.Runtime.InteropServices;

namespace Ring.Bench;

/// <summary>The few libc calls the harness needs beyond the library's interop.</summary>
internal static partial class NativeMethods
{
    private const int PR_SET_PDEATHSIG = 1;
    private const int SIGKILL = 9;
    private const int RUSAGE_SELF = 0;

    /// <summary>Asks the kernel to SIGKILL this process when its parent dies (Linux only; a no-op elsewhere).</summary>
    internal static void KillMeWhenParentDies()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = Prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        }
    }

    /// <summary>The parent's pid (after the parent died: the reaper's).</summary>
    internal static int ParentProcessId() => GetParentProcessId();

    /// <summary>User plus system CPU time of this process, in microseconds.</summary>
    internal static unsafe long ProcessCpuMicroseconds()
    {
        RUsage usage;
        if (GetRUsage(RUSAGE_SELF, &usage) != 0)
        {
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return (usage.UserSeconds + usage.SystemSeconds) * 1_000_000 + usage.UserMicroseconds + usage.SystemMicroseconds;
    }

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentProcessId();

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static unsafe partial int GetRUsage(int who, RUsage* usage);

    /// <summary>struct rusage on 64-bit Linux: two timevals, then fourteen longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct RUsage
    {
        internal long UserSeconds;
        internal long UserMicroseconds;
        internal long SystemSeconds;
        internal long SystemMicroseconds;
        internal fixed long Rest[14];
    }
}
