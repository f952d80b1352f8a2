using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// Runs the reliability harness (Ring.Soak, built beside the tests) as a real process with a time limit, and removes
/// whatever segments it left if it had to be killed.
/// </summary>
public static class SoakProcess
{
    public static (int ExitCode, string Output) Run(TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(DotNetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Ring.Soak.dll"));
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
            RemoveLeftovers(process.Id);
            Assert.Fail($"Ring.Soak {string.Join(' ', args)} did not finish within {timeout}; output:\n{Text(output)}");
        }

        process.WaitForExit();
        return (process.ExitCode, Text(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static void RemoveLeftovers(int pid)
    {
        foreach (string pattern in new[] { $"ringsoak-{pid}-*", $"ringfault-{pid}-*", $"ringsoak-ctl-{pid}-*" })
        {
            foreach (string file in Directory.GetFiles(RingOptions.DefaultDirectory, pattern))
            {
                File.Delete(file);
            }
        }
    }

    private static string DotNetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
