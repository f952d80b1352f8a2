using System;
using System.Collections.Generic;
using System.Threading;

namespace Ring.TestPeer;

/// <summary>
/// Peer modes for <see cref="ManyToManyRing"/>. Writer W sends messages 0, 1, 2, ... of type W: 8 bytes of sequence,
/// then bytes (sequence + i) * (W + 1), of a length that varies with the sequence. Settings: id, count, max,
/// claim-every (every Kth message goes through TryClaim/Commit), hold (messages a hanging reader reads first).
/// </summary>
public static class ManyToManyModes
{
    public static bool Handles(string mode) => mode.StartsWith("m2m-", StringComparison.Ordinal);

    public static int Run(string mode, string name, ReadOnlySpan<string> args)
    {
        Dictionary<string, string> s = PeerArguments.Parse(args);

        var options = new RingOptions
        {
            OpenTimeout = TimeSpan.FromSeconds(10),
            LivenessCheckInterval = TimeSpan.FromMilliseconds(20),
        };
        if (s.TryGetValue("dir", out string? dir))
        {
            options.Directory = dir;
        }

        int id = PeerArguments.Int(s, "id", 0);
        int count = PeerArguments.Int(s, "count", 1000);
        int max = PeerArguments.Int(s, "max", 256);
        using ManyToManyRing ring = ManyToManyRing.Open(name, options);
        return mode switch
        {
            "m2m-write" => Write(ring, id, count, max, PeerArguments.Int(s, "claim-every", 0)),
            "m2m-claim-hang" => ClaimAndHang(ring, id, count, max),
            "m2m-read" => Read(ring, PeerArguments.Int(s, "writers", 1), count, max),
            "m2m-read-hang" => ReadAndHang(ring, PeerArguments.Int(s, "hold", 0), max),
            _ => 2,
        };
    }

    /// <summary>The length of message <paramref name="sequence"/>: 8 to max bytes.</summary>
    public static int Length(long sequence, int max) => 8 + (int)(sequence * 7 % (max - 7));

    public static void Fill(Span<byte> message, int id, long sequence)
    {
        BitConverter.TryWriteBytes(message, sequence);
        for (int i = 8; i < message.Length; i++)
        {
            message[i] = (byte)((sequence + i) * (id + 1));
        }
    }

    /// <summary>Checks a message against the pattern; returns its sequence, or -1 if a byte is wrong.</summary>
    public static long Verify(ReadOnlySpan<byte> message, int id, int max)
    {
        if (message.Length < 8)
        {
            return -1;
        }

        long sequence = BitConverter.ToInt64(message);
        if (sequence < 0 || message.Length != Length(sequence, max))
        {
            return -1;
        }

        for (int i = 8; i < message.Length; i++)
        {
            if (message[i] != (byte)((sequence + i) * (id + 1)))
            {
                return -1;
            }
        }

        return sequence;
    }

    /// <summary>
    /// Writes messages 0..count-1, blocking when full; then waits (bounded) until a reader has taken the last one and
    /// prints "taker SEQ READER" (the taker query across processes), then "done".
    /// </summary>
    private static int Write(ManyToManyRing ring, int id, int count, int max, int claimEvery)
    {
        byte[] buffer = new byte[max];
        Console.WriteLine("attached");
        for (long sequence = 0; sequence < count; sequence++)
        {
            int length = Length(sequence, max);
            if (claimEvery > 0 && sequence % claimEvery == 0)
            {
                Span<byte> payload;
                while (!ring.TryClaim(length, id, out payload))
                {
                    ring.WaitToWriteAsync(length).AsTask().Wait();
                }

                Fill(payload, id, sequence);
                ring.Commit();
            }
            else
            {
                Fill(buffer.AsSpan(0, length), id, sequence);
                ring.Write(buffer.AsSpan(0, length), id);
            }
        }

        if (count > 0)
        {
            long last = ring.LastSequence;
            long deadline = Environment.TickCount64 + 20_000;
            MessageTakerStatus status;
            int reader;
            while ((status = ring.TryGetTaker(last, out reader)) == MessageTakerStatus.NotYetTaken && Environment.TickCount64 < deadline)
            {
                Thread.Sleep(1);
            }

            Console.WriteLine($"taker {status} {reader}");
        }

        Console.WriteLine("done");
        return 0;
    }

