using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ring.Layout;

namespace Ring;

/// <summary>
/// The per-frame CRC-32C of a segment created with <see cref="RingOptions.FrameChecksums"/>
/// (<see cref="SegmentHeaderDescriptor.FrameChecksumsFlag"/>; frame layout in <see cref="FrameDescriptor"/>): the writer
/// stores it before the release store that commits the frame, the reader checks it before it hands the message out. Any
/// framed ring kind adopts it the same way: read the flag from the segment, reserve
/// <see cref="FrameDescriptor.ChecksummedHeaderLength"/> header bytes per message frame, call <see cref="Compute"/> before
/// the commit and <see cref="Verify"/> after the acquire load of a committed length.
/// </summary>
internal static class FrameChecksum
{
    /// <summary>CRC-32C over the frame length and type (as little-endian u32s), then the payload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Compute(int frameLength, int type, ReadOnlySpan<byte> payload)
    {
        uint crc = BitOperations.Crc32C(0xFFFFFFFFu, ((ulong)(uint)type << 32) | (uint)frameLength);
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(payload);
        foreach (ulong w in words)
        {
            crc = BitOperations.Crc32C(crc, w);
        }

        for (int i = words.Length * sizeof(ulong); i < payload.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, payload[i]);
        }

        return ~crc;
    }

    /// <summary>Throws <see cref="RingCorruptedException"/> naming the position and both values unless the stored checksum matches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Verify(string ring, long position, int frameLength, int type, uint stored, ReadOnlySpan<byte> payload)
    {
        uint computed = Compute(frameLength, type, payload);
        if (computed != stored)
        {
            ThrowMismatch(ring, position, frameLength, type, stored, computed);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowMismatch(string ring, long position, int frameLength, int type, uint stored, uint computed) =>
        ThrowHelper.ThrowCorrupted(ring,
            $"the frame at position {position} (length {frameLength}, type {type}) has checksum 0x{stored:X8}, but its bytes give 0x{computed:X8}");
}
