using System;
using System.Globalization;
using System.Threading;

namespace Ring.TestPeer;

/// <summary>
/// The peer executable the cross-process tests start: one process per role, the exit code as the verdict
/// (0 ok, 1 verification failed, 2 bad arguments, 3 unexpected outcome, 4 exception). Lines on stdout announce
/// milestones the test waits for ("attached", "claimed", "progress N").
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: Ring.TestPeer MODE NAME [key=value ...]");
            return 2;
        }

        string mode = args[0];
        string name = args[1];
        if (SecurityModes.Handles(mode))
        {
            return SecurityModes.Run(name, args.AsSpan(2));
        }

        if (ChannelModes.Handles(mode))
        {
            return ChannelModes.Run(mode, name, args.AsSpan(2));
        }

        if (SlotModes.Handles(mode))
        {
            return SlotModes.Run(mode, name, args.AsSpan(2));
        }

        if (BroadcastModes.Handles(mode))
        {
            return BroadcastModes.Run(mode, name, args.AsSpan(2));
        }

        if (ManyToOneModes.Handles(mode))
        {
            try
            {
                return ManyToOneModes.Run(mode, name, args.AsSpan(2));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"peer {mode} failed: {e}");
                return 4;
            }
        }

        if (ManyToManyModes.Handles(mode))
        {
            try
            {
                return ManyToManyModes.Run(mode, name, args.AsSpan(2));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"peer {mode} failed: {e}");
                return 4;
            }
        }

        if (LaneModes.Handles(mode))
        {
            try
            {
                return LaneModes.Run(mode, name, args.AsSpan(2));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"peer {mode} failed: {e}");
                return 4;
            }
        }

        if (FragmentModes.Handles(mode))
        {
            try
            {
                return FragmentModes.Run(mode, name, args.AsSpan(2));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"peer {mode} failed: {e}");
                return 4;
            }
        }

        if (StreamModes.Handles(mode))
        {
            return StreamModes.Run(mode, name, args.AsSpan(2));
        }

        var settings = new Settings(args.AsSpan(2));

        if (SyncModes.Handles(mode))
        {
            try
            {
                return SyncModes.Run(mode, name, settings.Count, settings.Path);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"peer {mode} failed: {e}");
                return 4;
            }
        }

        try
        {
            var options = new RingOptions { WaitStrategy = settings.Strategy, OpenTimeout = TimeSpan.FromSeconds(10) };
            if (settings.Directory is not null)
            {
                options.Directory = settings.Directory;
            }

            using OneToOneRing ring = OneToOneRing.Open(name, options);
            return mode switch
            {
                "write" => Write(ring, settings),
                "read" => Read(ring, settings),
                "write-then-hang" => WriteThenHang(ring, settings),
                "write-forever" => WriteForever(ring, settings),
                "attach-writer" => AttachAndHang(ring, writer: true),
                "attach-reader" => AttachAndHang(ring, writer: false),
                _ => Usage(mode),
            };
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"peer {mode} failed: {e}");
            return 4;
        }
    }

    private static int Usage(string mode)
    {
        Console.Error.WriteLine($"unknown mode '{mode}'");
        return 2;
    }

    /// <summary>Writes messages 0..count-1 of the pattern, blocking when full, then completes if asked.</summary>
    private static int Write(OneToOneRing ring, Settings s)
    {
        byte[] buffer = new byte[s.MaxLength];
        if (s.DelayMs > 0)
        {
            Thread.Sleep(s.DelayMs);
        }

        if (s.AfterReaderSleeps)
        {
            // Start only once the reader sleeps on the futex (bounded), so that the first write must wake it.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (ring.GetStatistics().ReaderSleeps == 0)
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60))
                {
                    Console.Error.WriteLine("the reader never slept");
                    return 3;
                }

                Thread.Sleep(1);
            }
        }

        for (long i = 0; i < s.Count; i++)
        {
            int length = MessagePattern.Length(s.Seed, i, s.MaxLength);
            Span<byte> message = buffer.AsSpan(0, length);
            MessagePattern.Fill(message, s.Seed, i);
            if (!ring.TryWrite(message, MessagePattern.Type(i), TimeSpan.FromSeconds(60)))
            {
                Console.Error.WriteLine($"write of message {i} timed out");
                return 3;
            }
        }

        if (s.Complete)
        {
            ring.Complete();
        }

        return 0;
    }

    /// <summary>Reads and verifies messages 0..count-1, then expects end of stream if the writer completes.</summary>
    private static int Read(OneToOneRing ring, Settings s)
    {
        byte[] buffer = new byte[s.MaxLength];
        for (long i = 0; i < s.Count; i++)
        {
            ReadStatus status = ring.Read(buffer, out RingMessage m, TimeSpan.FromSeconds(60));
            if (status != ReadStatus.Message)
            {
                Console.Error.WriteLine($"read of message {i}: {status}");
                return 3;
            }

            string? error = MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, s.Seed, i, s.MaxLength);
            if (error is not null)
            {
                Console.Error.WriteLine(error);
                return 1;
            }
        }

        if (s.Complete)
        {
            ReadStatus end = ring.Read(buffer, out _, TimeSpan.FromSeconds(60));
            if (end != ReadStatus.Completed)
            {
                Console.Error.WriteLine($"after {s.Count} messages: {end}, expected Completed");
                return 3;
            }
        }

        return 0;
    }

    /// <summary>Writes count messages, claims one more without committing it, says so, and waits to be killed.</summary>
    private static int WriteThenHang(OneToOneRing ring, Settings s)
    {
        int result = Write(ring, s);
        if (result != 0)
        {
            return result;
        }

        if (!ring.TryClaim(16, 7, out Span<byte> payload))
        {
            Console.Error.WriteLine("could not claim the torn frame");
            return 3;
        }

        payload.Fill(0xEE);
        Console.Out.WriteLine("claimed");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    /// <summary>Writes the pattern until killed, reporting progress every 4096 messages.</summary>
    private static int WriteForever(OneToOneRing ring, Settings s)
    {
        byte[] buffer = new byte[s.MaxLength];
        for (long i = 0; ; i++)
        {
            int length = MessagePattern.Length(s.Seed, i, s.MaxLength);
            MessagePattern.Fill(buffer.AsSpan(0, length), s.Seed, i);
            if (!ring.TryWrite(buffer.AsSpan(0, length), MessagePattern.Type(i), TimeSpan.FromSeconds(60)))
            {
                return 3;
            }

            if ((i & 4095) == 0)
            {
                Console.Out.WriteLine("progress " + i.ToString(CultureInfo.InvariantCulture));
                Console.Out.Flush();
            }
        }
    }

    private static int AttachAndHang(OneToOneRing ring, bool writer)
    {
        if (writer)
        {
            ring.TryWrite([1, 2, 3], 0);
        }
        else
        {
            ring.TryRead(new byte[ring.MaxMessageLength], out _);
        }

        Console.Out.WriteLine("attached");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private sealed class Settings
    {
        public Settings(ReadOnlySpan<string> args)
        {
            foreach (string arg in args)
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                string key = eq < 0 ? arg : arg[..eq];
                string value = eq < 0 ? "true" : arg[(eq + 1)..];
                switch (key)
                {
                    case "count": Count = long.Parse(value, CultureInfo.InvariantCulture); break;
                    case "seed": Seed = ulong.Parse(value, CultureInfo.InvariantCulture); break;
                    case "max": MaxLength = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "strategy": Strategy = Enum.Parse<WaitStrategy>(value, ignoreCase: true); break;
                    case "dir": Directory = value; break;
                    case "delay": DelayMs = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "complete": Complete = bool.Parse(value); break;
                    case "after-reader-sleeps": AfterReaderSleeps = bool.Parse(value); break;
                    case "path": Path = value; break;
                    default: throw new ArgumentException($"unknown setting '{key}'");
                }
            }
        }

        public long Count { get; } = 1000;

        public ulong Seed { get; } = 1;

        public int MaxLength { get; } = 256;

        public WaitStrategy Strategy { get; } = WaitStrategy.Hybrid;

        public string? Directory { get; }

        public int DelayMs { get; }

        public bool Complete { get; }

        public bool AfterReaderSleeps { get; }

        public string? Path { get; }
    }
}
