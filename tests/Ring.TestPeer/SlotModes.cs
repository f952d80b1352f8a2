using System;
using System.Globalization;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Threading;

namespace Ring.TestPeer;

/// <summary>
/// Peer modes for the slot rings (<see cref="SlotRing{T}"/> and <see cref="ManyToManySlotRing{T}"/>) of
/// <see cref="SlotPeerMessage"/>. Settings: writer=ID, count=N, complete=true, strategy=S, path=TALLY (a file of i32
/// counters the readers increment, one per message: <see cref="TallyIndex"/>), base=N (survivor writers' count, for the
/// tally's layout). Victims print "ready ..." once they hold what they are to die holding, then wait to be killed.
/// </summary>
public static class SlotModes
{
    /// <summary>Tally counters reserved per victim writer.</summary>
    public const int VictimSequences = 1024;

    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    public static bool Handles(string mode) => mode.StartsWith("slot-", StringComparison.Ordinal);

    /// <summary>Where the readers count message (writer, sequence): survivor writers 0 and 1 first, then 1024 per victim.</summary>
    public static long TallyIndex(long writer, long sequence, long survivorCount) =>
        writer < 2 ? (writer * survivorCount) + sequence : (2 * survivorCount) + ((writer - 2) * VictimSequences) + sequence;

