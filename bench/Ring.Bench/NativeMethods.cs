using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ring.Bench;

/// <summary>The few libc calls the harness needs beyond the library's interop.</summary>
internal static partial class NativeMethods
{
    private const int PR_SET_PDEATHSIG = 1;
    private const int SIGKILL = 9;
    private const int RUSAGE_SELF = 0;
    private const int LOCK_EX = 2;
    private const int LOCK_UN = 8;
    private const int O_RDWR = 2;
    private const int O_CLOEXEC = 0x80000;
    private const int EINTR = 4;

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

    /// <summary>
    /// Opens an existing file read-write with a bare open(2), for flock. Not through FileStream: .NET takes an
    /// advisory flock(LOCK_SH) on the files it opens shared, which would hold off the other side's LOCK_EX.
    /// </summary>
    internal static int OpenLockFile(string path)
    {
        int fd;
        do
        {
            fd = Open(path, O_RDWR | O_CLOEXEC);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        if (fd < 0)
        {
            throw new IOException($"open '{path}' failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return fd;
    }

    internal static void CloseFile(int fd) => _ = Close(fd);

    /// <summary>flock(fd, LOCK_EX): blocks until this open file holds the exclusive lock.</summary>
    internal static void LockExclusive(int fd)
    {
        if (Flock(fd, LOCK_EX) != 0)
        {
            FlockFailed(fd, LOCK_EX);
        }
    }

    /// <summary>flock(fd, LOCK_UN).</summary>
    internal static void Unlock(int fd)
    {
        if (Flock(fd, LOCK_UN) != 0)
        {
            FlockFailed(fd, LOCK_UN);
        }
    }

    /// <summary>Retries after EINTR (the runtime's own signals), throws otherwise.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FlockFailed(int fd, int operation)
    {
        while (true)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                throw new IOException($"flock({fd}, {operation}) failed: errno {errno}");
            }

            if (Flock(fd, operation) == 0)
            {
                return;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

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
