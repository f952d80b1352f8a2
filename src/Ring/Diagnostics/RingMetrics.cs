using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;

namespace Ring;

/// <summary>
/// The "Ring" <see cref="Meter"/>: every counter of every ring and primitive open in this process, read from its
/// segment when a listener (dotnet-counters, OpenTelemetry, a <see cref="MeterListener"/>) collects, tagged with
/// <c>ring.name</c>, <c>ring.kind</c> and, where the value belongs to one party, <c>ring.party</c>. The instruments
/// are observable: nothing is done per message; the counters the segment keeps anyway are the source.
/// </summary>
/// <remarks>
/// A ring or primitive registers once it has mapped its segment and disposes the registration before it unmaps:
/// <code>
/// _metrics = RingMetrics.Register(segment);   // constructor, last
/// _metrics.Dispose();                          // Dispose, before the segment is unmapped
/// </code>
/// The instruments come from the kinds' <see cref="SegmentInspector"/>s, so a kind with an inspector needs nothing
/// else. Several objects that map one file (a writer and a reader in one process) are reported once.
/// </remarks>
internal static class RingMetrics
{
    /// <summary>The meter's name: what <c>dotnet-counters monitor --counters Ring</c> and OpenTelemetry's <c>AddMeter("Ring")</c> name.</summary>
    internal const string MeterName = "Ring";

    private static readonly Lock s_lock = new();

    // Registered segments by path: the first mapping still open serves the readings.
    private static readonly Dictionary<string, List<Registration>> s_byPath = new(StringComparer.Ordinal);

    private static readonly Meter s_meter = CreateMeter();

    /// <summary>The meter (created with the first registration).</summary>
    internal static Meter Meter => s_meter;

    /// <summary>Adds the segment's counters to the meter until the returned registration is disposed.</summary>
    internal static IDisposable Register(Segment segment)
    {
        var registration = new Registration(segment);
        lock (s_lock)
        {
            if (!s_byPath.TryGetValue(segment.Path, out List<Registration>? list))
            {
                list = [];
                s_byPath.Add(segment.Path, list);
            }

            list.Add(registration);
        }

        return registration;
    }

    private static Meter CreateMeter()
    {
        var meter = new Meter(MeterName, typeof(RingMetrics).Assembly.GetName().Version?.ToString());
        var created = new HashSet<string>(StringComparer.Ordinal);
        foreach (SegmentInspector inspector in SegmentInspector.All)
        {
            foreach (CounterDefinition definition in inspector.Counters)
            {
                if (!created.Add(definition.Name))
                {
                    continue;
                }

                string name = definition.Name;
                if (definition.IsCumulative)
                {
                    meter.CreateObservableCounter(name, () => Observe(name), definition.Unit, definition.Description);
                }
                else
                {
                    meter.CreateObservableUpDownCounter(name, () => Observe(name), definition.Unit, definition.Description);
                }
            }
        }

        return meter;
    }

    /// <summary>One measurement per open segment that has the instrument (and per party, where the value is one party's).</summary>
    private static List<Measurement<long>> Observe(string instrument)
    {
        var measurements = new List<Measurement<long>>();

        // Under the lock: a registration is removed under it before its segment is unmapped, so no read is late.
        lock (s_lock)
        {
            foreach (List<Registration> list in s_byPath.Values)
            {
                Registration r = list[0];
                for (int i = 0; i < r.Definitions.Count; i++)
                {
                    CounterDefinition definition = r.Definitions[i];
                    if (definition.Name == instrument)
                    {
                        measurements.Add(new Measurement<long>(definition.Read(r.Segment.Memory), r.Tags[i]));
                    }
                }
            }
        }

        return measurements;
    }

    /// <summary>A segment on the meter; disposing it (idempotent) takes it off before the segment is unmapped.</summary>
    private sealed class Registration : IDisposable
    {
        private bool _disposed;

        internal Registration(Segment segment)
        {
            Segment = segment;
            Definitions = SegmentInspector.For(segment.Kind)?.Counters ?? [];
            Tags = new KeyValuePair<string, object?>[Definitions.Count][];
            string kind = segment.Kind.ToString();
            for (int i = 0; i < Definitions.Count; i++)
            {
                string? party = Definitions[i].Party;
                Tags[i] = party is null
                    ? [new("ring.name", segment.Name), new("ring.kind", kind)]
                    : [new("ring.name", segment.Name), new("ring.kind", kind), new("ring.party", party)];
            }
        }

        internal Segment Segment { get; }

        internal IReadOnlyList<CounterDefinition> Definitions { get; }

        internal KeyValuePair<string, object?>[][] Tags { get; }

        public void Dispose()
        {
            lock (s_lock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                if (s_byPath.TryGetValue(Segment.Path, out List<Registration>? list))
                {
                    list.Remove(this);
                    if (list.Count == 0)
                    {
                        s_byPath.Remove(Segment.Path);
                    }
                }
            }
        }
    }
}
