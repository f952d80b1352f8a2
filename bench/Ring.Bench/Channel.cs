using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.CompilerServices;

namespace Ring.Bench;

/// <summary>
/// One side of a transport as the scenario drivers see it. Implemented by structs and used through generic methods so
/// that every call is specialized and inlinable: the shared-memory floors are measured in nanoseconds.
/// </summary>
internal interface IChannel
{
    /// <summary>Sends one message, waiting (the transport's way) while there is no room.</summary>
    void Send(ReadOnlySpan<byte> message);

    /// <summary>Receives one message into <paramref name="destination"/>; returns its length, or -1 at the end of the stream.</summary>
    int Receive(Span<byte> destination);

    /// <summary>
    /// Sends <paramref name="count"/> messages made from <paramref name="template"/>, stamped with sequence numbers from
    /// <paramref name="firstSequence"/>, through the transport's best batched path.
    /// </summary>
    void SendBatch(ReadOnlySpan<byte> template, long firstSequence, int count);

    /// <summary>
    /// Receives at least one message through the transport's best batched path, handing each to the verifier in place
    /// where the transport allows; returns how many, or -1 at the end of the stream.
    /// </summary>
    int ReceiveBatch(ref MessageVerifier verifier);

    /// <summary>Marks the end of the stream for the receiver.</summary>
    void SendEnd();

    /// <summary>
    /// Messages that, sent back to back from a fresh start, touch every page of the transport's buffers once without
    /// waiting for the receiver (0 where the transport has no buffer of its own to fault in). Both sides compute the
    /// same number. Sent before the warm-up, they keep first-touch page faults out of the measurement.
    /// </summary>
    int LapLength { get; }
}

/// <summary>
/// Message contents: a sequence number in the first 8 bytes (when the message has 8), a send timestamp in the next 8
/// for idle wake-up, a fixed pattern after.
/// </summary>
internal static class Payload
{
    internal const int MinimumSize = 16;

    internal static byte[] Create(int size)
    {
        byte[] message = new byte[size];
        for (int i = 0; i < message.Length; i++)
        {
            message[i] = (byte)(i * 31 + 7);
        }

        return message;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Stamp(Span<byte> message, long sequence)
    {
        if (message.Length >= 8)
        {
            BinaryPrimitives.WriteInt64LittleEndian(message, sequence);
        }
    }

    internal static void StampTime(Span<byte> message, long timestamp) =>
        BinaryPrimitives.WriteInt64LittleEndian(message[8..], timestamp);

    internal static long ReadTime(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt64LittleEndian(message[8..]);
}

/// <summary>
/// Checks each received message: its length, and its sequence number (consecutive from the first), so that a transport
/// that drops, repeats or truncates cannot report a fast number.
/// </summary>
internal struct MessageVerifier : IFrameHandler
{
    private readonly int _length;
    private long _next;

    internal MessageVerifier(int length, long firstSequence = 0)
    {
        _length = length;
        _next = firstSequence;
    }

    /// <summary>Messages checked so far.</summary>
    internal long Count { get; private set; }

    public void OnFrame(int type, ReadOnlySpan<byte> payload) => Check(payload);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Check(ReadOnlySpan<byte> message)
    {
        if (message.Length != _length || (message.Length >= 8 && BinaryPrimitives.ReadInt64LittleEndian(message) != _next))
        {
            Fail(message);
        }

        _next++;
        Count++;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void Fail(ReadOnlySpan<byte> message)
    {
        string sequence = message.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(message).ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
        throw new InvalidDataException($"message {Count} is corrupt: length {message.Length} (expected {_length}), sequence {sequence} (expected {_next})");
    }
}
