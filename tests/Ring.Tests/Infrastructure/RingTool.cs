using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace Ring.Tests;

/// <summary>The <c>ring</c> tool run as a real process (<c>dotnet Ring.Cli.dll ...</c>): exit code, stdout, stderr.</summary>
public static class RingTool
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
    }

    /// <summary>Runs the tool to completion (killed and failed after <paramref name="timeoutSeconds"/>), feeding it <paramref name="input"/> on stdin.</summary>
    public static Result Run(string[] args, string? input = null, int timeoutSeconds = 60)
    {
        var info = new ProcessStartInfo(Peer.DotNetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Ring.Cli.dll"));
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
            Assert.Fail($"ring {string.Join(' ', args)} did not exit within {timeoutSeconds} s; stderr: {stderr.Result}");
        }

        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Run(params string[] args) => Run(args, null);

    /// <summary>Runs it and asserts the exit code, showing everything it printed otherwise.</summary>
    public static Result Expect(int exitCode, params string[] args) => Expect(exitCode, args, null);

    public static Result Expect(int exitCode, string[] args, string? input)
    {
        Result result = Run(args, input);
        Assert.True(result.ExitCode == exitCode, $"ring {string.Join(' ', args)}: expected exit {exitCode}; {result}");
        return result;
    }
}
