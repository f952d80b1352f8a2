using System;
using System.Collections.Generic;
using System.Threading;
using Ring.Channels;

namespace Ring.TestPeer;

/// <summary>
/// Peer modes for fragmentation over a <see cref="ManyToOneRing"/>: writer W sends messages 0, 1, 2, ... with
/// <see cref="FragmentingWriter"/>, message S of length <see cref="Length"/> in [min, max] filled by
/// <see cref="MessagePattern.Fill"/> with seed W + 1, type W, so the reader verifies every byte.
/// Settings: id, count, min, max, linger (ms to stay alive after the last message), mid (fragments of one more
/// message to write before saying "mid" and hanging until killed).
/// </summary>
public static class FragmentModes
{
    public static bool Handles(string mode) => mode.StartsWith("frag-", StringComparison.Ordinal);

    public static int Run(string mode, string name, ReadOnlySpan<string> args)
    {
        Dictionary<string, string> s = PeerArguments.Parse(args);

        var options = new RingOptions { OpenTimeout = TimeSpan.FromSeconds(10) };
        if (s.TryGetValue("dir", out string? dir))
        {
            options.Directory = dir;
        }

        int id = PeerArguments.Int(s, "id", 0);
        int count = PeerArguments.Int(s, "count", 10);
        int min = PeerArguments.Int(s, "min", 1);
        int max = PeerArguments.Int(s, "max", 1 << 20);
        using var writer = new FragmentingWriter(ManyToOneRing.Open(name, options), new FragmentationOptions { MaxMessageSize = 64 << 20 });
        return mode switch
        {
            "frag-write" => Write(writer, id, count, min, max, PeerArguments.Int(s, "linger", 0)),
            "frag-write-mid" => WriteThenDieMidMessage(writer, id, count, min, max, PeerArguments.Int(s, "mid", 2)),
            _ => 2,
        };
    }

    /// <summary>Length of message <paramref name="sequence"/> of writer <paramref name="id"/>: uniform in [min, max] (at least 8).</summary>
    public static int Length(int id, long sequence, int min, int max)
    {
        ulong h = (((ulong)id + 1) * 0x9E3779B97F4A7C15UL) ^ ((ulong)sequence * 0xBF58476D1CE4E5B9UL);
        h ^= h >> 31;
        h *= 0x94D049BB133111EBUL;
        h ^= h >> 29;
        return Math.Max(8, min + (int)(h % (ulong)(max - min + 1)));
    }

    /// <summary>Fills message <paramref name="sequence"/> of writer <paramref name="id"/>.</summary>
    public static void Fill(Span<byte> payload, int id, long sequence) => MessagePattern.Fill(payload, (ulong)id + 1, sequence);

    private static int Write(FragmentingWriter writer, int id, int count, int min, int max, int lingerMs)
    {
        byte[] buffer = new byte[max];
        Console.WriteLine("attached");
        for (long sequence = 0; sequence < count; sequence++)
        {
            int length = Length(id, sequence, min, max);
            Fill(buffer.AsSpan(0, length), id, sequence);
            writer.Write(buffer.AsSpan(0, length), id);
        }

        Console.WriteLine("done");
        Thread.Sleep(lingerMs);
        return 0;
    }

    /// <summary>Writes count messages, then starts message number count and hangs after <paramref name="mid"/> of its fragments.</summary>
    private static int WriteThenDieMidMessage(FragmentingWriter writer, int id, int count, int min, int max, int mid)
    {
        Write(writer, id, count, min, max, 0);
        int fragments = 0;
        writer.FragmentWritten = _ =>
        {
            if (++fragments == mid)
            {
                Console.WriteLine("mid");
                Thread.Sleep(Timeout.Infinite);
            }
        };

        // Long enough for more than mid fragments.
        int length = writer.FragmentDataLength * (mid + 2);
        byte[] buffer = new byte[length];
        Fill(buffer, id, count);
        writer.Write(buffer, id);
        return 3;
    }
}