    public static int Run(string mode, string name, ReadOnlySpan<string> args)
    {
        try
        {
            return RunMode(mode, name, args);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"peer {mode} failed: {e}");
            return 4;
        }
    }

    private static int RunMode(string mode, string name, ReadOnlySpan<string> args)
    {
        var s = new SlotSettings(args);
        var options = new RingOptions
        {
            OpenTimeout = TimeSpan.FromSeconds(10),
            WaitStrategy = s.Strategy,
            LivenessCheckInterval = TimeSpan.FromMilliseconds(20),
        };
        return mode switch
        {
            "slot-write" => OneToOneWrite(name, options, s),
            "slot-read" => OneToOneRead(name, options, s),
            "slot-victim" => OneToOneVictim(name, options, s),
            "slot-mm-write" => ManyWrite(name, options, s),
            "slot-mm-read" => ManyRead(name, options, s),
            "slot-mm-victim" => ManyVictim(name, options, s),
            _ => Usage(mode),
        };
    }

    private static int Usage(string mode)
    {
        Console.Error.WriteLine($"unknown mode '{mode}'");
        return 2;
    }

    /// <summary>Writes sequences 0..count-1, blocking when full, then completes if asked.</summary>
    private static int OneToOneWrite(string name, RingOptions options, SlotSettings s)
    {
        using var ring = SlotRing<SlotPeerMessage>.Open(name, options);
        for (long i = 0; i < s.Count; i++)
        {
            if (!ring.TryWrite(SlotPeerMessage.For(s.Writer, i), Long))
            {
                Console.Error.WriteLine($"write of {i} timed out");
                return 3;
            }
        }

        if (s.Complete)
        {
            ring.Complete();
        }

        return 0;
    }

    /// <summary>Reads sequences 0..count-1 in order, then expects the end of the stream if asked.</summary>
    private static int OneToOneRead(string name, RingOptions options, SlotSettings s)
    {
        using var ring = SlotRing<SlotPeerMessage>.Open(name, options);
        for (long i = 0; i < s.Count; i++)
        {
            ReadStatus status = ring.Read(out SlotPeerMessage m, Long);
            if (status != ReadStatus.Message)
            {
                Console.Error.WriteLine($"read of {i}: {status}");
                return 3;
            }

            if (!m.IsIntact || m.Sequence != i || m.Writer != s.Writer)
            {
                Console.Error.WriteLine($"read {i}: got {m}");
                return 1;
            }
        }

        if (s.Complete && ring.Read(out _, Long) != ReadStatus.Completed)
        {
            Console.Error.WriteLine("no end of stream");
            return 3;
        }

        return 0;
    }

    /// <summary>
    /// One-to-one victim: takes over both roles. As writer, continues the sequence (sequence = position: a one-to-one
    /// slot ring skips no position) for count values, then claims one more slot and half fills it. As reader, reads
    /// count - 1 values checking each sequence against its position, then takes one more without releasing it. Then
    /// it says "ready ok" (or what it found wrong) and waits to be killed: a writer between claim and commit and a
    /// reader in the middle of a read, in one process.
    /// </summary>
    private static int OneToOneVictim(string name, RingOptions options, SlotSettings s)
    {
        var ring = SlotRing<SlotPeerMessage>.Open(name, options);
        ring.WaitToWriteAsync().AsTask().Wait(Long); // attaches the writer
        long next = ring.GetStatistics().EnqueuePosition;
        for (long i = 0; i < s.Count; i++)
        {
            if (!ring.TryWrite(SlotPeerMessage.For(0, next + i), Long))
            {
                return Report("write timed out");
            }
        }

        if (!ring.TryClaim())
        {
            return Report("no slot to claim");
        }

        ring.ClaimedValue.Writer = 0;
        ring.ClaimedValue.Sequence = -1;

        // The reader attaches where the last one left off: a value it died reading is read again. It reads up to the
        // last value this victim wrote, and dies reading that one.
        if (!ring.WaitToReadAsync().AsTask().Wait(Long))
        {
            return Report("nothing to read");
        }

        long expected = ring.GetStatistics().DequeuePosition;
        long last = next + s.Count - 1;
        for (; expected < last; expected++)
        {
            if (ring.Read(out SlotPeerMessage m, Long) != ReadStatus.Message)
            {
                return Report($"no value at position {expected}");
            }

            if (!m.IsIntact || m.Sequence != expected)
            {
                return Report($"at position {expected}: {m}");
            }
        }

        if (!ring.TryTake())
        {
            return Report($"no value to take at position {expected}");
        }

        SlotPeerMessage taken = ring.TakenValue;
        if (!taken.IsIntact || taken.Sequence != expected)
        {
            return Report($"took at position {expected}: {taken}");
        }

        return Report(null);
    }

    /// <summary>Writes sequences 0..count-1 as writer ID, blocking when full.</summary>
    private static int ManyWrite(string name, RingOptions options, SlotSettings s)
    {
        using var ring = ManyToManySlotRing<SlotPeerMessage>.Open(name, options);
        for (long i = 0; i < s.Count; i++)
        {
            if (!ring.TryWrite(SlotPeerMessage.For(s.Writer, i), Long))
            {
                Console.Error.WriteLine($"writer {s.Writer}: write of {i} timed out");
                return 3;
            }
        }

        Console.Out.WriteLine("wrote " + s.Count.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>Reads until the ring is completed, checking each value and counting it in the tally file.</summary>
    private static int ManyRead(string name, RingOptions options, SlotSettings s)
    {
        using var ring = ManyToManySlotRing<SlotPeerMessage>.Open(name, options);
        using var tally = Tally.Map(s.Path!);
        long read = 0;
        while (true)
        {
            ReadStatus status = ring.Read(out SlotPeerMessage m, Long);
            if (status == ReadStatus.Completed)
            {
                break;
            }

            if (status != ReadStatus.Message)
            {
                Console.Error.WriteLine($"read after {read}: {status}");
                return 3;
            }

            long limit = m.Writer < 2 ? s.Base : VictimSequences;
            if (!m.IsIntact || m.Writer < 0 || m.Sequence < 0 || m.Sequence >= limit || TallyIndex(m.Writer, m.Sequence, s.Base) >= tally.Count)
            {
                Console.Error.WriteLine($"read {m}");
                return 1;
            }

            Interlocked.Increment(ref tally.At(TallyIndex(m.Writer, m.Sequence, s.Base)));
            read++;
        }

        Console.Out.WriteLine("read " + read.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>
    /// Many-to-many victim (writer ID): holds a claim through one writer object, then takes a value through a reader
    /// object without releasing it, writing values of its own (as writer ID, through another writer object) whenever
    /// there is none to take. Says "ready ok wrote=K" and waits to be killed. Its reader passes its own claim, which
    /// is alive but never committed, after a short stuck-writer timeout; the claim is held first because a value held
    /// is what stops the writers a lap later, as a slow reader does, and nothing may be needed after that.
    /// </summary>
    private static int ManyVictim(string name, RingOptions options, SlotSettings s)
    {
        options.StuckWriterTimeout = TimeSpan.FromMilliseconds(50);
        var writer = ManyToManySlotRing<SlotPeerMessage>.Open(name, options);
        var claimer = ManyToManySlotRing<SlotPeerMessage>.Open(name, options);
        var reader = ManyToManySlotRing<SlotPeerMessage>.Open(name, options);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!claimer.TryClaim(out _))
        {
            if (clock.Elapsed > Long)
            {
                return Report("no slot to claim");
            }

            Thread.Sleep(1);
        }

        claimer.ClaimedValue.Writer = s.Writer;
        claimer.ClaimedValue.Sequence = -1;
        // Never block in a write here: this thread's own reader must keep looking at its own claim to pass it.
        long wrote = 0;
        while (!reader.TryTake(out _))
        {
            if (clock.Elapsed > Long)
            {
                return Report($"nothing to take after writing {wrote}");
            }

            if (wrote < VictimSequences && writer.TryWrite(SlotPeerMessage.For(s.Writer, wrote)))
            {
                wrote++;
                continue;
            }

            Thread.Sleep(1);
        }

        SlotPeerMessage taken = reader.TakenValue;
        return Report(taken.IsIntact ? null : $"took {taken}", "wrote=" + wrote.ToString(CultureInfo.InvariantCulture));
    }

    private static int Report(string? problem, string detail = "")
    {
        Console.Out.WriteLine(problem is null ? $"ready ok {detail}" : $"ready bad {problem}");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private sealed class SlotSettings
    {
        public SlotSettings(ReadOnlySpan<string> args)
        {
            foreach (string arg in args)
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                string key = eq < 0 ? arg : arg[..eq];
                string value = eq < 0 ? "true" : arg[(eq + 1)..];
                switch (key)
                {
                    case "writer": Writer = long.Parse(value, CultureInfo.InvariantCulture); break;
                    case "count": Count = long.Parse(value, CultureInfo.InvariantCulture); break;
                    case "base": Base = long.Parse(value, CultureInfo.InvariantCulture); break;
                    case "complete": Complete = bool.Parse(value); break;
                    case "strategy": Strategy = Enum.Parse<WaitStrategy>(value, ignoreCase: true); break;
                    case "path": Path = value; break;
                    default: throw new ArgumentException($"unknown setting '{key}'");
                }
            }
        }

        public long Writer { get; }

        public long Count { get; } = 1000;

        public long Base { get; }

        public bool Complete { get; }

        public WaitStrategy Strategy { get; } = WaitStrategy.Hybrid;

        public string? Path { get; }
    }

    /// <summary>A file of i32 counters mapped by the readers and the test.</summary>
    public sealed unsafe class Tally : IDisposable
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private readonly int* _counters;

        private Tally(MemoryMappedFile file, MemoryMappedViewAccessor view, long count)
        {
            _file = file;
            _view = view;
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _counters = (int*)(p + view.PointerOffset);
            Count = count;
        }

        public long Count { get; }

        public static Tally Map(string path)
        {
            long length = new FileInfo(path).Length;
            var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
            return new Tally(file, file.CreateViewAccessor(0, length), length / sizeof(int));
        }

        public ref int At(long index) => ref _counters[index];

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
