using System;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Threading;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Ring.Soak;

/// <summary>
/// Watches one child process over its diagnostics port: an EventPipe session (Microsoft.Diagnostics.NETCore.Client)
/// with the runtime's "System.Runtime" counters every second, parsed by TraceEvent's EventPipeEventSource. Keeps the
/// latest value of each mean counter (GC heap size, working set, thread-pool threads and queue, CPU) and the running
/// total of each sum counter (GC counts, bytes allocated).
/// </summary>
internal sealed class RuntimeMonitor : IDisposable
{
    private readonly int _processId;
    private readonly Thread _thread;
    private readonly Dictionary<string, double> _latest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _totals = new(StringComparer.Ordinal);
    private readonly object _lock = new();
    private readonly Dictionary<string, double> _meter = new(StringComparer.Ordinal);
    private readonly string _sessionId = Guid.NewGuid().ToString("N");
    private EventPipeSession? _session;
    private volatile bool _stopping;

    internal RuntimeMonitor(int processId)
    {
        _processId = processId;
        _thread = new Thread(Listen) { IsBackground = true, Name = $"EventPipe {processId}" };
        _thread.Start();
    }

    /// <summary>Why the session could not be held, if it could not.</summary>
    internal string? Error { get; private set; }

    /// <summary>How many counter events arrived.</summary>
    internal long Events { get; private set; }

    /// <summary>The values now: GC heap and working set in MB, totals of GC counts and allocated bytes, thread-pool figures.</summary>
    internal RuntimeSample Sample(double seconds)
    {
        lock (_lock)
        {
            return new RuntimeSample(
                Math.Round(seconds, 1),
                Get(_latest, "gc-heap-size"),
                Get(_latest, "working-set"),
                (long)Get(_totals, "gen-0-gc-count"),
                (long)Get(_totals, "gen-1-gc-count"),
                (long)Get(_totals, "gen-2-gc-count"),
                (long)Get(_totals, "alloc-rate"),
                (int)Get(_latest, "threadpool-thread-count"),
                (long)Get(_latest, "threadpool-queue-length"),
                Math.Round(Get(_latest, "cpu-usage"), 1));
        }
    }

    public void Dispose()
    {
        _stopping = true;
        try
        {
            _session?.Stop();
        }
        catch (Exception e) when (e is ServerNotAvailableException or System.IO.EndOfStreamException or TimeoutException or InvalidOperationException or System.IO.IOException)
        {
            // The process is gone: the stream has ended anyway.
        }

        _thread.Join(TimeSpan.FromSeconds(5));
        _session?.Dispose();
    }

    private static double Get(Dictionary<string, double> values, string name) => values.TryGetValue(name, out double v) ? v : 0;

    private void Listen()
    {
        var providers = new[]
        {
            new EventPipeProvider("System.Runtime", EventLevel.Informational, 0, new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" }),

            // The Ring meter (System.Diagnostics.Metrics) of the child: its rings' counters, as the child itself reports them.
            new EventPipeProvider("System.Diagnostics.Metrics", EventLevel.Informational, 0x2, new Dictionary<string, string>
            {
                ["SessionId"] = _sessionId,
                ["Metrics"] = "Ring",
                ["RefreshInterval"] = "1",
                ["MaxTimeSeries"] = "1000",
                ["MaxHistograms"] = "10",
            }),
        };
        for (int attempt = 0; !_stopping; attempt++)
        {
            try
            {
                _session = new DiagnosticsClient(_processId).StartEventPipeSession(providers, requestRundown: false, circularBufferMB: 16);
                break;
            }
            catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or TimeoutException or System.IO.IOException)
            {
                if (attempt == 50)
                {
                    Error = $"could not start an EventPipe session with process {_processId}: {e.Message}";
                    return;
                }

                Thread.Sleep(100);
            }
        }

        if (_session is null)
        {
            return;
        }

        try
        {
            using var source = new EventPipeEventSource(_session.EventStream);
            source.Dynamic.All += OnEvent;
            source.Process();
        }
        catch (Exception e) when (!_stopping)
        {
            // A child that exits can end the stream in the middle of a block; that is the end of watching, not an error.
            if (Events == 0)
            {
                Error ??= $"the EventPipe stream of process {_processId} broke before any counter arrived: {e.GetType().Name}: {e.Message}";
            }
        }
    }

