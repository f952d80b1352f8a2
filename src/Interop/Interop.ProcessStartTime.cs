using System;
using System.Globalization;
using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Procfs
    {
        /// <summary>
        /// Reads field 22 (<c>starttime</c>, clock ticks after boot) of <c>/proc/PID/stat</c>. Together with the pid it
        /// names one process for the life of the machine: a pid reused by a later process has a later start time.
        /// Returns false when the process does not exist (or /proc is not there).
        /// </summary>
        internal static bool TryGetProcessStartTime(int pid, out long startTime) =>
            TryReadStat(pid, out _, out startTime);

        /// <summary>
        /// Reads the state letter (field 3: R, S, D, Z, X, ...) and the start time (field 22) of a process. Allocates
        /// nothing (open/read/close into a stack buffer): waits call it once per liveness interval, on hot threads.
        /// </summary>
        internal static unsafe bool TryReadStat(int pid, out char state, out long startTime)
        {
            state = '\0';
            startTime = 0;

            // "/proc/" + pid + "/stat" + NUL, in ASCII.
            Span<byte> path = stackalloc byte[32];
            "/proc/"u8.CopyTo(path);
            if (pid <= 0 || !pid.TryFormat(path[6..], out int digits, default, CultureInfo.InvariantCulture))
            {
                return false;
            }

            "/stat\0"u8.CopyTo(path[(6 + digits)..]);

            // Fields 1-22 take a few hundred bytes at most (the command name is at most 64): 1 KiB holds them.
            const int Capacity = 1024;
            byte* buffer = stackalloc byte[Capacity];
            int length = 0;
            fixed (byte* p = path)
            {
                int fd = Sys.Open(p, Sys.O_RDONLY | Sys.O_CLOEXEC);
                if (fd < 0)
                {
                    return false;
                }

                try
                {
                    while (length < Capacity)
                    {
                        nint n = Sys.Read(fd, buffer + length, (nuint)(Capacity - length));
                        if (n > 0)
                        {
                            length += (int)n;
                        }
                        else if (n == 0 || Marshal.GetLastPInvokeError() != Errors.EINTR)
                        {
                            break;
                        }
                    }
                }
                finally
                {
                    Sys.Close(fd);
                }
            }

            // The file is ASCII but for the command name, which the parser skips as a whole: widen byte for byte.
            Span<char> text = stackalloc char[length];
            for (int i = 0; i < length; i++)
            {
                text[i] = (char)buffer[i];
            }

            return TryParseStat(text, out state, out startTime);
        }

        /// <summary>Parses a <c>/proc/PID/stat</c> line; the command name (field 2) may hold spaces and parentheses.</summary>
        internal static bool TryParseStat(ReadOnlySpan<char> stat, out char state, out long startTime)
        {
            state = '\0';
            startTime = 0;
            int close = stat.LastIndexOf(')');
            if (close < 0)
            {
                return false;
            }

            // After ") " come fields 3 (state) onwards; starttime is field 22, i.e. the 20th of those.
            ReadOnlySpan<char> rest = stat[(close + 1)..].TrimStart(' ');
            if (rest.IsEmpty)
            {
                return false;
            }

            state = rest[0];
            for (int field = 3; field < 22; field++)
            {
                int space = rest.IndexOf(' ');
                if (space < 0)
                {
                    return false;
                }

                rest = rest[(space + 1)..];
            }

            int end = rest.IndexOfAny(' ', '\n');
            ReadOnlySpan<char> value = end < 0 ? rest : rest[..end];
            return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out startTime);
        }
    }
}
