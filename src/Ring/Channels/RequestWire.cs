using System;
using System.Buffers.Binary;

namespace Ring.Channels;

/// <summary>
/// The frames of request/response on a <see cref="DuplexChannel"/> (docs/channels/request-response.md). The ring's
/// frame type says what a frame is (<see cref="Request"/>, <see cref="Response"/>, <see cref="Error"/>); the payload
/// starts with a 16-byte header: the correlation id (8 bytes, little-endian), the user's message type (4 bytes) and
/// 4 reserved zero bytes; the body follows.
/// </summary>
internal static class RequestWire
{
    internal const int Request = 0x5251_0001;
    internal const int Response = 0x5251_0002;
    internal const int Error = 0x5251_0003;
    internal const int HeaderLength = 16;

    internal static void WriteHeader(Span<byte> frame, long id, int type)
    {
        BinaryPrimitives.WriteInt64LittleEndian(frame, id);
        BinaryPrimitives.WriteInt32LittleEndian(frame[8..], type);
        BinaryPrimitives.WriteInt32LittleEndian(frame[12..], 0);
    }

    internal static long Id(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt64LittleEndian(frame);

    internal static int Type(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt32LittleEndian(frame[8..]);
}