    /// <summary>The latest value of each Ring meter instrument and tag set the child published.</summary>
    internal IReadOnlyDictionary<string, double> MeterValues()
    {
        lock (_lock)
        {
            return new Dictionary<string, double>(_meter, StringComparer.Ordinal);
        }
    }

    private void OnMeterEvent(TraceEvent data)
    {
        // CounterRateValuePublished and UpDownCounterRateValuePublished carry the value after the rate (.NET 8 on),
        // GaugeValuePublished the last value; the fields by position: session, meter, version, instrument, unit, tags, ...
        string[] names = data.PayloadNames;
        object? Field(string name, int index) => names.Length > 0 ? data.PayloadByName(name) : index < 8 ? SafePayload(data, index) : null;
        if (Field("sessionId", 0) is not string session || session != _sessionId || Field("meterName", 1) as string != "Ring")
        {
            return;
        }

        string instrument = Field("instrumentName", 3) as string ?? "?";
        string tags = Field("tags", 5) as string ?? string.Empty;
        object? raw = data.EventName == "GaugeValuePublished" ? Field("lastValue", 6) : Field("value", 7);
        double value = double.NaN;
        if (raw is string text)
        {
            _ = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
        else if (raw is double d)
        {
            value = d;
        }

        if (!double.IsNaN(value))
        {
            lock (_lock)
            {
                _meter[tags.Length == 0 ? instrument : $"{instrument} {{{tags}}}"] = value;
            }
        }
    }

    private static object? SafePayload(TraceEvent data, int index)
    {
        try
        {
            return data.PayloadValue(index);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or InvalidOperationException)
        {
            return null;
        }
    }

    private void OnEvent(TraceEvent data)
    {
        if (data.ProviderName == "System.Diagnostics.Metrics")
        {
            if (data.EventName is "CounterRateValuePublished" or "UpDownCounterRateValuePublished" or "GaugeValuePublished")
            {
                OnMeterEvent(data);
            }

            return;
        }

        // The payload is one struct named "Payload" (dotnet-counters reads it the same way: the field has no name in the
        // event's metadata as TraceEvent decodes it, so it is taken by position).
        if (data.EventName != "EventCounters" || data.PayloadNames.Length > 1 || data.PayloadValue(0) is not IDictionary<string, object> outer)
        {
            return;
        }

        IDictionary<string, object> payload = outer.TryGetValue("Payload", out object? inner) && inner is IDictionary<string, object> p ? p : outer;

        if (!payload.TryGetValue("Name", out object? nameObject) || nameObject is not string name)
        {
            return;
        }

        bool isSum = payload.TryGetValue("CounterType", out object? type) && type is string t && t == "Sum";
        if (!payload.TryGetValue(isSum ? "Increment" : "Mean", out object? raw) || raw is null)
        {
            return;
        }

        double value = Convert.ToDouble(raw, CultureInfo.InvariantCulture);
        lock (_lock)
        {
            Events++;
            if (isSum)
            {
                _totals[name] = Get(_totals, name) + value;
            }

            _latest[name] = value;
        }
    }
}

/// <summary>One second of a process's runtime counters.</summary>
internal sealed record RuntimeSample(
    double Seconds,
    double GcHeapMB,
    double WorkingSetMB,
    long Gen0Collections,
    long Gen1Collections,
    long Gen2Collections,
    long AllocatedBytes,
    int ThreadPoolThreads,
    long ThreadPoolQueueLength,
    double CpuPercent);
