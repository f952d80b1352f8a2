using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Ring.Bench;

/// <summary>What the numbers were measured on: CPU, cores, kernel, runtime and the commit of the code.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Kernel, string Runtime, string Commit)
{
    internal static MachineInfo Collect() => new(
        ReadCpuModel(),
        Environment.ProcessorCount,
        ReadFirstLine("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription,
        $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.ProcessArchitecture})",
        ReadCommit());

    private static string ReadCpuModel()
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

    /// <summary>The short hash of HEAD of the repository this program was built in, and whether tracked files changed.</summary>
    private static string ReadCommit()
    {
        string? hash = Git("rev-parse --short HEAD");
        if (string.IsNullOrEmpty(hash))
        {
            return "unknown";
        }

        string? status = Git("status --porcelain --untracked-files=no");
        return string.IsNullOrEmpty(status) ? hash : hash + " (dirty tree)";
    }

    private static string? Git(string arguments)
    {
        try
        {
            var info = new ProcessStartInfo("git", arguments)
            {
                WorkingDirectory = AppContext.BaseDirectory,
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
            if (!git.WaitForExit(5000) || git.ExitCode != 0)
            {
                return null;
            }

            return output.Trim();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }
}
