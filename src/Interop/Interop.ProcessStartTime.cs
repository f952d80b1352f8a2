using System;
using System.Globalization;
using System.IO;

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

        /// <summary>Reads the state letter (field 3: R, S, D, Z, X, ...) and the start time (field 22) of a process.</summary>
        internal static bool TryReadStat(int pid, out char state, out long startTime)
        {
            state = '\0';
            startTime = 0;
            string text;
            try
            {
                text = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
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
