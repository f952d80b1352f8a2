using System;
using System.IO;
using System.Text;
using System.Text.Unicode;

namespace Ring.Channels;

/// <summary>
/// The byte-stream wire format shared by <see cref="RingStream"/>, <see cref="RingPipeWriter"/> and
/// <see cref="RingPipeReader"/>: a stream is a sequence of frames of type <see cref="DataType"/> whose payloads,
/// concatenated, are the bytes (frame boundaries carry no meaning); the ring's completion is the end of the stream; a
/// frame of type <see cref="AbortType"/> (UTF-8 reason) ends it with an error. Any other type is refused.
/// </summary>
internal static class StreamFrames
{
    /// <summary>Frame type of the stream's bytes.</summary>
    internal const int DataType = 0;

    /// <summary>Frame type of an abort: the writer failed; the payload is the reason in UTF-8.</summary>
    internal const int AbortType = 1;

    /// <summary>Encodes "Type: message" of <paramref name="exception"/> into at most <paramref name="destination"/>'s length, cut at a character boundary.</summary>
    internal static int EncodeAbortReason(Exception exception, Span<byte> destination)
    {
        string reason = $"{exception.GetType().FullName}: {exception.Message}";

        // DestinationTooSmall leaves whole characters written: the reason is cut, never split inside a character.
        Utf8.FromUtf16(reason, destination, out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
        return written;
    }

    /// <summary>The exception a reader raises for an abort frame, and for every read after it.</summary>
    internal static IOException Aborted(string ring, string reason) =>
        new($"The writer of ring '{ring}' aborted the stream: {reason}");

    /// <summary>Decodes an abort frame's reason.</summary>
    internal static string DecodeAbortReason(ReadOnlySpan<byte> payload) => Encoding.UTF8.GetString(payload);

    /// <summary>A frame of a type that no stream writer writes: the ring does not hold a byte stream.</summary>
    internal static IOException UnexpectedType(string ring, int type, int length) =>
        new($"Ring '{ring}' holds a frame of type {type} ({length} bytes): a byte stream has only frames of type {DataType} (data) and {AbortType} (abort). Is another kind of writer on this ring?");

    /// <summary>The writer died before completing the stream; everything it committed was delivered.</summary>
    internal static IOException WriterDied(string ring, int processId, Exception? inner) =>
        new($"The writer of ring '{ring}' (pid {processId}) died without completing the stream; every byte it committed was delivered before this error.", inner);

    /// <summary>The reader died while this writer waited for room.</summary>
    internal static IOException ReaderDied(string ring, int processId, Exception inner, long written, long total) =>
        new($"The reader of ring '{ring}' (pid {processId}) died while the ring was full; {written} of the {total} bytes of this write were published.", inner);
}
