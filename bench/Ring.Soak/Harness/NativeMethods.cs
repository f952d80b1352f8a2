using System.Runtime.InteropServices;

namespace Ring.Soak;

/// <summary>The few libc calls the harnesses need: signals to stop, continue and kill a child, and a parent-death signal.</summary>
internal static partial class NativeMethods
{
    internal const int SIGKILL = 9;
    internal const int SIGCONT = 18;
    internal const int SIGSTOP = 19;
    private const int PR_SET_PDEATHSIG = 1;

    /// <summary>Sends a signal; true if it was delivered (false: the process is gone).</summary>
    internal static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>Asks the kernel to SIGKILL this process when its parent dies, so that no child outlives a killed harness.</summary>
    internal static void KillMeWhenParentDies()
    {
        if (System.OperatingSystem.IsLinux())
        {
            _ = Prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
