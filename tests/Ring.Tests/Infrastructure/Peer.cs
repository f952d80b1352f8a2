using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// A child process running Ring.TestPeer. Its stdout lines are collected for milestones; it is killed on dispose if
/// still running, so a failing test never leaves a peer behind.
/// </summary>
public sealed class Peer : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly System.Text.StringBuilder _stderr = new();

    private Peer(Process process)
    {
        _process = process;
    }

    public int ProcessId => _process.Id;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static Peer Start(string mode, string name, params string[] settings) => Start(null, mode, name, settings);

    public static Peer Start(System.Collections.Generic.IDictionary<string, string>? environment, string mode, string name, params string[] settings)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Ring.TestPeer.dll");
        var info = new ProcessStartInfo(DotNetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(name);
        foreach (string s in settings)
        {
            info.ArgumentList.Add(s);
        }

        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info };
        var peer = new Peer(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                peer._lines.CompleteAdding();
            }
            else
            {
                peer._lines.Add(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (peer._stderr)
                {
                    peer._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Waits for a stdout line starting with <paramref name="prefix"/>; fails the test on timeout or exit.</summary>
    public string WaitForLine(string prefix, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_lines.TryTake(out string? line, TimeSpan.FromMilliseconds(100)))
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line;
                }
            }
            else if (_lines.IsCompleted)
            {
                break;
            }
        }

        Assert.Fail($"peer {_process.Id} did not print '{prefix}' within {timeout} (exited: {_process.HasExited}); stderr: {StandardError}");
        return null!;
    }

    /// <summary>Takes a stdout line starting with <paramref name="prefix"/> if one has arrived; never waits.</summary>
    public bool TryTakeLine(string prefix)
    {
        while (_lines.TryTake(out string? line))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Waits for the peer to exit and returns its exit code; kills it and fails the test on timeout.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            Assert.Fail($"peer {_process.Id} did not exit within {timeout}; stderr: {StandardError}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Asserts a clean exit (code 0), showing the peer's stderr otherwise.</summary>
    public void AssertSuccess(TimeSpan timeout)
    {
        int code = WaitForExit(timeout);
        Assert.True(code == 0, $"peer exited with {code}; stderr: {StandardError}");
    }

    /// <summary>SIGKILL, and waits until the process is gone (reaped).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    internal static string DotNetHost()
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