    /// <summary>Writes count messages, then claims one, fills half of it, says "claimed" and hangs until killed.</summary>
    private static int ClaimAndHang(ManyToManyRing ring, int id, int count, int max)
    {
        byte[] buffer = new byte[max];
        for (long sequence = 0; sequence < count; sequence++)
        {
            int length = Length(sequence, max);
            Fill(buffer.AsSpan(0, length), id, sequence);
            ring.Write(buffer.AsSpan(0, length), id);
        }

        int claimLength = Length(count, max);
        Span<byte> payload;
        while (!ring.TryClaim(claimLength, id, out payload))
        {
            Thread.Sleep(1);
        }

        payload[..(claimLength / 2)].Fill(0xAB);
        Console.WriteLine("claimed");
        Thread.Sleep(Timeout.Infinite);
        return 3;
    }

    /// <summary>
    /// Takes messages until completed, verifying each; prints "got W COUNT SUM SUMSQ" per writer (the sums of the
    /// sequences it took), "last W" for each writer's message count-1 it took, and "index R" (its reader index).
    /// </summary>
    private static int Read(ManyToManyRing ring, int writers, int count, int max)
    {
        long[] got = new long[writers];
        long[] sum = new long[writers];
        long[] squares = new long[writers];
        var last = new List<int>();
        byte[] buffer = new byte[ring.MaxMessageLength];
        Console.WriteLine("attached");
        while (true)
        {
            ReadStatus status = ring.Read(buffer, out RingMessage m, TimeSpan.FromSeconds(60));
            if (status == ReadStatus.Completed)
            {
                break;
            }

            if (status != ReadStatus.Message)
            {
                Console.Error.WriteLine($"read returned {status}");
                return 3;
            }

            int w = m.Type;
            long sequence = (uint)w < (uint)writers ? Verify(buffer.AsSpan(0, m.Length), w, max) : -1;
            if (sequence < 0)
            {
                Console.Error.WriteLine($"bad message of type {w}, length {m.Length}");
                return 1;
            }

            got[w]++;
            sum[w] += sequence;
            squares[w] += sequence * sequence;
            if (sequence == count - 1)
            {
                last.Add(w);
            }
        }

        for (int w = 0; w < writers; w++)
        {
            Console.WriteLine($"got {w} {got[w]} {sum[w]} {squares[w]}");
        }

        foreach (int w in last)
        {
            Console.WriteLine($"last {w}");
        }

        Console.WriteLine($"index {ring.ReaderIndex}");
        return 0;
    }

    /// <summary>
    /// Takes <paramref name="hold"/> messages, printing "got W S" for each, then takes one more in a zero-copy batch
    /// read, prints "holding W S" from inside the handler and hangs there until killed.
    /// </summary>
    private static int ReadAndHang(ManyToManyRing ring, int hold, int max)
    {
        byte[] buffer = new byte[ring.MaxMessageLength];
        for (int i = 0; i < hold; i++)
        {
            // WriterDied is expected while the writers of earlier rounds, all dead, are the only ones attached.
            ReadStatus status;
            RingMessage m;
            long until = Environment.TickCount64 + 30_000;
            while ((status = ring.Read(buffer, out m, TimeSpan.FromSeconds(30))) == ReadStatus.WriterDied && Environment.TickCount64 < until)
            {
                Thread.Sleep(1);
            }

            if (status != ReadStatus.Message)
            {
                Console.Error.WriteLine($"read returned {status}");
                return 3;
            }

            Console.WriteLine($"got {m.Type} {Verify(buffer.AsSpan(0, m.Length), m.Type, max)}");
        }

        long deadline = Environment.TickCount64 + 30_000;
        while (Environment.TickCount64 < deadline)
        {
            ring.Read(
                (type, payload) =>
                {
                    Console.WriteLine($"holding {type} {Verify(payload, type, max)}");
                    Thread.Sleep(Timeout.Infinite);
                },
                1);
            Thread.Sleep(1);
        }

        return 3;
    }
}
