using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using Ring.Layout;

namespace Ring;

internal sealed unsafe partial class Segment
{
    /// <summary>
    /// Maps a segment read-only, to look at it without taking part: no role is taken and no byte can be written. The
    /// header is validated like <see cref="Open"/> does (for a kind this library does not know, only the rules every
    /// kind shares); a file that is not a finished Ring segment is refused with a <see cref="RingFormatException"/>
    /// saying why, before anything past the header is read. Never waits.
    /// </summary>
    internal static Segment OpenForInspection(string name, string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is string target)
        {
            throw new UnauthorizedAccessException($"Segment '{name}' at '{path}' is a symbolic link to '{target}': Ring does not follow links.");
        }

        if (!info.Exists)
        {
            if (Directory.Exists(path))
            {
                throw new RingFormatException($"'{path}' is a directory, not a Ring segment.");
            }

            throw new FileNotFoundException($"Segment '{name}' does not exist at '{path}'.", path);
        }

        // Checked before opening: a FIFO or a socket has length 0, and opening a FIFO would block.
        if (info.Length < SegmentHeaderDescriptor.Length)
        {
            throw TooShort(name, path, info.Length);
        }

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"Cannot open segment '{name}' at '{path}' for reading: permission denied.", e);
        }

        long length = stream.Length;
        if (length < SegmentHeaderDescriptor.Length)
        {
            stream.Dispose();
            throw TooShort(name, path, length);
        }

        Segment segment;
        try
        {
            MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            try
            {
                MemoryMappedViewAccessor view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
                segment = new Segment(name, path, file, view, length);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        try
        {
            segment.ValidateForInspection(length);
            return segment;
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }

    private static RingFormatException TooShort(string name, string path, long length) => new(length == 0
        ? $"'{path}' is empty (or not a regular file): not a Ring segment, or one whose creator has not reserved it yet."
        : $"Segment '{name}' at '{path}' is not a Ring segment: the file is {length} bytes, shorter than the {SegmentHeaderDescriptor.Length}-byte header.");

    private void ValidateForInspection(long fileLength)
    {
        SharedMemory m = Memory;
        ulong magic = m.ReadUInt64Acquire(SegmentHeaderDescriptor.MagicOffset);
        if (magic == 0)
        {
            int creator = CreatorProcessId;
            throw new RingFormatException(creator == 0
                ? $"Segment '{Name}' at '{Path}' has no published header (magic 0) and names no creator: not a Ring segment, or one being made."
                : $"Segment '{Name}' at '{Path}' has no published header (magic 0): it is being made by pid {creator}, which is {(ProcessLiveness.IsAlive(creator, CreatorStartTime) ? "alive" : "dead")}.");
        }

        RingKind kind = Kind;
        if (Enum.IsDefined(kind))
        {
            Validate(magic, kind, HeaderLengthOf(kind), fileLength);
            return;
        }

        // A kind this library does not know: the rules every kind shares, so that its header fields can be shown.
        string who = $"Segment '{Name}' at '{Path}'";
        if (magic != SegmentHeaderDescriptor.Magic)
        {
            throw new RingFormatException($"{who} is not a Ring segment: its magic is 0x{magic:X16}, expected 0x{SegmentHeaderDescriptor.Magic:X16} (\"RINGSEG1\").");
        }

        int version = m.ReadInt32Plain(SegmentHeaderDescriptor.LayoutVersionOffset);
        if (version != SegmentHeaderDescriptor.CurrentLayoutVersion)
        {
            throw new RingFormatException($"{who} has layout version {version}; this library reads layout version {SegmentHeaderDescriptor.CurrentLayoutVersion}.");
        }

        uint stored = (uint)m.ReadInt32Plain(SegmentHeaderDescriptor.ChecksumOffset);
        uint computed = SegmentHeaderDescriptor.ComputeChecksum(new ReadOnlySpan<byte>(m.Pointer, SegmentHeaderDescriptor.Length));
        if (stored != computed)
        {
            throw new RingFormatException($"{who} has a corrupt header: its checksum is 0x{stored:X8} but its bytes give 0x{computed:X8}.");
        }

        long total = m.ReadInt64Plain(SegmentHeaderDescriptor.TotalLengthOffset);
        if (total != fileLength)
        {
            throw new RingFormatException($"{who} is {fileLength} bytes, but its header says {total}: the file was truncated or extended.");
        }
    }
}
