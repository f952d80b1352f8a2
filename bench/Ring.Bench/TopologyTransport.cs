using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;

namespace Ring.Bench;

/// <summary>
/// The topologies with several writer or reader processes: ring-mpsc (ManyToOneRing, 2 writers, 1 reader),
/// ring-broadcast (gated BroadcastRing, 1 writer, 2 readers), ring-mpmc (ManyToManyRing, 2 writers, 2 readers),
/// ring-slots (ManyToManySlotRing of a 32-byte struct, 2 writers, 2 readers; one size only). Every party is a child
/// process; the parent creates the segment, starts them, releases them together (a "GO" line on each child's stdin
/// once all are ready), and adds up what the readers report. Writers send for the warm-up plus the duration plus a
/// margin; each reader counts the messages it receives in [GO + warm-up, GO + warm-up + duration] and reports
/// "RESULT count ticks" on stderr. The cell's msgs/s is the sum of the readers' rates (for broadcast, where every
/// reader sees every message, their mean: the rate per reader).
/// </summary>
internal static class TopologyTransport
{
    private const string ResultPrefix = "RESULT ";
    private const string GoLine = "GO";
    private const int MessagesPerCheck = 64;
    private const int SlotCount = 1 << 16;
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(10);

    /// <summary>How many writer and reader processes a transport runs.</summary>
    internal static (int Writers, int Readers) Parties(TransportKind transport) => transport switch
    {
        TransportKind.RingMpsc => (2, 1),
        TransportKind.RingBroadcast => (1, 2),
        TransportKind.RingMpmc or TransportKind.RingSlots => (2, 2),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "not a topology transport"),
    };

    internal static RingOptions Options(CellSpec spec) => new()
    {
        Capacity = RingTransport.CapacityFor(spec.MessageSize),
        WaitStrategy = WaitStrategy.Hybrid,
        OpenTimeout = TimeSpan.FromSeconds(10),
        Directory = ShmFloorTransport.Directory,
    };

    internal static CellResult RunParent(CellSpec spec, string resource)
    {
        (int writers, int readers) = Parties(spec.Transport);
        using IDisposable ring = CreateRing(spec, resource);

        var children = new List<ChildHandle>();
        try
        {
            for (int i = 0; i < writers + readers; i++)
            {
                string role = i < writers ? $"w{i}" : $"r{i - writers}";
                children.Add(ChildHandle.Start(new ChildArgs(spec, $"{resource}:{role}", Environment.ProcessId)));
            }

            foreach (ChildHandle child in children)
            {
                child.WaitReady();
            }

            foreach (ChildHandle child in children)
            {
                child.StandardInput.Write("GO\n"u8);
                child.StandardInput.Flush();
            }

            // Broadcast: every reader gets every message, so the figure is the rate per reader (their mean).
            bool perReader = spec.Transport == TransportKind.RingBroadcast;
            double rates = 0;
            long messages = 0;
            for (int i = 0; i < children.Count; i++)
            {
                children[i].Finish();
                if (i < writers)
                {
                    continue;
                }

                (long count, long ticks) = ParseResult(children[i].StandardErrorText);
                messages += count;
                rates += count / (ticks / (double)Stopwatch.Frequency);
            }

            rates /= perReader ? readers : 1;
            return new CellResult(spec) { MsgsPerSec = rates, BytesPerSec = rates * spec.MessageSize, Samples = messages };
        }
        catch (Exception e)
        {
            string story = children.Count == 0 ? $"{e.GetType().Name}: {e.Message}" : children[0].Describe(e);
            foreach (ChildHandle child in children)
            {
                child.Kill();
                story += $" | {child.StandardErrorText.Trim().ReplaceLineEndings(" / ")}";
            }

            return ParentSide.Failed(spec, story);
        }
        finally
        {
            foreach (ChildHandle child in children)
            {
                child.Dispose();
            }

            Cleanup.RemoveSegment(resource);
        }
    }

    private static IDisposable CreateRing(CellSpec spec, string resource) => spec.Transport switch
    {
        TransportKind.RingMpsc => ManyToOneRing.Create(resource, Options(spec)),
        TransportKind.RingBroadcast => BroadcastRing.Create(resource, BroadcastMode.Gated, Options(spec)),
        TransportKind.RingMpmc => ManyToManyRing.Create(resource, Options(spec)),
        TransportKind.RingSlots => ManyToManySlotRing<Slot32>.Create(resource, SlotCount, Options(spec)),
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Transport, "not a topology transport"),
    };

    /// <summary>A broadcast reader registers when it opens, so it is counted before the writer starts.</summary>
    private static IDisposable OpenParty(TransportKind transport, string name, bool writer, RingOptions options) => transport switch
    {
        TransportKind.RingMpsc => ManyToOneRing.Open(name, options),
        TransportKind.RingBroadcast when writer => BroadcastRing.Open(name, options),
        TransportKind.RingBroadcast => BroadcastReader.Open(name, BroadcastStart.Oldest, options),
        TransportKind.RingMpmc => ManyToManyRing.Open(name, options),
        TransportKind.RingSlots => ManyToManySlotRing<Slot32>.Open(name, options),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "not a topology transport"),
    };

    internal static void RunChild(ChildArgs args)
    {
        int colon = args.Resource.LastIndexOf(':');
        string name = args.Resource[..colon];
        string role = args.Resource[(colon + 1)..];
        bool writer = role[0] == 'w';
        CellSpec spec = args.Spec;
        RingOptions options = Options(spec);
        using IDisposable ring = OpenParty(spec.Transport, name, writer, options);
        ChildSide.SignalReady();
        string? go = Console.In.ReadLine();
        if (go != GoLine)
        {
            throw new InvalidDataException($"expected '{GoLine}' from the parent, got '{go}'");
        }

        long start = Stopwatch.GetTimestamp();
        long warmupEnd = Drivers.AddTicks(start, spec.Plan.WarmupTicks);
        long windowEnd = Drivers.AddTicks(warmupEnd, spec.Plan.DurationTicks);
        if (writer)
        {
            // Writers keep going past the readers' window, so that it is full of traffic to its end.
            long stop = Drivers.AddTicks(windowEnd, Stopwatch.Frequency / 2);
            if (ring is ISlotWriter<Slot32> slots)
            {
                WriteSlots(slots, stop);
            }
            else
            {
                Write((IMessageWriter)ring, spec.MessageSize, stop);
            }
        }
        else
        {
            (long count, long ticks) = ring is ISlotReader<Slot32> slots ? ReadSlots(slots, warmupEnd, windowEnd) : Read((IMessageReader)ring, warmupEnd, windowEnd);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ResultPrefix}{count} {ticks}"));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Write<TWriter>(TWriter ring, int messageSize, long stop)
        where TWriter : IMessageWriter
    {
        byte[] message = Payload.Create(messageSize);
        long sequence = 0;
        while (Stopwatch.GetTimestamp() < stop)
        {
            for (int i = 0; i < MessagesPerCheck; i++)
            {
                Payload.Stamp(message, sequence);
                if (ring.TryWrite(message) || ring.TryWrite(message, 0, s_poll))
                {
                    sequence++;
                }
            }

            Watchdog.ThrowIfExpired();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (long Count, long Ticks) Read<TReader>(TReader ring, long warmupEnd, long windowEnd)
        where TReader : IMessageReader
    {
        byte[] buffer = new byte[ring.MaxMessageLength];
        long count = 0;
        long windowStart = 0;
        long countAtStart = 0;
        while (true)
        {
            for (int i = 0; i < MessagesPerCheck; i++)
            {
                if (ring.TryRead(buffer, out _) || ring.Read(buffer, out _, s_poll) == ReadStatus.Message)
                {
                    count++;
                }
            }

            long now = Stopwatch.GetTimestamp();
            if (windowStart == 0 && now >= warmupEnd)
            {
                windowStart = now;
                countAtStart = count;
            }

            if (now >= windowEnd && windowStart != 0)
            {
                return (count - countAtStart, now - windowStart);
            }

            Watchdog.ThrowIfExpired();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteSlots<TWriter>(TWriter ring, long stop)
        where TWriter : ISlotWriter<Slot32>
    {
        var value = default(Slot32);
        while (Stopwatch.GetTimestamp() < stop)
        {
            for (int i = 0; i < MessagesPerCheck; i++)
            {
                if (ring.TryWrite(in value) || ring.TryWrite(in value, s_poll))
                {
                    value.Sequence++;
                }
            }

            Watchdog.ThrowIfExpired();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (long Count, long Ticks) ReadSlots<TReader>(TReader ring, long warmupEnd, long windowEnd)
        where TReader : ISlotReader<Slot32>
    {
        long count = 0;
        long windowStart = 0;
        long countAtStart = 0;
        while (true)
        {
            for (int i = 0; i < MessagesPerCheck; i++)
            {
                if (ring.TryRead(out _) || ring.Read(out _, s_poll) == ReadStatus.Message)
                {
                    count++;
                }
            }

            long now = Stopwatch.GetTimestamp();
            if (windowStart == 0 && now >= warmupEnd)
            {
                windowStart = now;
                countAtStart = count;
            }

            if (now >= windowEnd && windowStart != 0)
            {
                return (count - countAtStart, now - windowStart);
            }

            Watchdog.ThrowIfExpired();
        }
    }

    private static (long Count, long Ticks) ParseResult(string stderr)
    {
        foreach (string line in stderr.Split('\n'))
        {
            if (line.StartsWith(ResultPrefix, StringComparison.Ordinal))
            {
                string[] parts = line[ResultPrefix.Length..].Trim().Split(' ');
                return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
            }
        }

        throw new InvalidDataException($"a reader reported no result: {stderr.Trim()}");
    }
}

/// <summary>The ring-slots message: 32 bytes (a sequence number and padding), a 64-byte slot with its stamp.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, Size = 32)]
internal struct Slot32
{
    public long Sequence;
}
