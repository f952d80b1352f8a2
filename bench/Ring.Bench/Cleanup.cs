using System;
using System.IO;

namespace Ring.Bench;

/// <summary>Removal of what a cell created, never throwing from a finally block (a failure is reported on stderr).</summary>
internal static class Cleanup
{
    internal static void RemoveSegment(string name)
    {
        try
        {
            Segment.Remove(name);
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
