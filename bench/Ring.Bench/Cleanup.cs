using System;
using System.Globalization;
using System.IO;

namespace Ring.Bench;

/// <summary>Removal of what a cell created, never throwing from a finally block (a failure is reported on stderr).</summary>
internal static class Cleanup
{
    internal const string Prefix = "ring-bench-";

    /// <summary>
    /// Removes what an earlier run left behind when it was killed (SIGKILL runs no finally block): files named
    /// ring-bench-PID-... in /dev/shm and the temporary directory whose PID is no running process.
    /// </summary>
    internal static void RemoveStale()
    {
        foreach (string directory in new[] { ShmFloorTransport.Directory, Path.GetTempPath() })
        {
            string[] files;
            try
            {
                files = Directory.GetFiles(directory, Prefix + "*");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (string file in files)
            {
                string name = Path.GetFileName(file);
                int dash = name.IndexOf('-', Prefix.Length);
                if (dash > 0 && int.TryParse(name.AsSpan(Prefix.Length, dash - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) &&
                    pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                {
                    Console.Error.WriteLine($"Removing '{file}', left by process {pid}, which is gone.");
                    DeleteFile(file);
                }
            }
        }
    }

    internal static void RemoveSegment(string name)
    {
        try
        {
            RingSegment.Remove(name, ShmFloorTransport.Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"warning: could not remove segment '{name}': {e.Message}");
        }
    }

    internal static void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"warning: could not delete '{path}': {e.Message}");
        }
    }
}
