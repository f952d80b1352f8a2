using System;

namespace Ring.Layout;

/// <summary>
/// A frame in a broadcast ring's data region: <see cref="FrameDescriptor"/>'s length and type, extended with the 64-bit
/// sequence number of the message, so that a reader that was lapped learns exactly how many messages it lost. Header
/// 16 bytes, frames aligned to 16.
/// <code>
///   0                   1                   2                   3
///   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///  +-+-------------------------------------------------------------+
///  |R|                 Frame length (i32)                          |  0
///  +-+-------------------------------------------------------------+
///  |                   Type (i32)                                  |  4
///  +---------------------------------------------------------------+
///  |                   Sequence (i64)                              |  8
///  |                                                               |
///  +---------------------------------------------------------------+
///  |                   Payload ...                                ...  16
///  +---------------------------------------------------------------+
/// </code>
/// Frame length counts the header and the payload (so it is at least 16) but not the alignment padding; the next frame
/// starts at <c>Align(frame length)</c>. R is the sign, as in <see cref="FrameDescriptor"/>: negative while the writer
/// fills the frame, positive once committed (release). Length 0 is the empty header the writer keeps just after its
/// newest frame: nothing to read yet. Type -1 marks padding (the end of the region, an aborted or a torn claim).
/// <para>
/// The sequence is the message's number, counted from 0 at creation; in padding and in the empty header it is the
/// number of the next message. So the header at any frame boundary tells which message comes next there.
/// </para>
/// </summary>
public static class BroadcastFrameDescriptor
{
    /// <summary>Size of the frame header.</summary>
    public const int HeaderLength = 16;

    /// <summary>Frames start at multiples of this (a header never straddles the end of the region).</summary>
    public const int Alignment = 16;

    /// <summary>Offset of the frame length (i32) within the header.</summary>
    public const int LengthOffset = 0;

    /// <summary>Offset of the type (i32) within the header.</summary>
    public const int TypeOffset = 4;

    /// <summary>Offset of the sequence number (i64) within the header.</summary>
    public const int SequenceOffset = 8;

    /// <summary>The type of a padding frame.</summary>
    public const int PaddingType = FrameDescriptor.PaddingType;

    /// <summary>Rounds a frame length up to <see cref="Alignment"/>.</summary>
    public static int Align(int frameLength) => (frameLength + (Alignment - 1)) & ~(Alignment - 1);

    /// <summary>
    /// The largest maximum message length a broadcast ring of <paramref name="capacity"/> bytes accepts: capacity / 2 - 16,
    /// so that a frame, the padding before it at the wrap and the empty header after it never need more than a lap.
    /// </summary>
    public static int MaxMessageLengthFor(long capacity) => (int)Math.Min(int.MaxValue - 64, capacity / 2 - HeaderLength);
}
