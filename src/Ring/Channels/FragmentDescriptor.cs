using System;
using System.Buffers.Binary;

namespace Ring.Channels;

/// <summary>
/// The wire format of fragmentation (<see cref="FragmentingWriter"/>, <see cref="ReassemblingReader"/>): a message that
/// fits one frame of the ring goes as one frame with the user's type; a longer one goes as a sequence of frames of type
/// <see cref="FrameType"/>, each payload a 32-byte fragment header followed by a slice of the message.
/// <code>
///   0                   1                   2                   3
///   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///  +---------------------------------------------------------------+
///  |                   Writer process id (i32)                     |  0  \ process identity (i64):
///  |                   Writer start time, low 32 bits (u32)        |  4  / pid &lt;&lt; 32 | start time
///  +---------------------------------------------------------------+
///  |                   Writer instance (i32)                       |  8
///  +---------------------------------------------------------------+
///  |                   User type (i32)                             | 12
///  +---------------------------------------------------------------+
///  |                   Message number (i32, per writer, wraps)     | 16
///  +---------------------------------------------------------------+
///  |                   Total length (i32)                          | 20
///  +---------------------------------------------------------------+
///  |                   Offset (i32)                                | 24
///  +---------------------------------------------------------------+
///  |                   Flags (i32): 0 data, 1 cancel               | 28
///  +---------------------------------------------------------------+
///  |                   Data: bytes [offset, offset + n) ...       ... 32
///  +---------------------------------------------------------------+
/// </code>
/// All fields are little-endian. The identity word is stored as one little-endian i64: the start time's low
/// 32 bits in bytes 0-3 and the pid in bytes 4-7. A writer is named by its process identity and its instance (one per
/// <see cref="FragmentingWriter"/> object in the process). Its fragments carry offsets 0, n1, n1 + n2, ... in order; the
/// message is whole when offset + n reaches the total length. A cancel fragment (flags 1, no data) gives up the
/// message number it names. Types <see cref="ReservedTypeMin"/> to <see cref="int.MaxValue"/> are reserved for the
/// channel layers; user messages may not carry them.
/// </summary>
public static class FragmentDescriptor
{
    /// <summary>The lowest frame type reserved for the channel layers; user types must be below it.</summary>
    public const int ReservedTypeMin = 0x7FFF_FF00;

    /// <summary>The frame type of a fragment.</summary>
    public const int FrameType = 0x7FFF_FF01;

    /// <summary>Size of the fragment header at the start of a fragment frame's payload.</summary>
    public const int HeaderLength = 32;

    /// <summary>Offset of the writer's process identity (i64: pid &lt;&lt; 32 | low 32 bits of its start time).</summary>
    public const int IdentityOffset = 0;

    /// <summary>Offset of the writer instance (i32), unique among the fragmenting writers of one process.</summary>
    public const int InstanceOffset = 8;

    /// <summary>Offset of the user's message type (i32).</summary>
    public const int UserTypeOffset = 12;

    /// <summary>Offset of the message number (i32), counted per writer from 0.</summary>
    public const int MessageNumberOffset = 16;

    /// <summary>Offset of the message's total length in bytes (i32).</summary>
    public const int TotalLengthOffset = 20;

    /// <summary>Offset of this fragment's data within the message (i32).</summary>
    public const int FragmentOffsetOffset = 24;

    /// <summary>Offset of the flags (i32).</summary>
    public const int FlagsOffset = 28;

    /// <summary>Flags of a fragment that carries data.</summary>
    public const int DataFlags = 0;

    /// <summary>Flags of a fragment that gives up a message (it carries no data).</summary>
    public const int CancelFlags = 1;

    /// <summary>Checks that <paramref name="type"/> is a user type: 0 or more and below <see cref="ReservedTypeMin"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The type is negative or reserved.</exception>
    public static void CheckUserType(int type)
    {
        if ((uint)type >= ReservedTypeMin)
        {
            throw new ArgumentOutOfRangeException(nameof(type), type,
                $"Message type {type} is invalid for a fragmenting writer: user types are 0 to {ReservedTypeMin - 1} (0x{ReservedTypeMin - 1:X}); negative types are reserved for the rings and 0x{ReservedTypeMin:X} and above for the channel layers.");
        }
    }

    /// <summary>The fields of one fragment header.</summary>
    internal readonly record struct Header(long Identity, int Instance, int UserType, int MessageNumber, int TotalLength, int Offset, int Flags);

    internal static void Write(Span<byte> destination, in Header header)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination[IdentityOffset..], header.Identity);
        BinaryPrimitives.WriteInt32LittleEndian(destination[InstanceOffset..], header.Instance);
        BinaryPrimitives.WriteInt32LittleEndian(destination[UserTypeOffset..], header.UserType);
        BinaryPrimitives.WriteInt32LittleEndian(destination[MessageNumberOffset..], header.MessageNumber);
        BinaryPrimitives.WriteInt32LittleEndian(destination[TotalLengthOffset..], header.TotalLength);
        BinaryPrimitives.WriteInt32LittleEndian(destination[FragmentOffsetOffset..], header.Offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[FlagsOffset..], header.Flags);
    }

    internal static Header Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadInt64LittleEndian(source[IdentityOffset..]),
        BinaryPrimitives.ReadInt32LittleEndian(source[InstanceOffset..]),
        BinaryPrimitives.ReadInt32LittleEndian(source[UserTypeOffset..]),
        BinaryPrimitives.ReadInt32LittleEndian(source[MessageNumberOffset..]),
        BinaryPrimitives.ReadInt32LittleEndian(source[TotalLengthOffset..]),
        BinaryPrimitives.ReadInt32LittleEndian(source[FragmentOffsetOffset..]),
        BinaryPrimitives.ReadInt32LittleEndian(source[FlagsOffset..]));
}
