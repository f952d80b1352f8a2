using System;
using System.Buffers.Binary;
using System.IO;
using Ring.Layout;

namespace Ring.Tests;

/// <summary>Segment files written byte by byte: headers of kinds this library does not know, and dead creators.</summary>
public static class SegmentFiles
{
    /// <summary>A pid above every pid_max Linux allows (2^22): no process has it, so it reads as dead.</summary>
    public const int DeadProcessId = 0x3FFF_FFF0;

    /// <summary>A finished header of any kind (checksum right), followed by zeros up to the total length.</summary>
    public static void WriteSegment(string path, int kind, int headerLength, long capacity, int maxMessageLength, int creatorPid)
    {
        long total = headerLength + capacity;
        byte[] file = new byte[total];
        Span<byte> h = file;
        BinaryPrimitives.WriteInt32LittleEndian(h[SegmentHeaderDescriptor.LayoutVersionOffset..], SegmentHeaderDescriptor.CurrentLayoutVersion);
        BinaryPrimitives.WriteInt32LittleEndian(h[SegmentHeaderDescriptor.KindOffset..], kind);
        BinaryPrimitives.WriteInt32LittleEndian(h[SegmentHeaderDescriptor.HeaderLengthOffset..], headerLength);
        BinaryPrimitives.WriteInt32LittleEndian(h[SegmentHeaderDescriptor.MaxMessageLengthOffset..], maxMessageLength);
        BinaryPrimitives.WriteInt64LittleEndian(h[SegmentHeaderDescriptor.CapacityOffset..], capacity);
        BinaryPrimitives.WriteInt64LittleEndian(h[SegmentHeaderDescriptor.TotalLengthOffset..], total);
        BinaryPrimitives.WriteInt32LittleEndian(h[SegmentHeaderDescriptor.CreatorPidOffset..], creatorPid);
        BinaryPrimitives.WriteInt64LittleEndian(h[SegmentHeaderDescriptor.CreatedUnixMsOffset..], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Seal(file);
        File.WriteAllBytes(path, file);
    }

    /// <summary>Sets the creator pid of an existing segment (and its checksum): the segment now names a dead creator.</summary>
    public static void SetCreator(string path, int pid)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        byte[] header = new byte[SegmentHeaderDescriptor.Length];
        stream.ReadExactly(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(SegmentHeaderDescriptor.CreatorPidOffset), pid);
        Seal(header);
        stream.Position = 0;
        stream.Write(header);
    }

    private static void Seal(Span<byte> file)
    {
        uint checksum = SegmentHeaderDescriptor.ComputeChecksum(file[..SegmentHeaderDescriptor.Length]);
        BinaryPrimitives.WriteUInt32LittleEndian(file[SegmentHeaderDescriptor.ChecksumOffset..], checksum);
        BinaryPrimitives.WriteUInt64LittleEndian(file, SegmentHeaderDescriptor.Magic);
    }
}
