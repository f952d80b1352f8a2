using System;
using System.Buffers.Binary;

namespace Ring.TestPeer;

/// <summary>
/// The deterministic content of message number <c>sequence</c> in a stream with a given seed: its length, type and
/// every byte. Writer and reader derive it independently, so the reader verifies each byte it receives.
/// </summary>
public static class MessagePattern
{
    /// <summary>Length of message <paramref name="sequence"/>: uniform in [8, maxLength] (8 bytes carry the sequence).</summary>
    public static int Length(ulong seed, long sequence, int maxLength)
    {
        ulong h = Mix(seed ^ (ulong)sequence);
        return 8 + (int)(h % (ulong)(maxLength - 7));
    }

    /// <summary>Type of message <paramref name="sequence"/>.</summary>
    public static int Type(long sequence) => (int)(sequence % 1000);

    /// <summary>Fills <paramref name="payload"/> with message <paramref name="sequence"/>: the sequence, then a pseudo-random stream.</summary>
    public static void Fill(Span<byte> payload, ulong seed, long sequence)
    {
        BinaryPrimitives.WriteInt64LittleEndian(payload, sequence);
        ulong state = Mix(seed + (ulong)sequence * 0x9E3779B97F4A7C15UL) | 1;
        Span<byte> rest = payload[8..];
        while (rest.Length >= 8)
        {
            state = Next(state);
            BinaryPrimitives.WriteUInt64LittleEndian(rest, state);
            rest = rest[8..];
        }

        state = Next(state);
        for (int i = 0; i < rest.Length; i++)
        {
            rest[i] = (byte)(state >> (8 * i));
        }
    }

    /// <summary>Checks that <paramref name="payload"/> is exactly message <paramref name="sequence"/>; returns a description of the first difference, or null.</summary>
    public static string? Verify(ReadOnlySpan<byte> payload, int type, ulong seed, long sequence, int maxLength)
    {
        int expectedLength = Length(seed, sequence, maxLength);
        if (payload.Length != expectedLength)
        {
            return $"message {sequence}: length {payload.Length}, expected {expectedLength}";
        }

        if (type != Type(sequence))
        {
            return $"message {sequence}: type {type}, expected {Type(sequence)}";
        }

        long actualSequence = BinaryPrimitives.ReadInt64LittleEndian(payload);
        if (actualSequence != sequence)
        {
            return $"message {sequence}: carries sequence {actualSequence}";
        }

        ulong state = Mix(seed + (ulong)sequence * 0x9E3779B97F4A7C15UL) | 1;
        ReadOnlySpan<byte> rest = payload[8..];
        int offset = 8;
        while (rest.Length >= 8)
        {
            state = Next(state);
            if (BinaryPrimitives.ReadUInt64LittleEndian(rest) != state)
            {
                return $"message {sequence}: payload differs at bytes {offset}..{offset + 7}";
            }

            rest = rest[8..];
            offset += 8;
        }

        state = Next(state);
        for (int i = 0; i < rest.Length; i++)
        {
            if (rest[i] != (byte)(state >> (8 * i)))
            {
                return $"message {sequence}: payload differs at byte {offset + i}";
            }
        }

        return null;
    }

    private static ulong Next(ulong x)
    {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
