using System;
using System.IO;
using Ring.Layout;

namespace Ring;

internal sealed unsafe partial class Segment
{
    /// <summary>
    /// One attempt to open and validate. Returns null (with the reason) while the segment looks half-made: an empty file
    /// (the creator has not reserved it yet) or a zero magic (the creator has not published the header yet).
    /// </summary>
    private static Segment? TryOpenOnce(string name, string path, RingKind kind, RingOptions options, out string? notReady)
    {
        notReady = null;
        CheckPathBeforeOpen(name, path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"Cannot open segment '{name}' at '{path}' for reading and writing: permission denied.", e);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"Segment '{name}' does not exist at '{path}'.", path, e);
        }

        try
        {
            CheckOpenedFile(name, path, stream, options);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        long fileLength = stream.Length;
        if (fileLength == 0)
        {
            stream.Dispose();
            notReady = "the file is still empty (its creator has not reserved it; a creator that died leaves it so)";
            return null;
        }

        if (fileLength < SegmentHeaderDescriptor.Length)
        {
            stream.Dispose();
            throw new RingFormatException(
                $"Segment '{name}' at '{path}' is not a Ring segment: the file is {fileLength} bytes, shorter than the {SegmentHeaderDescriptor.Length}-byte header.");
        }

        Segment segment = Map(name, path, stream, fileLength);
        try
        {
            ulong magic = segment.Memory.ReadUInt64Acquire(SegmentHeaderDescriptor.MagicOffset);
            if (magic == 0)
            {
                int creator = segment.CreatorProcessId;
                notReady = creator == 0
                    ? "its header is not published (magic 0) and names no creator; it may not be a Ring segment"
                    : $"its header is not published (magic 0); creator pid {creator} is {(ProcessLiveness.IsAlive(creator, segment.CreatorStartTime) ? "alive" : "dead")}";
                segment.Dispose();
                return null;
            }

            segment.Validate(magic, kind, HeaderLengthOf(kind), fileLength);
            return segment;
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Before opening: the path must name a regular file, not a symbolic link (Ring never follows one, so nothing leads out
    /// of the directory), a FIFO, a device or a directory. A directory that may not be searched is named as such.
    /// </summary>
    private static void CheckPathBeforeOpen(string name, string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is string target)
        {
            throw new UnauthorizedAccessException($"Segment '{name}' at '{path}' is a symbolic link to '{target}': Ring does not follow links.");
        }

        if (!OperatingSystem.IsLinux())
        {
            if (!info.Exists)
            {
                throw new FileNotFoundException($"Segment '{name}' does not exist at '{path}'.", path);
            }

            return;
        }

        if (Interop.Sys.Statx(Interop.Sys.AT_FDCWD, path, Interop.Sys.AT_SYMLINK_NOFOLLOW, Interop.Sys.STATX_BASIC_STATS, out Interop.Sys.StatxBuffer named) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw errno switch
            {
                Interop.Errors.ENOENT => new FileNotFoundException($"Segment '{name}' does not exist at '{path}'.", path),
                Interop.Errors.EACCES => new UnauthorizedAccessException(
                    $"Cannot open segment '{name}' at '{path}': permission denied on directory '{System.IO.Path.GetDirectoryName(path)}' (EACCES: it may not be searched by this user)."),
                _ => Interop.Errors.Exception($"statx('{path}')", errno),
            };
        }

        CheckFileType(name, path, named.Mode);
    }

    /// <summary>
    /// After opening: the descriptor must be the file the path named a moment ago (a file swapped in between, such as a
    /// symbolic link, is refused), a regular file, and owned by this process's user unless
    /// <see cref="RingOptions.AllowOtherOwner"/> says otherwise.
    /// </summary>
    private static void CheckOpenedFile(string name, string path, FileStream stream, RingOptions options)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = (int)stream.SafeFileHandle.DangerousGetHandle();
        if (Interop.Sys.Statx(fd, string.Empty, Interop.Sys.AT_EMPTY_PATH, Interop.Sys.STATX_BASIC_STATS, out Interop.Sys.StatxBuffer opened) != 0)
        {
            throw Interop.Errors.Exception($"statx('{path}')", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        }

        CheckFileType(name, path, opened.Mode);
        if (Interop.Sys.Statx(Interop.Sys.AT_FDCWD, path, Interop.Sys.AT_SYMLINK_NOFOLLOW, Interop.Sys.STATX_BASIC_STATS, out Interop.Sys.StatxBuffer named) != 0 ||
            named.Inode != opened.Inode || named.DeviceMajor != opened.DeviceMajor || named.DeviceMinor != opened.DeviceMinor)
        {
            throw new UnauthorizedAccessException(
                $"Segment '{name}' at '{path}' was replaced while it was being opened (the path no longer names the file that was opened): Ring does not follow links or swapped files.");
        }

        uint me = Interop.Sys.GetEUid();
        if (opened.Uid != me && !options.AllowOtherOwner)
        {
            throw new UnauthorizedAccessException(
                $"Segment '{name}' at '{path}' belongs to user {opened.Uid}, not to this process's user {me}: another user's segment is refused unless RingOptions.AllowOtherOwner is set (whoever owns the file controls what it holds).");
        }
    }

    private static void CheckFileType(string name, string path, ushort mode)
    {
        int type = mode & Interop.Sys.S_IFMT;
        if (type == Interop.Sys.S_IFLNK)
        {
            throw new UnauthorizedAccessException($"Segment '{name}' at '{path}' is a symbolic link: Ring does not follow links.");
        }

        if (type != Interop.Sys.S_IFREG)
        {
            throw new RingFormatException($"Segment '{name}' at '{path}' is not a Ring segment: it is not a regular file (file type 0{System.Convert.ToString(type >> 12, 8)}, mode 0{System.Convert.ToString(mode & 0xFFF, 8)}).");
        }
    }

    /// <summary>True for the kinds that carry messages (a data region with a capacity and a maximum message length).</summary>
    private static bool IsRing(RingKind kind) => kind is RingKind.OneToOne or RingKind.ManyToOne or RingKind.Broadcast or RingKind.ManyToMany;

    /// <summary>True for the fixed-size slot rings, whose sizes follow the slot rules (<see cref="SlotRingDescriptor"/>).</summary>
    private static bool IsSlotRing(RingKind kind) => kind is RingKind.SlotOneToOne or RingKind.SlotManyToMany;

    /// <summary>The kinds whose frames carry checksums when the header says so (<see cref="FrameChecksum"/>).</summary>
    private static bool SupportsFrameChecksums(RingKind kind) => kind == RingKind.OneToOne;

    /// <summary>Offset of the data region for each kind: where its layout descriptor puts it.</summary>
    private static int HeaderLengthOf(RingKind kind) => kind switch
    {
        RingKind.OneToOne => OneToOneRingDescriptor.DataOffset,
        RingKind.ManyToOne => ManyToOneRingDescriptor.DataOffset,
        RingKind.Broadcast => BroadcastRingDescriptor.DataOffset,
        RingKind.ManyToMany => ManyToManyRingDescriptor.DataOffset,
        RingKind.SlotOneToOne or RingKind.SlotManyToMany => SlotRingDescriptor.DataOffsetOf(kind),
        RingKind.Mutex or RingKind.Semaphore or RingKind.Event or RingKind.Barrier => SyncDescriptor.SegmentLength,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Ring kind {(int)kind} is not known to this library."),
    };

    /// <summary>Checks every header field against the rules and the file's real size; the data region is not touched.</summary>
    private void Validate(ulong magic, RingKind kind, int expectedHeaderLength, long fileLength)
    {
        SharedMemory m = Memory;
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

        int actualKind = m.ReadInt32Plain(SegmentHeaderDescriptor.KindOffset);
        if (actualKind != (int)kind)
        {
            string actualName = Enum.IsDefined((RingKind)actualKind) ? ((RingKind)actualKind).ToString() : "unknown";
            throw new RingFormatException($"{who} holds a ring of kind {actualName} ({actualKind}), but kind {kind} ({(int)kind}) was asked for.");
        }

        int headerLength = m.ReadInt32Plain(SegmentHeaderDescriptor.HeaderLengthOffset);
        if (headerLength != expectedHeaderLength)
        {
            throw new RingFormatException($"{who} has header length {headerLength}; kind {kind} has a header of {expectedHeaderLength} bytes.");
        }

        int flags = m.ReadInt32Plain(SegmentHeaderDescriptor.FlagsOffset);
        int allowedFlags = SupportsFrameChecksums(kind) ? SegmentHeaderDescriptor.KnownFlags : 0;
        if ((flags & ~allowedFlags) != 0)
        {
            throw new RingFormatException($"{who} has flags 0x{flags:X8}; a {kind} segment of layout version {SegmentHeaderDescriptor.CurrentLayoutVersion} may only have flags 0x{allowedFlags:X8}.");
        }

        long capacity = m.ReadInt64Plain(SegmentHeaderDescriptor.CapacityOffset);
        int maxMessageLength = m.ReadInt32Plain(SegmentHeaderDescriptor.MaxMessageLengthOffset);
        if (IsSlotRing(kind))
        {
            ValidateSlotGeometry(who, kind, capacity, maxMessageLength);
        }
        else if (!IsRing(kind))
        {
            if (capacity != 0 || maxMessageLength != 0)
            {
                throw new RingFormatException($"{who} has capacity {capacity} and maximum message length {maxMessageLength}; a {kind} segment has neither (both 0).");
            }
        }
        else
        {
            if (capacity < SegmentHeaderDescriptor.MinCapacity || capacity > SegmentHeaderDescriptor.MaxCapacity || (capacity & (capacity - 1)) != 0)
            {
                throw new RingFormatException(
                    $"{who} has capacity {capacity}: it must be a power of two between {SegmentHeaderDescriptor.MinCapacity} and {SegmentHeaderDescriptor.MaxCapacity} bytes.");
            }

            // Broadcast frames have a 16-byte header (BroadcastFrameDescriptor), so their limit is 8 bytes lower.
            int limit = kind == RingKind.Broadcast
                ? BroadcastFrameDescriptor.MaxMessageLengthFor(capacity)
                : FrameDescriptor.MaxMessageLengthFor(capacity, (flags & SegmentHeaderDescriptor.FrameChecksumsFlag) != 0);
            if (maxMessageLength < 1 || maxMessageLength > limit)
            {
                throw new RingFormatException($"{who} has maximum message length {maxMessageLength}: for capacity {capacity} it must be between 1 and {limit}.");
            }
        }

        long total = m.ReadInt64Plain(SegmentHeaderDescriptor.TotalLengthOffset);
        if (total != headerLength + capacity)
        {
            throw new RingFormatException($"{who} has total length {total}, but header length {headerLength} + capacity {capacity} = {headerLength + capacity}.");
        }

        if (fileLength != total)
        {
            throw new RingFormatException($"{who} is {fileLength} bytes, but its header says {total}: the file was truncated or extended.");
        }
    }

    /// <summary>
    /// The slot ring rules, read from the geometry line (inside the header region, so within the file): a known value
    /// size, a power-of-two slot count, the stride the size gives, the table sizes of the kind, and an identity header
    /// whose capacity and maximum message length agree with them.
    /// </summary>
    private void ValidateSlotGeometry(string who, RingKind kind, long capacity, int maxMessageLength)
    {
        SharedMemory m = Memory;
        int slotCount = m.ReadInt32Plain(SlotRingDescriptor.SlotCountOffset);
        int slotSize = m.ReadInt32Plain(SlotRingDescriptor.SlotSizeOffset);
        int stride = m.ReadInt32Plain(SlotRingDescriptor.SlotStrideOffset);
        int writers = m.ReadInt32Plain(SlotRingDescriptor.WriterEntriesOffset);
        int readers = m.ReadInt32Plain(SlotRingDescriptor.ReaderEntriesOffset);
        int nameLength = m.ReadInt32Plain(SlotRingDescriptor.TypeNameLengthOffset);
        if (slotSize < 1 || slotSize > SlotRingDescriptor.MaxSlotSize)
        {
            throw new RingFormatException($"{who} has slot size {slotSize}: it must be between 1 and {SlotRingDescriptor.MaxSlotSize} bytes.");
        }

        int maxSlots = SlotRingDescriptor.MaxSlotCountFor(slotSize);
        if (slotCount < SlotRingDescriptor.MinSlotCount || slotCount > maxSlots || (slotCount & (slotCount - 1)) != 0)
        {
            throw new RingFormatException($"{who} has slot count {slotCount}: it must be a power of two between {SlotRingDescriptor.MinSlotCount} and {maxSlots}.");
        }

        int expectedStride = SlotRingDescriptor.StrideFor(slotSize);
        if (stride != expectedStride)
        {
            throw new RingFormatException($"{who} has slot stride {stride}; slots of {slotSize}-byte values have stride {expectedStride}.");
        }

        int parties = SlotRingDescriptor.PartiesOf(kind);
        if (writers != parties || readers != parties)
        {
            throw new RingFormatException($"{who} has {writers} writer and {readers} reader table entries; kind {kind} has {parties} of each.");
        }

        if (capacity != (long)slotCount * stride || maxMessageLength != slotSize)
        {
            throw new RingFormatException(
                $"{who} has capacity {capacity} and maximum message length {maxMessageLength}, but {slotCount} slots of stride {stride} make {(long)slotCount * stride} bytes of {slotSize}-byte values.");
        }

        if (nameLength < 0 || nameLength > SlotRingDescriptor.TypeNameCapacity)
        {
            throw new RingFormatException($"{who} has type name length {nameLength}: it must be between 0 and {SlotRingDescriptor.TypeNameCapacity} bytes.");
        }
    }
}
