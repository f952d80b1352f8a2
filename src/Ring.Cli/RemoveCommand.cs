using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;

namespace Ring.Cli;

/// <summary><c>ring rm NAME...</c> and <c>ring rm --stale</c>.</summary>
internal static class RemoveCommand
{
    internal static Command Create()
    {
        var directory = Cli.DirectoryOption();
        var names = new Argument<string[]>("NAME")
        {
            Description = "Segments to remove.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var stale = new Option<bool>("--stale")
        {
            Description = "Remove every stale segment in the directory instead: those whose every recorded process (creator, writer, reader, owner, participants) is dead. Files that are not Ring segments are left alone.",
        };
        var force = new Option<bool>("--force", "-f") { Description = "Remove a named file even if it is not a Ring segment." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be removed; remove nothing." };
        var command = new Command("rm", "Remove segments. Processes that have one mapped keep working on it; new opens fail. A named segment that still has live processes is removed with a warning; a named file that is not a Ring segment only with --force.")
        {
            names, directory, stale, force, dryRun,
        };
        command.SetAction(result => Cli.Run(() =>
        {
            string dir = Cli.RequireDirectory(result.GetValue(directory)!);
            string[] given = result.GetValue(names) ?? [];
            bool removeStale = result.GetValue(stale);
            if (removeStale == (given.Length > 0))
            {
                throw new CommandFailedException(removeStale
                    ? $"give either segment names or --stale, not both (names given: {string.Join(", ", given.Select(n => $"'{n}'"))})."
                    : "give the names of the segments to remove, or --stale.", ExitCodes.Usage);
            }

            foreach (string name in given)
            {
                Cli.RequireValidName(name, dir);
            }

            return removeStale ? RemoveStale(dir, result.GetValue(dryRun)) : RemoveNamed(given, dir, result.GetValue(force), result.GetValue(dryRun));
        }));
        return command;
    }

    private static int RemoveNamed(string[] names, string directory, bool force, bool dryRun)
    {
        int exit = ExitCodes.Ok;
        foreach (string name in names)
        {
            try
            {
                string? what = Describe(name, directory, force);
                Remove(name, directory, what ?? "not a Ring segment", dryRun);
            }
            catch (Exception e) when (e is CommandFailedException or IOException or UnauthorizedAccessException)
            {
                Cli.Error(e is FileNotFoundException ? $"segment '{name}' does not exist in '{directory}'." : e.Message);
                exit = ExitCodes.Failure;
            }
        }

        return exit;
    }

    /// <summary>What the segment is; null for a file that is not a segment (allowed with --force only).</summary>
    private static string? Describe(string name, string directory, bool force)
    {
        RingSegmentInfo info;
        try
        {
            info = RingSegment.Inspect(name, directory);
        }
        catch (RingFormatException e)
        {
            if (!force)
            {
                throw new CommandFailedException($"'{name}' is not a Ring segment, so it was not removed (--force removes it anyway): {e.Message}");
            }

            return null;
        }
        catch (UnauthorizedAccessException e) when (force && File.Exists(Path.Join(directory, name)))
        {
            // A symbolic link: --force removes the link (never what it points to).
            _ = e;
            return "not a Ring segment";
        }

        List<RingParty> alive = info.Parties.Where(p => p.IsAlive).ToList();
        if (alive.Count > 0)
        {
            Cli.Warning($"segment '{name}' still has live processes ({string.Join(", ", alive.Select(p => $"{p.Role} {p.ProcessId}"))}): they keep their mapping; new opens fail.");
        }

        return Summary(info);
    }

    private static int RemoveStale(string directory, bool dryRun)
    {
        SegmentScan scan = SegmentScan.Of(directory);
        List<RingSegmentInfo> stale = scan.Segments.Where(s => s.IsStale).ToList();
        if (stale.Count == 0)
        {
            Console.Out.WriteLine($"No stale segments in {directory}.");
            return ExitCodes.Ok;
        }

        int exit = ExitCodes.Ok;
        foreach (RingSegmentInfo info in stale)
        {
            try
            {
                // Looked at again just before removing: a process may have attached since the scan.
                RingSegmentInfo now = RingSegment.Inspect(info.Name, directory);
                if (!now.IsStale)
                {
                    Console.Out.WriteLine($"kept '{info.Name}': a process attached to it meanwhile.");
                    continue;
                }

                Remove(info.Name, directory, Summary(now), dryRun);
            }
            catch (FileNotFoundException)
            {
                // Removed meanwhile by someone else.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or RingFormatException)
            {
                Cli.Error($"could not remove '{info.Name}': {e.Message}");
                exit = ExitCodes.Failure;
            }
        }

        return exit;
    }

    private static void Remove(string name, string directory, string what, bool dryRun)
    {
        if (dryRun)
        {
            Console.Out.WriteLine($"would remove '{name}' ({what})");
            return;
        }

        if (!RingSegment.Remove(name, directory))
        {
            throw new FileNotFoundException($"segment '{name}' does not exist in '{directory}'.");
        }

        Console.Out.WriteLine($"removed '{name}' ({what})");
    }

    /// <summary>"OneToOne, 1 MiB, 120 B unread; creator 1234 dead, writer 1240 dead".</summary>
    private static string Summary(RingSegmentInfo info)
    {
        string sizes = info.Capacity > 0 ? $", {Format.Bytes(info.Capacity)}" : string.Empty;
        string unread = info.BytesPending is long pending && pending != 0 ? $", {Format.Bytes(pending)} unread" : string.Empty;
        string parties = string.Join(", ", info.Parties.Select(p => $"{p.Role} {p.ProcessId} {(p.IsAlive ? "alive" : "dead")}"));
        return $"{Format.Kind(info)}{sizes}{unread}; {parties}";
    }
}
