using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Threading;

namespace Ring.Soak;

/// <summary>
/// The harness's own shared memory: a plain mapped file (not a Ring segment, so that a bug under test cannot hide its
/// own evidence) through which the parent steers its children and reads what each of them counted. One slot per child,
/// each written by that child alone; a ledger of writer incarnations for the fault harness.
/// <code>
///  0      i32 go        parent: 1 = start
///  4      i32 stop      parent: 1 = writers stop and complete
///  8      i32 finish    parent: 1 = readers exit (everything arrived, or the drain timed out)
///  12     i32 slots
///  16     i64[6] shared words (a scenario's own state)
///  64     slots, SlotSize bytes each (ControlSlot)
///  ...    ledger, LedgerEntries entries of LedgerEntrySize bytes (LedgerEntry)
/// </code>
/// </summary>
internal sealed unsafe class ControlBlock : IDisposable
{
    internal const int SlotSize = 12288;
    internal const int LedgerEntries = 8192;
    internal const int LedgerEntrySize = 64;
    private const int SlotsOffset = 64;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly bool _owner;

    private ControlBlock(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, bool owner)
    {
        Path = path;
        _file = file;
        _view = view;
        _owner = owner;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + view.PointerOffset;
    }

    internal string Path { get; }

    internal int SlotCount => Volatile.Read(ref *(int*)(_base + 12));

    internal bool Go
    {
        get => Volatile.Read(ref *(int*)_base) != 0;
        set => Volatile.Write(ref *(int*)_base, value ? 1 : 0);
    }

    internal bool Stop
    {
        get => Volatile.Read(ref *(int*)(_base + 4)) != 0;
        set => Volatile.Write(ref *(int*)(_base + 4), value ? 1 : 0);
    }

    internal bool Finish
    {
        get => Volatile.Read(ref *(int*)(_base + 8)) != 0;
        set => Volatile.Write(ref *(int*)(_base + 8), value ? 1 : 0);
    }

    internal static ControlBlock Create(int slots)
    {
        string path = System.IO.Path.Join(RingOptions.DefaultDirectory, $"ringsoak-ctl-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        long length = SlotsOffset + (long)slots * SlotSize + (long)LedgerEntries * LedgerEntrySize;
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        stream.SetLength(length);
        MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        var block = new ControlBlock(path, file, file.CreateViewAccessor(0, length), owner: true);
        Volatile.Write(ref *(int*)(block._base + 12), slots);
        return block;
    }

    internal static ControlBlock Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        long length = stream.Length;
        MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        return new ControlBlock(path, file, file.CreateViewAccessor(0, length), owner: false);
    }

