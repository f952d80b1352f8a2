using System;
using System.Collections.Generic;
using System.Threading;

namespace Ring.TestPeer;

/// <summary>
/// Peer modes for <see cref="ManyToOneRing"/>. Writer W sends messages 0, 1, 2, ... of the pattern with seed W + 1 and
/// type W, so a reader can tell the writers apart and verify every byte. Settings: id, count, max, complete,
/// claim-every (every Kth message goes through TryClaim/Commit), strategy, dir.
/// </summary>
public static class ManyToOneModes
{
    public static bool Handles(string mode) => mode.StartsWith("m1-", StringComparison.Ordinal);

    public static int Run(string mode, string name, ReadOnlySpan<string> args)
    {
        Dictionary<string, string> s = PeerArguments.Parse(args);

        var options = new RingOptions
        {
            OpenTimeout = TimeSpan.FromSeconds(10),
            WaitStrategy = s.TryGetValue("strategy", out string? strategy) ? Enum.Parse<WaitStrategy>(strategy, true) : WaitStrategy.Hybrid,
            LivenessCheckInterval = TimeSpan.FromMilliseconds(20),
        };
        if (s.TryGetValue("dir", out string? dir))
        {
            options.Directory = dir;
        }

        int id = PeerArguments.Int(s, "id", 0);
        long count = PeerArguments.Int(s, "count", 1000);
        int max = PeerArguments.Int(s, "max", 256);
        int claimEvery = PeerArguments.Int(s, "claim-every", 0);
        using ManyToOneRing ring = ManyToOneRing.Open(name, options);
        return mode switch
        {
            "m1-write" => Write(ring, id, count, max, claimEvery, s.ContainsKey("complete")),
            "m1-write-forever" => Write(ring, id, long.MaxValue, max, claimEvery, complete: false),
            "m1-claim-hang" => ClaimAndHang(ring, id, count, max),
            "m1-read" => Read(ring, PeerArguments.Int(s, "writers", 1), max),
            _ => 2,
        };
    }

    /// <summary>Writes messages 0..count-1, blocking when full; every claimEvery-th goes through claim/commit.</summary>
    private static int Write(ManyToOneRing ring, int id, long count, int max, int claimEvery, bool complete)
    {
        ulong seed = (ulong)id + 1;
        byte[] buffer = new byte[max];
        Console.WriteLine("attached");
        for (long sequence = 0; sequence < count; sequence++)
        {
            int length = MessagePattern.Length(seed, sequence, max);
            if (claimEvery > 0 && sequence % claimEvery == 0)
            {
                Span<byte> payload;
                while (!ring.TryClaim(length, id, out payload))
                {
                    ring.WaitToWriteAsync(length).AsTask().Wait();
                }

                MessagePattern.Fill(payload, seed, sequence);
                ring.Commit();
            }
            else
            {
                MessagePattern.Fill(buffer.AsSpan(0, length), seed, sequence);
                ring.Write(buffer.AsSpan(0, length), id);
            }
        }

        if (complete)
        {
            ring.Complete();
        }

        Console.WriteLine("done");
        return 0;
    }

    /// <summary>Writes count messages, then claims one, fills half of it, says "claimed" and hangs until killed.</summary>
    private static int ClaimAndHang(ManyToOneRing ring, int id, long count, int max)
    {
        Write(ring, id, count, max, 0, complete: false);
        ulong seed = (ulong)id + 1;
        int length = MessagePattern.Length(seed, count, max);
        Span<byte> payload;
        while (!ring.TryClaim(length, id, out payload))
        {
            Thread.Sleep(1);
        }

        payload[..(length / 2)].Fill(0xAB);
        Console.WriteLine("claimed");
        Thread.Sleep(Timeout.Infinite);
        return 3;
    }

    /// <summary>
    /// Reads until completed (exit 0) or until every writer died (exit 0 too), verifying every message and that each
    /// writer's messages arrive in order without gaps. Prints "first W S" for each writer's first message and
    /// "got W N" for each writer at the end.
    /// </summary>
    private static int Read(ManyToOneRing ring, int writers, int max)
    {
        long[] next = new long[writers];
        Array.Fill(next, -1);
        byte[] buffer = new byte[ring.MaxMessageLength];
        Console.WriteLine("attached");
        while (true)
        {
            ReadStatus status = ring.Read(buffer, out RingMessage m, TimeSpan.FromSeconds(30));
            if (status is ReadStatus.Completed or ReadStatus.WriterDied)
            {
                for (int w = 0; w < writers; w++)
                {
                    Console.WriteLine($"got {w} {Math.Max(next[w], 0)}");
                }

                return 0;
            }

            if (status == ReadStatus.TimedOut)
            {
                Console.Error.WriteLine("read timed out");
                return 3;
            }

            int w2 = m.Type;
            if ((uint)w2 >= (uint)writers)
            {
                Console.Error.WriteLine($"message of unknown writer {w2}");
                return 1;
            }

            long sequence = BitConverter.ToInt64(buffer, 0);
            if (next[w2] < 0)
            {
                Console.WriteLine($"first {w2} {sequence}");
                next[w2] = sequence;
            }

            if (sequence != next[w2])
            {
                Console.Error.WriteLine($"writer {w2}: got message {sequence}, expected {next[w2]}");
                return 1;
            }

            string? error = MessagePattern.Verify(buffer.AsSpan(0, m.Length), MessagePattern.Type(sequence), (ulong)w2 + 1, sequence, max);
            if (error is not null)
            {
                Console.Error.WriteLine($"writer {w2}: {error}");
                return 1;
            }

            next[w2] = sequence + 1;
        }
    }
}
