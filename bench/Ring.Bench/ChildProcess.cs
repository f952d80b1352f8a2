using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;

namespace Ring.Bench;

/// <summary>The hidden command line of a child: <c>--child key=value ...</c>, everything one side of a cell needs.</summary>
internal sealed record ChildArgs(CellSpec Spec, string Resource, int ParentProcessId)
{
    internal const string Flag = "--child";

    internal IEnumerable<string> ToArguments()
    {
        CellPlan p = Spec.Plan;
        yield return Flag;
        yield return "transport=" + Names.Of(Spec.Transport);
        yield return "scenario=" + Names.Of(Spec.Scenario);
        yield return Invariant($"size={Spec.MessageSize}");
        yield return "resource=" + Resource;
        yield return Invariant($"warmupTicks={p.WarmupTicks}");
        yield return Invariant($"warmupCount={p.WarmupCount}");
        yield return Invariant($"durationTicks={p.DurationTicks}");
        yield return Invariant($"count={p.Count}");
        yield return Invariant($"timeoutTicks={p.TimeoutTicks}");
        yield return Invariant($"parent={ParentProcessId}");
        yield return "dir=" + ShmFloorTransport.Directory;
    }

    internal static ChildArgs Parse(ReadOnlySpan<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string arg in args)
        {
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"child argument '{arg}' is not key=value");
            }

            values[arg[..eq]] = arg[(eq + 1)..];
        }

        string Get(string key) => values.TryGetValue(key, out string? v) ? v : throw new ArgumentException($"child argument '{key}' is missing");
        long Long(string key) => long.Parse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture);

        if (!Names.TryParseTransport(Get("transport"), out TransportKind transport) || !Names.TryParseScenario(Get("scenario"), out ScenarioKind scenario))
        {
            throw new ArgumentException("child transport or scenario is unknown");
        }

        if (values.TryGetValue("dir", out string? directory))
        {
            ShmFloorTransport.Directory = directory;
        }

        var plan = new CellPlan(Long("warmupTicks"), Long("warmupCount"), Long("durationTicks"), Long("count"), Long("timeoutTicks"));
        return new ChildArgs(new CellSpec(transport, scenario, (int)Long("size"), plan), Get("resource"), (int)Long("parent"));
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A running child, from the parent's side. Its stdin and stdout are pipes (the pipe transport's data path, unused
/// otherwise); its stderr is the control channel: a "READY" line once it is set up, anything else is diagnostics kept
/// for the failure report. A timer kills it at the cell's deadline; disposing kills it if it still runs.
/// </summary>
internal sealed class ChildHandle : IDisposable
{
    internal const string ReadyLine = "READY";

    private static ChildHandle? s_current;

    private readonly Process _process;
    private readonly ManualResetEventSlim _readyOrExited = new();
    private readonly StringBuilder _stderr = new();
    private readonly Timer _killer;
    private readonly long _timeoutMs;
    private volatile bool _ready;
    private volatile bool _killedByTimer;
    private bool _started;

    private ChildHandle(Process process, long timeoutTicks)
    {
        _process = process;
        _timeoutMs = Math.Clamp(timeoutTicks / Math.Max(1, Stopwatch.Frequency / 1000), 1, int.MaxValue - 1);
        _killer = new Timer(static s => ((ChildHandle)s!).OnTimeout(), this, Timeout.Infinite, Timeout.Infinite);
        _killer.Change(_timeoutMs, Timeout.Infinite);
    }

    internal Stream StandardInput => _process.StandardInput.BaseStream;

    internal Stream StandardOutput => _process.StandardOutput.BaseStream;

    /// <summary>Kills the child of the running cell, if any (Ctrl+C).</summary>
    internal static void KillCurrent() => Volatile.Read(ref s_current)?.Kill();