    /// <summary>Six words of state shared by a scenario's children (at bytes 16..63), e.g. the mutex scenario's protected counter.</summary>
    internal ref long Shared(int index)
    {
        if ((uint)index >= 6)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "there are 6 shared words");
        }

        return ref *(long*)(_base + 16 + (8 * index));
    }

    internal ControlSlot Slot(int index)
    {
        if ((uint)index >= (uint)SlotCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"slot {index} is outside the {SlotCount} slots");
        }

        return new ControlSlot(_base + SlotsOffset + (long)index * SlotSize);
    }

    internal LedgerEntry Ledger(int incarnation)
    {
        if ((uint)incarnation >= LedgerEntries)
        {
            throw new ArgumentOutOfRangeException(nameof(incarnation), incarnation, $"writer incarnation {incarnation} is past the ledger's {LedgerEntries} entries");
        }

        return new LedgerEntry(_base + SlotsOffset + (long)SlotCount * SlotSize + (long)incarnation * LedgerEntrySize);
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        if (_owner)
        {
            try
            {
                File.Delete(Path);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>What a child is doing, as its slot says.</summary>
internal enum SlotState
{
    Starting = 0,
    Ready = 1,
    Running = 2,
    Done = 3,
    Failed = 4,
}

/// <summary>
/// One child's slot: written by that child (plain and release stores), read by the parent (acquire loads) at any time.
/// <code>
///  0     i32 pid             4     i32 state (SlotState)
///  8     i64 heartbeat       16    i64 messages        24   i64 bytes
///  32    i64 corrupt         40    i64 lost            48   i64 duplicated
///  56    i64 peer deaths     64    i64 wait timeouts   72   i64 phase (fault writer)
///  80    i64 hold request    88    i64 incarnation     96   i64 redelivered
///  104   i64 torn-claims-seen 112  i64 restarts
///  120   i64 live heap after the warm-up's full GC   128 i64 live heap after the end's full GC   136 i64 collections done
///  512   error text (UTF-8, 512 bytes, NUL-terminated)
///  1024  per-writer received counts [64]   1536 per-writer hash sums [64]   2048 per-writer next expected [64]
///  4096  latency histogram [1024]
/// </code>
/// </summary>
internal readonly unsafe struct ControlSlot
{
    internal const int MaxWriters = 64;
    private readonly byte* _p;

    internal ControlSlot(byte* p) => _p = p;

    internal int ProcessId
    {
        get => Volatile.Read(ref *(int*)_p);
        set => Volatile.Write(ref *(int*)_p, value);
    }

    internal SlotState State
    {
        get => (SlotState)Volatile.Read(ref *(int*)(_p + 4));
        set => Volatile.Write(ref *(int*)(_p + 4), (int)value);
    }

    internal ref long Heartbeat => ref *(long*)(_p + 8);

    internal ref long Messages => ref *(long*)(_p + 16);

    internal ref long Bytes => ref *(long*)(_p + 24);

    internal ref long Corrupt => ref *(long*)(_p + 32);

    internal ref long Lost => ref *(long*)(_p + 40);

    internal ref long Duplicated => ref *(long*)(_p + 48);

    internal ref long PeerDeaths => ref *(long*)(_p + 56);

    internal ref long WaitTimeouts => ref *(long*)(_p + 64);

    internal ref long Phase => ref *(long*)(_p + 72);

    internal ref long HoldRequest => ref *(long*)(_p + 80);

    internal ref long Incarnation => ref *(long*)(_p + 88);

    internal ref long Redelivered => ref *(long*)(_p + 96);

    internal ref long Restarts => ref *(long*)(_p + 112);

    internal ref long LiveHeapAfterWarmup => ref *(long*)(_p + 120);

    internal ref long LiveHeapAtEnd => ref *(long*)(_p + 128);

    internal ref long CollectionsDone => ref *(long*)(_p + 136);

    internal Span<long> Received => new(_p + 1024, MaxWriters);

    internal Span<long> HashSums => new(_p + 1536, MaxWriters);

    internal Span<long> Expected => new(_p + 2048, MaxWriters);

    internal Span<long> Histogram => new(_p + 4096, LatencyHistogram.Buckets);

    internal string Error
    {
        get
        {
            var bytes = new ReadOnlySpan<byte>(_p + 512, 512);
            int end = bytes.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
        }
    }

    /// <summary>Records the first error only: later ones are usually consequences of it.</summary>
    internal void SetError(string text)
    {
        var bytes = new Span<byte>(_p + 512, 512);
        if (bytes[0] != 0)
        {
            return;
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        int n = Math.Min(utf8.Length, 511);
        utf8.AsSpan(0, n).CopyTo(bytes);
        bytes[n] = 0;
    }

    internal void Beat() => Volatile.Write(ref Heartbeat, System.Diagnostics.Stopwatch.GetTimestamp());

    internal void Clear() => new Span<byte>(_p, ControlBlock.SlotSize).Clear();
}

/// <summary>
/// One writer incarnation in the fault harness's ledger: how many messages it committed (stored right after each commit)
/// and what the readers have received of it, kept here rather than in a reader process so that a reader killed and
/// restarted goes on from where the killed one was.
/// <code>
///  0  i64 committed (writer)   8  i64 phase at the kill (parent)   16 i64 killed (parent)
///  24 i64 next expected sequence, one per reader [5]
/// </code>
/// </summary>
internal readonly unsafe struct LedgerEntry
{
    internal const int MaxReaders = 5;
    private readonly byte* _p;

    internal LedgerEntry(byte* p) => _p = p;

    internal ref long Committed => ref *(long*)_p;

    internal ref long PhaseAtKill => ref *(long*)(_p + 8);

    internal ref long Killed => ref *(long*)(_p + 16);

    internal ref long Expected(int reader) => ref *(long*)(_p + 24 + (8 * reader));
}
