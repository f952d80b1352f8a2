using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Ring.Soak;

/// <summary>What a run was measured on, and the commit of the code.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Kernel, string Runtime, string Commit)
{
    internal static MachineInfo Collect() => new(
        ReadCpu(),
        Environment.ProcessorCount,
        ReadFirstLine("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription,
        $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.ProcessArchitecture})",
        ReadCommit());

    public override string ToString() => $"{Cpu}, {Cores} cores, Linux {Kernel}, {Runtime}, commit {Commit}";

    private static string ReadCpu()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string? ReadFirstLine(string path)
    {
        try
        {
            return File.ReadLines(path).FirstOrDefault()?.Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string ReadCommit()
    {
        // The build's directory (it sits in the checkout). A build copied elsewhere can only name the current
        // directory's commit, and says so: the two may differ.
        foreach ((string directory, string note) in new[] { (AppContext.BaseDirectory, string.Empty), (Environment.CurrentDirectory, ", of the current directory: the build was copied") })
        {
            string? hash = Git("rev-parse --short HEAD", directory);
            if (!string.IsNullOrEmpty(hash))
            {
                bool clean = string.IsNullOrEmpty(Git("status --porcelain --untracked-files=no", directory));
                return note.Length == 0 && clean ? hash : $"{hash} ({(clean ? "clean" : "dirty")} tree{note})";
            }
        }

        return "unknown";
    }

    private static string? Git(string arguments, string directory)
    {
        try
        {
            var info = new ProcessStartInfo("git", arguments)
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using Process? git = Process.Start(info);
            if (git is null)
            {
                return null;
            }

            string output = git.StandardOutput.ReadToEnd();
            return git.WaitForExit(5000) && git.ExitCode == 0 ? output.Trim() : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }
}
