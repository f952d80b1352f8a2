using System.IO;

namespace Ring;

/// <summary>Operations on segment files by name, whatever ring they hold.</summary>
public static class RingSegment
{
    /// <summary>
    /// Deletes the segment's file. Processes that have it mapped keep their mapping and go on working; new opens fail.
    /// Returns false if there was no such file.
    /// </summary>
    /// <param name="name">The segment name, or a full path.</param>
    /// <param name="directory">Directory of a name that is not a full path; default <c>/dev/shm</c>.</param>
    /// <exception cref="System.ArgumentException">The name breaks a naming rule.</exception>
    public static bool Remove(string name, string? directory = null)
    {
        string path = SegmentName.ToPath(name, directory ?? RingOptions.DefaultDirectory);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>True if a file exists under the segment's name (whether or not it is a valid segment).</summary>
    /// <param name="name">The segment name, or a full path.</param>
    /// <param name="directory">Directory of a name that is not a full path; default <c>/dev/shm</c>.</param>
    public static bool Exists(string name, string? directory = null) =>
        File.Exists(SegmentName.ToPath(name, directory ?? RingOptions.DefaultDirectory));
}
