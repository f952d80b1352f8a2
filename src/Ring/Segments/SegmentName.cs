using System;
using System.IO;

namespace Ring;

/// <summary>Turns a segment name into a path, refusing names that could escape their directory.</summary>
internal static class SegmentName
{
    /// <summary>Longest accepted file name (NAME_MAX is 255; the rest is headroom for suffixes tools add).</summary>
    internal const int MaxLength = 200;

    /// <summary>
    /// A name is a file name in <paramref name="directory"/>; a rooted name (starting with '/') is a full path whose last
    /// component obeys the same rules.
    /// </summary>
    internal static string ToPath(string name, string directory)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Path.IsPathRooted(name))
        {
            string file = Path.GetFileName(name);
            string? parent = Path.GetDirectoryName(name);
            Check(file, nameof(name));
            if (string.IsNullOrEmpty(parent))
            {
                throw new ArgumentException($"Segment path '{name}' is invalid: a full path must name a file inside a directory.", nameof(name));
            }

            return Path.Join(parent, file);
        }

        Check(name, nameof(name));
        return Path.Join(directory, name);
    }

    internal static void Check(string name, string paramName)
    {
        if (name.Length == 0)
        {
            throw new ArgumentException("Segment name '' is invalid: it must not be empty.", paramName);
        }

        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Segment name '{name.Replace("\0", "\\0", StringComparison.Ordinal)}' is invalid: it must not contain NUL.", paramName);
        }

        if (name.Length > MaxLength)
        {
            throw new ArgumentException($"Segment name of {name.Length} characters is invalid: it must be at most {MaxLength} characters.", paramName);
        }

        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Segment name '{name}' is invalid: it must not contain a path separator ('/' or '\\').", paramName);
        }

        if (name.Contains("..", StringComparison.Ordinal) || name == ".")
        {
            throw new ArgumentException($"Segment name '{name}' is invalid: it must not be '.' or contain '..'.", paramName);
        }
    }
}
