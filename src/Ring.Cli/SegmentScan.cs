using System;
using System.Collections.Generic;
using System.IO;

namespace Ring.Cli;

/// <summary>Every file of a directory, inspected: the Ring segments, and the others with the reason they are not.</summary>
internal sealed class SegmentScan
{
    private SegmentScan(List<RingSegmentInfo> segments, List<(string Name, string Reason)> others)
    {
        Segments = segments;
        Others = others;
    }

    internal List<RingSegmentInfo> Segments { get; }

    internal List<(string Name, string Reason)> Others { get; }

    /// <summary>Inspects each file (read-only, attaching to nothing); a file that vanishes meanwhile is left out.</summary>
    internal static SegmentScan Of(string directory)
    {
        var segments = new List<RingSegmentInfo>();
        var others = new List<(string, string)>();
        string[] files = Directory.GetFiles(directory);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (string file in files)
        {
            string name = Path.GetFileName(file);
            try
            {
                segments.Add(RingSegment.Inspect(name, directory));
            }
            catch (FileNotFoundException)
            {
                // Removed since the directory was read.
            }
            catch (Exception e) when (e is RingFormatException or UnauthorizedAccessException or IOException or ArgumentException)
            {
                others.Add((name, e.Message));
            }
        }

        return new SegmentScan(segments, others);
    }
}
