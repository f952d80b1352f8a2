using System;
using System.Diagnostics;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Threading;
using Ring.Layout;

namespace Ring;

/// <summary>
/// A memory-mapped file that starts with a versioned identity header (<see cref="SegmentHeaderDescriptor"/>). Creation
/// is exclusive, reserves the storage, and publishes the header last; opening validates every header field against the
/// file's real size before anything else is read, and releases the mapping when it refuses.
/// </summary>
internal sealed unsafe partial class Segment : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _pointer;
    private int _disposed;
    private bool _locked;

    private Segment(string name, string path, MemoryMappedFile file, MemoryMappedViewAccessor view, long length)
    {
        Name = name;
        Path = path;
        _file = file;
        _view = view;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + view.PointerOffset;
        Memory = new SharedMemory(_pointer, length);
    }

    /// <summary>The name the segment was created or opened with.</summary>
    public string Name { get; }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The ring kind recorded in the header.</summary>
    public RingKind Kind => (RingKind)Memory.ReadInt32Plain(SegmentHeaderDescriptor.KindOffset);

    /// <summary>Bytes in the data region.</summary>
    public long Capacity => Memory.ReadInt64Plain(SegmentHeaderDescriptor.CapacityOffset);

    /// <summary>Largest payload a message may have.</summary>
    public int MaxMessageLength => Memory.ReadInt32Plain(SegmentHeaderDescriptor.MaxMessageLengthOffset);

    /// <summary>The header's flags (<see cref="SegmentHeaderDescriptor.KnownFlags"/>).</summary>
    public int Flags => Memory.ReadInt32Plain(SegmentHeaderDescriptor.FlagsOffset);

    /// <summary>True if every message frame carries a checksum (<see cref="SegmentHeaderDescriptor.FrameChecksumsFlag"/>).</summary>
    public bool FrameChecksums => (Flags & SegmentHeaderDescriptor.FrameChecksumsFlag) != 0;

    /// <summary>Offset of the data region.</summary>
    public int HeaderLength => Memory.ReadInt32Plain(SegmentHeaderDescriptor.HeaderLengthOffset);

    /// <summary>Size of the file and of the mapping.</summary>
    public long Length => Memory.Length;

    /// <summary>Pid of the process that created the segment.</summary>
    public int CreatorProcessId => Memory.ReadInt32Plain(SegmentHeaderDescriptor.CreatorPidOffset);

    /// <summary>Start time (clock ticks after boot) of the process that created the segment.</summary>
    public long CreatorStartTime => Memory.ReadInt64Plain(SegmentHeaderDescriptor.CreatorStartTimeOffset);

    /// <summary>When the segment was created.</summary>
    public DateTimeOffset CreatedAt => DateTimeOffset.FromUnixTimeMilliseconds(Memory.ReadInt64Plain(SegmentHeaderDescriptor.CreatedUnixMsOffset));

    internal SharedMemory Memory { get; }

    /// <summary>Creates a segment; fails if the name exists. The file is removed again if any step fails.</summary>
    /// <param name="name">The segment name, or a full path.</param>
    /// <param name="kind">What the segment holds; a ring takes its sizes from the options, a primitive has none.</param>
    /// <param name="options">Directory, mode, sizes.</param>
    /// <param name="initialize">Writes the kind's initial state, before the header is published.</param>
    /// <param name="sizes">The capacity and maximum message length, for kinds that do not take them from the options (slot rings).</param>
    internal static Segment Create(string name, RingKind kind, RingOptions options, Action<SharedMemory>? initialize = null, (long Capacity, int MaxMessageLength)? sizes = null)
    {
        int headerLength = HeaderLengthOf(kind);
        string path = SegmentName.ToPath(name, options.Directory);
        long capacity = sizes?.Capacity ?? (IsRing(kind) ? options.Capacity : 0);
        if (options.FrameChecksums && IsRing(kind) && !SupportsFrameChecksums(kind))
        {
            throw new ArgumentException($"RingOptions.FrameChecksums is not supported by {kind} rings: only OneToOne frames carry checksums so far.", nameof(options));
        }

        int maxMessageLength = sizes?.MaxMessageLength ?? (IsRing(kind) ? options.EffectiveMaxMessageLength(capacity) : 0);
        int flags = SupportsFrameChecksums(kind) && options.FrameChecksums ? SegmentHeaderDescriptor.FrameChecksumsFlag : 0;
        long total = headerLength + capacity;

        FileStream stream;
        try
        {
            var streamOptions = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.ReadWrite | FileShare.Delete,
            };
            if (!OperatingSystem.IsWindows())
            {
                streamOptions.UnixCreateMode = options.UnixFileMode;
            }

            stream = new FileStream(path, streamOptions);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && File.Exists(path))
        {
            throw new IOException($"Segment '{name}' already exists at '{path}': Create is exclusive; use Open or CreateOrOpen, or remove it first.", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new DirectoryNotFoundException($"Cannot create segment '{name}': directory '{System.IO.Path.GetDirectoryName(path)}' does not exist.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"Cannot create segment '{name}' at '{path}': permission denied.", e);
        }

        bool success = false;
        try
        {
            // The mode passed to open(2) is filtered by the umask; set it exactly.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(stream.SafeFileHandle, options.UnixFileMode);
            }

            Reserve(stream, path, total);
            Segment segment = Map(name, path, stream, total);
            try
            {
                initialize?.Invoke(segment.Memory);
                segment.WriteHeader(kind, headerLength, capacity, maxMessageLength, flags, total);
                segment.LockPagesIfAsked(options);
            }
            catch
            {
                segment.Dispose();
                throw;
            }

            success = true;
            return segment;
        }
        finally
        {
            if (!success)
            {
                stream.Dispose();
                File.Delete(path);
            }
        }
    }

    /// <summary>Opens an existing segment of the given kind, waiting up to the open timeout for one being made.</summary>
    internal static Segment Open(string name, RingKind kind, RingOptions options)
    {
        string path = SegmentName.ToPath(name, options.Directory);
        long deadline = Stopwatch.GetTimestamp() + (long)(options.OpenTimeout.TotalSeconds * Stopwatch.Frequency);
        int nap = 1;
        while (true)
        {
            Segment? segment = TryOpenOnce(name, path, kind, options, out string? notReady);
            if (segment is not null)
            {
                try
                {
                    segment.LockPagesIfAsked(options);
                }
                catch
                {
                    segment.Dispose();
                    throw;
                }

                return segment;
            }

            if (Stopwatch.GetTimestamp() >= deadline)
            {
                throw new TimeoutException($"Segment '{name}' at '{path}' was not finished within the open timeout of {options.OpenTimeout}: {notReady}");
            }

            Thread.Sleep(nap);
            nap = Math.Min(nap * 2, 20);
        }
    }

    /// <summary>
    /// Creates the segment, or opens it if it exists; an existing one must match the kind and sizes asked for (with
    /// <paramref name="sizes"/>, the caller checks the sizes of an opened segment).
    /// </summary>
    internal static Segment CreateOrOpen(string name, RingKind kind, RingOptions options, Action<SharedMemory>? initialize = null, (long Capacity, int MaxMessageLength)? sizes = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            string path = SegmentName.ToPath(name, options.Directory);
            if (!File.Exists(path))
            {
                try
                {
                    return Create(name, kind, options, initialize, sizes);
                }
                catch (IOException) when (File.Exists(path) && attempt < 3)
                {
                    // Lost the race to another creator: open theirs.
                }
            }

            try
            {
                Segment segment = Open(name, kind, options);
                if (IsRing(kind) && sizes is null)
                {
                    segment.CheckSizes(options);
                }

                return segment;
            }
            catch (FileNotFoundException) when (attempt < 3)
            {
                // Removed between the check and the open: try to create again.
            }
        }
    }

    private void CheckSizes(RingOptions options)
    {
        int maxMessageLength = options.EffectiveMaxMessageLength(options.Capacity);
        if (FrameChecksums != options.FrameChecksums)
        {
            bool existing = FrameChecksums;
            Dispose();
            throw new RingFormatException(
                $"Segment '{Name}' exists {(existing ? "with" : "without")} frame checksums, but a ring {(options.FrameChecksums ? "with" : "without")} them was asked for (RingOptions.FrameChecksums).");
        }

        if (Capacity != options.Capacity || MaxMessageLength != maxMessageLength)
        {
            long capacity = Capacity;
            int existing = MaxMessageLength;
            Dispose();
            throw new RingFormatException(
                $"Segment '{Name}' exists with capacity {capacity} and maximum message length {existing}, but capacity {options.Capacity} and maximum message length {maxMessageLength} were asked for.");
        }
    }

    private void LockPagesIfAsked(RingOptions options)
    {
        if (options.LockPages && OperatingSystem.IsLinux())
        {
            if (Interop.Sys.MLock(_pointer, (nuint)Length) != 0)
            {
                throw Interop.Errors.Exception($"mlock('{Path}', {Length} bytes)", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            }

            _locked = true;
        }
    }

    private static void Reserve(FileStream stream, string path, long total)
    {
        if (OperatingSystem.IsLinux())
        {
            // posix_fallocate reserves the pages now: a full /dev/shm fails here, not with SIGBUS on first touch.
            int fd = (int)stream.SafeFileHandle.DangerousGetHandle();
            int rc = Interop.Sys.PosixFAllocate(fd, 0, total);
            if (rc != 0)
            {
                throw Interop.Errors.Exception($"posix_fallocate('{path}', {total} bytes)", rc);
            }
        }
        else
        {
            stream.SetLength(total);
        }
    }

    private static Segment Map(string name, string path, FileStream stream, long length)
    {
        MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        try
        {
            MemoryMappedViewAccessor view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
            return new Segment(name, path, file, view, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void WriteHeader(RingKind kind, int headerLength, long capacity, int maxMessageLength, int flags, long total)
    {
        // The file is fresh from posix_fallocate, so every byte is zero and the magic reads 0 ("being made") until the
        // release store at the end publishes the finished header.
        SharedMemory m = Memory;
        m.WriteInt32Plain(SegmentHeaderDescriptor.LayoutVersionOffset, SegmentHeaderDescriptor.CurrentLayoutVersion);
        m.WriteInt32Plain(SegmentHeaderDescriptor.KindOffset, (int)kind);
        m.WriteInt32Plain(SegmentHeaderDescriptor.HeaderLengthOffset, headerLength);
        m.WriteInt32Plain(SegmentHeaderDescriptor.MaxMessageLengthOffset, maxMessageLength);
        m.WriteInt64Plain(SegmentHeaderDescriptor.CapacityOffset, capacity);
        m.WriteInt64Plain(SegmentHeaderDescriptor.TotalLengthOffset, total);
        m.WriteInt32Plain(SegmentHeaderDescriptor.CreatorPidOffset, ProcessLiveness.CurrentProcessId);
        m.WriteInt32Plain(SegmentHeaderDescriptor.FlagsOffset, flags);
        m.WriteInt64Plain(SegmentHeaderDescriptor.CreatorStartTimeOffset, ProcessLiveness.CurrentStartTime);
        m.WriteInt64Plain(SegmentHeaderDescriptor.CreatedUnixMsOffset, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        uint checksum = SegmentHeaderDescriptor.ComputeChecksum(new ReadOnlySpan<byte>(m.Pointer, SegmentHeaderDescriptor.Length));
        m.WriteInt32Plain(SegmentHeaderDescriptor.ChecksumOffset, (int)checksum);
        m.WriteUInt64Release(SegmentHeaderDescriptor.MagicOffset, SegmentHeaderDescriptor.Magic);
    }

    /// <summary>Releases the mapping. The file stays; see <see cref="RingSegment.Remove"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The view's disposal calls msync(MS_INVALIDATE), which fails with EBUSY on locked pages: unlock first.
        if (_locked)
        {
            Interop.Sys.MUnlock(_pointer, (nuint)Length);
        }

        _pointer = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
