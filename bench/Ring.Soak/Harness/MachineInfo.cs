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
        // The build's directory first (it sits in the checkout), else the current one (a copied build run from the checkout).
        foreach (string directory in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            string? hash = Git("rev-parse --short HEAD", directory);
            if (!string.IsNullOrEmpty(hash))
            {
                return string.IsNullOrEmpty(Git("status --porcelain --untracked-files=no", directory)) ? hash : hash + " (dirty tree)";
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