    internal static ChildHandle Start(ChildArgs args)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown");
        var info = new ProcessStartInfo(self)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // Run through the dotnet host ("dotnet Ring.Bench.dll", "dotnet Ring.Cli.dll"): start the same way.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            string entry = System.Reflection.Assembly.GetEntryAssembly()?.Location is { Length: > 0 } location
                ? location
                : Path.Combine(AppContext.BaseDirectory, "Ring.Bench.dll");
            info.ArgumentList.Add(entry);
        }

        // Hosted by another program (the ring tool: "ring bench --child ..."), its way back to the harness first.
        foreach (string arg in BenchHost.ChildPrefix)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (string arg in args.ToArguments())
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildHandle(process, args.Spec.Plan.TimeoutTicks);
        process.ErrorDataReceived += (_, e) => child.OnStderr(e.Data);
        process.Exited += (_, _) =>
        {
            // Only the running cell's child counts: an earlier child's event may be raised late.
            if (Volatile.Read(ref s_current) == child)
            {
                Watchdog.OnPeerExited();
            }

            child._readyOrExited.Set();
        };
        Volatile.Write(ref s_current, child);
        try
        {
            process.Start();
            child._started = true;
            process.BeginErrorReadLine();
        }
        catch
        {
            child.Dispose();
            throw;
        }

        return child;
    }

    /// <summary>What the child wrote to stderr so far (READY excepted), up to 8 KiB.</summary>
    internal string StandardErrorText
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Waits for the child's READY line: it has opened its side and is about to wait for (or send) messages.</summary>
    internal void WaitReady()
    {
        while (!_readyOrExited.Wait(100))
        {
            Watchdog.ThrowIfExpired();
        }

        if (!_ready)
        {
            WaitForExitAndOutput();
            throw new ChildFailedException($"child exited before it was ready ({ExitDescription()}){StderrSuffix()}");
        }
    }

    /// <summary>Waits for the child to exit after the measurement and checks its exit code.</summary>
    internal void Finish()
    {
        long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
        while (!_process.WaitForExit(100))
        {
            Watchdog.ThrowIfExpired();
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new ChildFailedException($"child did not exit within 10 s after the measurement{StderrSuffix()}");
            }
        }

        _process.WaitForExit();
        if (_process.ExitCode != 0)
        {
            throw new ChildFailedException($"child failed ({ExitDescription()}){StderrSuffix()}");
        }
    }

    /// <summary>The failure text for an exception on the parent's side, with what the child said.</summary>
    internal string Describe(Exception e)
    {
        Kill();
        WaitForExitAndOutput();
        if (e is ChildFailedException)
        {
            return e.Message;
        }

        string what = _killedByTimer
            ? string.Create(CultureInfo.InvariantCulture, $"timed out after {_timeoutMs / 1000.0:0.#} s, child killed")
            : e is TimeoutException ? "timed out: " + e.Message : $"{e.GetType().Name}: {e.Message}";
        return $"{what} (child {ExitDescription()}){StderrSuffix()}";
    }

    internal void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Not started or already reaped.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exited meanwhile.
        }
    }

    public void Dispose()
    {
        Interlocked.CompareExchange(ref s_current, null, this);
        _killer.Dispose();
        if (_started)
        {
            Kill();
            WaitForExitAndOutput();
        }

        _process.Dispose();
        _readyOrExited.Dispose();
    }

    /// <summary>Waits (bounded) for the exit, then for the end of its stderr so that the report has all of it.</summary>
    private void WaitForExitAndOutput()
    {
        if (_process.WaitForExit(5000))
        {
            _process.WaitForExit();
        }
    }

    private void OnTimeout()
    {
        _killedByTimer = true;
        Kill();
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (!_ready && line == ReadyLine)
        {
            _ready = true;
            _readyOrExited.Set();
            return;
        }

        lock (_stderr)
        {
            if (_stderr.Length < 8192)
            {
                _stderr.AppendLine(line);
            }
        }
    }

    private string ExitDescription()
    {
        if (!_process.HasExited)
        {
            return "still running";
        }

        int code = _process.ExitCode;
        return code > 128 ? string.Create(CultureInfo.InvariantCulture, $"killed by signal {code - 128}") : string.Create(CultureInfo.InvariantCulture, $"exit code {code}");
    }

    private string StderrSuffix()
    {
        lock (_stderr)
        {
            string text = _stderr.ToString().Trim();
            return text.Length == 0 ? string.Empty : ": " + text.ReplaceLineEndings(" | ");
        }
    }
}

/// <summary>The child failed or misbehaved; the message carries what it printed.</summary>
internal sealed class ChildFailedException : Exception
{
    public ChildFailedException()
    {
    }

    public ChildFailedException(string message)
        : base(message)
    {
    }

    public ChildFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
