using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ring.Soak;

/// <summary>
/// The harness's message: every one names its writer and its sequence number, carries the time it was sent and a
/// CRC-32C of all its other bytes, so that a reader detects a lost, repeated or damaged message on its own.
/// <code>
///  0   i64 sequence (0, 1, 2, ... per writer)
///  8   i32 writer id
///  12  u32 CRC-32C of bytes [0, 12) and [16, length)
///  16  i64 send time (Stopwatch ticks: CLOCK_MONOTONIC, the same clock in every process)
///  24  filler derived from the sequence, up to the message's length
/// </code>
/// </summary>
internal static class SoakMessage
{
    internal const int MinLength = 24;
    internal const int MessageType = 1;

    /// <summary>Length of message <paramref name="sequence"/> of a writer: uniform in [min, max], reproducible.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Length(int writer, long sequence, int min, int max) =>
        min == max ? min : min + (int)(Mix(((ulong)writer << 48) ^ (ulong)sequence) % (ulong)(max - min + 1));

    /// <summary>Writes message <paramref name="sequence"/> of <paramref name="writer"/> into <paramref name="message"/> (its whole length).</summary>
    internal static void Fill(Span<byte> message, int writer, long sequence, long sentTicks)
    {
        BinaryPrimitives.WriteInt64LittleEndian(message, sequence);
        BinaryPrimitives.WriteInt32LittleEndian(message[8..], writer);
        BinaryPrimitives.WriteInt64LittleEndian(message[16..], sentTicks);
        ulong word = (ulong)sequence * 0x9E3779B97F4A7C15UL;
        Span<byte> rest = message[MinLength..];
        while (rest.Length >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(rest, word);
            word += 0x632BE59BD9B4E019UL;
            rest = rest[8..];
        }

        for (int i = 0; i < rest.Length; i++)
        {
            rest[i] = (byte)(word >> (8 * i));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(message[12..], Checksum(message));
    }

    /// <summary>CRC-32C over the message without its checksum field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Checksum(ReadOnlySpan<byte> message)
    {
        uint crc = BitOperations.Crc32C(0xFFFFFFFFu, BinaryPrimitives.ReadUInt64LittleEndian(message));
        crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt32LittleEndian(message[8..]));
        ReadOnlySpan<byte> rest = message[16..];
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(rest);
        foreach (ulong w in words)
        {
            crc = BitOperations.Crc32C(crc, w);
        }

        for (int i = words.Length * 8; i < rest.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, rest[i]);
        }

        return ~crc;
    }

    /// <summary>True if the message is long enough and its checksum matches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsIntact(ReadOnlySpan<byte> message) =>
        message.Length >= MinLength && BinaryPrimitives.ReadUInt32LittleEndian(message[12..]) == Checksum(message);

    internal static long Sequence(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt64LittleEndian(message);

    internal static int Writer(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt32LittleEndian(message[8..]);

    internal static long SentTicks(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt64LittleEndian(message[16..]);

    /// <summary>
    /// The hash each received sequence number adds to its writer's sum: received count and hash sum equal to the sent
    /// count and the sum over 0..sent-1 mean every message arrived exactly once (a loss and a repeat that cancel out
    /// would have to collide in 64 bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long Hash(long sequence) => (long)Mix((ulong)sequence + 0x1234567);

    /// <summary>The hash sum of sequences 0..count-1.</summary>
    internal static long ExpectedHashSum(long count)
    {
        long sum = 0;
        for (long s = 0; s < count; s++)
        {
            sum += Hash(s);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
