using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Ring.Layout;

/// <summary>
/// The identity header at offset 0 of every Ring segment (layout version 1). All integers are little-endian.
/// <code>
///   0                   1                   2                   3
///   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///  +---------------------------------------------------------------+
///  |  Magic "RINGSEG1" (u64, 0x31474553474E4952), written LAST      |  0
///  |                                                               |
///  +---------------------------------------------------------------+
///  |  Layout version (i32) = 1                                     |  8
///  +---------------------------------------------------------------+
///  |  Kind (i32): 1 = one-to-one framed ring                       | 12
///  +---------------------------------------------------------------+
///  |  Header length (i32): offset of the data region               | 16
///  +---------------------------------------------------------------+
///  |  Maximum message length (i32), payload bytes                  | 20
///  +---------------------------------------------------------------+
///  |  Capacity (i64): data region bytes, a power of two            | 24
///  +---------------------------------------------------------------+
///  |  Total length (i64) = header length + capacity = file size    | 32
///  +---------------------------------------------------------------+
///  |  Creator pid (i32)                                            | 40
///  +---------------------------------------------------------------+
///  |  Flags (i32): bit 0 = frame checksums; other bits 0           | 44
///  +---------------------------------------------------------------+
///  |  Creator start time (i64): /proc/PID/stat field 22            | 48
///  +---------------------------------------------------------------+
///  |  Created at (i64): Unix time in milliseconds                  | 56
///  +---------------------------------------------------------------+
///  |  Reserved, zero (56 bytes)                                    | 64..119
///  +---------------------------------------------------------------+
///  |  Checksum (u32): CRC-32C of bytes [8, 120)                    | 120
///  +---------------------------------------------------------------+
///  |  Reserved, zero (u32)                                         | 124
///  +---------------------------------------------------------------+
/// </code>
/// The creator reserves and zero-fills the whole file, writes bytes 8..127, then stores the magic with release
/// semantics. An opener that reads a magic of zero (or a file shorter than the header) is looking at a segment being
/// made and waits; any other mismatch is refused before a byte of the data region is read.
/// </summary>
public static class SegmentHeaderDescriptor
{
    /// <summary>The bytes "RINGSEG1" read as a little-endian u64.</summary>
    public const ulong Magic = 0x31474553474E4952;

    /// <summary>The layout version this library reads and writes.</summary>
    public const int CurrentLayoutVersion = 1;

    /// <summary>Size of one cache-line slot: counters that different processes write are this far apart (adjacent-line prefetch pairs 64-byte lines).</summary>
    public const int CacheLineSlot = 128;

    /// <summary>Size of the identity header.</summary>
    public const int Length = CacheLineSlot;

    /// <summary>Offset of the magic (u64).</summary>
    public const int MagicOffset = 0;

    /// <summary>Offset of the layout version (i32).</summary>
    public const int LayoutVersionOffset = 8;

    /// <summary>Offset of the kind (i32).</summary>
    public const int KindOffset = 12;

    /// <summary>Offset of the header length (i32).</summary>
    public const int HeaderLengthOffset = 16;

    /// <summary>Offset of the maximum message length (i32).</summary>
    public const int MaxMessageLengthOffset = 20;

    /// <summary>Offset of the capacity (i64).</summary>
    public const int CapacityOffset = 24;

    /// <summary>Offset of the total length (i64).</summary>
    public const int TotalLengthOffset = 32;

    /// <summary>Offset of the creator's pid (i32).</summary>
    public const int CreatorPidOffset = 40;

    /// <summary>Offset of the flags (i32).</summary>
    public const int FlagsOffset = 44;

    /// <summary>Flag bit: every message frame carries a CRC-32C (<see cref="FrameDescriptor.ChecksummedHeaderLength"/>).</summary>
    public const int FrameChecksumsFlag = 1;

    /// <summary>Every flag bit this library knows; a segment with another bit set is refused.</summary>
    public const int KnownFlags = FrameChecksumsFlag;

    /// <summary>Offset of the creator's start time (i64).</summary>
    public const int CreatorStartTimeOffset = 48;

    /// <summary>Offset of the creation time (i64, Unix milliseconds).</summary>
    public const int CreatedUnixMsOffset = 56;

    /// <summary>Offset of the header checksum (u32).</summary>
    public const int ChecksumOffset = 120;

    /// <summary>First byte covered by the checksum (the magic is published after it).</summary>
    public const int ChecksumStart = LayoutVersionOffset;

    /// <summary>Smallest data capacity: 64 bytes.</summary>
    public const long MinCapacity = 64;

    /// <summary>Largest data capacity: 1 GiB.</summary>
    public const long MaxCapacity = 1L << 30;

    /// <summary>CRC-32C of the header bytes [8, 120).</summary>
    public static uint ComputeChecksum(ReadOnlySpan<byte> header)
    {
        ReadOnlySpan<byte> covered = header[ChecksumStart..ChecksumOffset];
        uint crc = 0xFFFFFFFF;
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(covered);
        foreach (ulong w in words)
        {
            crc = BitOperations.Crc32C(crc, w);
        }

        for (int i = words.Length * sizeof(ulong); i < covered.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, covered[i]);
        }

        return ~crc;
    }

    /// <summary>Checks the capacity rule: a power of two in [<see cref="MinCapacity"/>, <see cref="MaxCapacity"/>].</summary>
    public static void CheckCapacity(long capacity)
    {
        if (capacity < MinCapacity || capacity > MaxCapacity || !BitOperations.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity,
                $"Capacity {capacity} is invalid: it must be a power of two between {MinCapacity} and {MaxCapacity} bytes.");
        }
    }
}
