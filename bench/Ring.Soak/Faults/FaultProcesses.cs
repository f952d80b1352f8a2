using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;

namespace Ring.Soak;

/// <summary>Helpers the fault scenarios share: stopping a process and confirming it stopped, bounded waits.</summary>
internal static class FaultProcesses
{
    /// <summary>SIGSTOP, then waits until /proc says the process is stopped (state T), so that what it wrote is final.</summary>
    internal static void Stop(int pid, TimeSpan timeout)
    {
        NativeMethods.Signal(pid, NativeMethods.SIGSTOP);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            char state = State(pid);
            if (state is 'T' or 't' or 'Z' or 'X' or '\0')
            {
                return;
            }

            Thread.Sleep(0);
        }

        throw new TimeoutException($"process {pid} did not stop within {timeout.TotalSeconds} s of SIGSTOP");
    }

    /// <summary>Waits until <paramref name="condition"/> holds; returns the milliseconds it took, or -1 on timeout.</summary>
    internal static double WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return -1;
            }

            Thread.Sleep(1);
        }

        return Math.Round(clock.Elapsed.TotalMilliseconds, 1);
    }

    private static char State(int pid)
    {
        try
        {
            string stat = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
            int close = stat.LastIndexOf(')');
            return close >= 0 && close + 2 < stat.Length ? stat[close + 2] : '\0';
        }
        catch (IOException)
        {
            return '\0';
        }
    }
}
