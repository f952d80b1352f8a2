using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace Ring.Soak;

/// <summary>
/// A child process of a harness: this same program started again with <c>--child ROLE key=value ...</c>. It is started
/// through the dotnet host with this assembly, so that it works the same whether the harness runs as Ring.Soak or
/// inside another program (the <c>ring</c> tool) that calls <see cref="SoakProgram.Run"/>. Its stderr is kept (bounded)
/// for the report; it is killed on dispose if it still runs.
/// </summary>
internal sealed class Child : IDisposable
{
    internal const string Flag = "--child";

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private string? _finalExit;
    private bool _disposed;

    private Child(Process process, string role)
    {
        _process = process;
        Role = role;
    }

    internal string Role { get; }

    internal int ProcessId { get; private set; }

    internal bool HasExited => _disposed || _process.HasExited;

    internal int ExitCode => _process.ExitCode;

    internal string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString().Trim();
            }
        }
    }

    internal static Child Start(string role, IEnumerable<string> settings)
    {
        var info = new ProcessStartInfo(DotNetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string assembly = typeof(Child).Assembly.Location;
        string runtimeConfig = Path.ChangeExtension(assembly, ".runtimeconfig.json");
        if (!File.Exists(runtimeConfig))
        {
            // Loaded into another program whose output does not carry this one's runtime configuration: borrow the host program's.
            string? entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
            info.ArgumentList.Add("exec");
            info.ArgumentList.Add("--runtimeconfig");
            info.ArgumentList.Add(Path.ChangeExtension(entry ?? assembly, ".runtimeconfig.json"));
        }

        info.ArgumentList.Add(assembly);
        info.ArgumentList.Add(Flag);
        info.ArgumentList.Add(role);
        foreach (string s in settings)
        {
            info.ArgumentList.Add(s);
        }

        var process = new Process { StartInfo = info };
        var child = new Child(process, role);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child._stderr)
                {
                    if (child._stderr.Length < 16384)
                    {
                        child._stderr.AppendLine(e.Data);
                    }
                }
            }
        };
        process.Start();
        child.ProcessId = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the exit; true if it exited.</summary>
    internal bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit();
        return true;
    }

    /// <summary>SIGKILL, then waits until the process is reaped.</summary>
    internal void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                NativeMethods.Signal(_process.Id, NativeMethods.SIGKILL);
            }

            _process.WaitForExit(30_000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>"exit code N", "killed by signal N" or "still running".</summary>
    internal string ExitDescription()
    {
        if (_finalExit is not null)
        {
            return _finalExit;
        }

        if (!_process.HasExited)
        {
            return "still running";
        }

        int code = _process.ExitCode;
        return code > 128 ? $"killed by signal {code - 128}" : $"exit code {code}";
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Kill();
        _finalExit = ExitDescription();
        _disposed = true;
        _process.Dispose();
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
