using System;

namespace Ring.Layout;

/// <summary>
/// A frame in a framed ring's data region: an 8-byte header and the payload, the whole padded to 8 bytes.
/// <code>
///   0                   1                   2                   3
///   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///  +---------------------------------------------------------------+
///  |R|                 Frame length (i32)                          |  0
///  +-+-------------------------------------------------------------+
///  |                   Type (i32)                                  |  4
///  +---------------------------------------------------------------+
///  |                   Payload ...                                ...  8
///  +---------------------------------------------------------------+
/// </code>
/// Frame length counts the header and the payload (so it is at least 8) but not the alignment padding; the next frame
/// starts at <c>Align(frame length)</c>. R is the sign: the writer stores the length negated when it claims the frame
/// and stores it positive with release semantics when it commits, so a reader that loads a positive length with acquire
/// semantics sees the whole payload. Type -1 marks padding: a frame the reader skips, written where a frame would not
/// fit before the end of the region and where a claim was aborted. Other negative types are reserved.
/// <para>
/// In a segment created with frame checksums (<see cref="SegmentHeaderDescriptor.FrameChecksumsFlag"/>), a message frame
/// (type 0 or more) has 8 more header bytes before the payload, and the frame length counts them:
/// </para>
/// <code>
///  +---------------------------------------------------------------+
///  |                   Frame length (i32) = 16 + payload           |  0
///  |                   Type (i32)                                  |  4
///  |                   Checksum (u32): CRC-32C, see below          |  8
///  |                   Reserved (u32) = 0                          | 12
///  |                   Payload ...                                ... 16
///  +---------------------------------------------------------------+
/// </code>
/// The checksum is CRC-32C (Castagnoli, init and final XOR 0xFFFFFFFF) over the frame length (positive, as committed)
/// and the type as little-endian u32s, then the payload bytes. Padding frames carry none.
/// </summary>
public static class FrameDescriptor
{
    /// <summary>Size of the frame header.</summary>
    public const int HeaderLength = 8;

    /// <summary>Frames start at multiples of this.</summary>
    public const int Alignment = 8;

    /// <summary>Offset of the frame length (i32) within the header.</summary>
    public const int LengthOffset = 0;

    /// <summary>Offset of the type (i32) within the header.</summary>
    public const int TypeOffset = 4;

    /// <summary>Offset of the checksum (u32) in a message frame of a segment with frame checksums.</summary>
    public const int ChecksumOffset = 8;

    /// <summary>Header length of a message frame in a segment with frame checksums: length, type, checksum, reserved.</summary>
    public const int ChecksummedHeaderLength = 16;

    /// <summary>The type of a padding frame.</summary>
    public const int PaddingType = -1;

    /// <summary>Rounds a frame length up to <see cref="Alignment"/>.</summary>
    public static int Align(int frameLength) => (frameLength + (Alignment - 1)) & ~(Alignment - 1);

    /// <summary>
    /// The largest maximum message length a ring of <paramref name="capacity"/> bytes accepts: capacity / 2 - 8, so that
    /// a frame always fits after a padding frame at the wrap, however the positions fall.
    /// </summary>
    public static int MaxMessageLengthFor(long capacity) => MaxMessageLengthFor(capacity, frameChecksums: false);

    /// <summary>
    /// The largest maximum message length a ring of <paramref name="capacity"/> bytes accepts: capacity / 2 minus the
    /// frame header (8 bytes, or 16 with frame checksums).
    /// </summary>
    public static int MaxMessageLengthFor(long capacity, bool frameChecksums) =>
        (int)Math.Min(int.MaxValue - 64, capacity / 2 - (frameChecksums ? ChecksummedHeaderLength : HeaderLength));

    /// <summary>Checks that a message type is a user type: 0 or more (negative types are reserved).</summary>
    public static void CheckType(int type)
    {
        if (type < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(type), type,
                $"Message type {type} is invalid: types must be 0 or more (negative types are reserved for the ring).");
        }
    }
}
