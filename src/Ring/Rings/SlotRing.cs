using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

/// <summary>
/// A lock-free ring of fixed-size slots, each holding one value of <typeparamref name="T"/>, between one writer process
/// and one reader process, in a shared-memory segment (<see cref="SlotRingDescriptor"/>, kind 5).
/// </summary>
/// <typeparam name="T">The value type: an unmanaged struct, copied into and out of a slot as it is.</typeparam>
/// <remarks>
/// <para>
/// Design. Every slot starts with a stamp, Vyukov's per-slot sequence: for position p (slot p mod slot count, lap
/// p / slot count) the slot is free(p), then full(p), then free(p + slot count). The writer waits for free(p) at its
/// position, copies the value in and stores full(p) with a release store; the reader waits for full(p) at its
/// position, copies the value out and stores free(p + slot count) with a release store. Each side reads only the
/// stamp in the slot it is about to use, a line it must touch anyway: neither reads the other's position on the fast
/// path (rigtorp's and Vyukov's point), and no instruction is locked. The positions are stored in the segment after
/// each operation (each on the line of the side that owns it) for statistics, completion and taking over from a dead
/// process.
/// </para>
/// <para>
/// Completion sets bit 63 of the enqueue position (crossbeam's mark bit): the reader drains up to the marked position
/// and then reports <see cref="ReadStatus.Completed"/>. A writer that dies leaves nothing to repair: a value it was
/// copying is in a slot still stamped free, which the next writer overwrites. A reader that dies while copying leaves
/// the slot stamped full, and the next reader reads that value again.
/// </para>
/// <para>
/// One object serves either side: the first write operation attaches this process as the ring's writer, the first read
/// operation as its reader (pid and start time in the party tables), and another live process trying the same role is
/// refused. An object is not thread-safe: one thread writes and one thread reads at a time.
/// </para>
/// </remarks>
public sealed unsafe partial class SlotRing<T> : ISlotWriter<T>, ISlotReader<T>
    where T : unmanaged
{
    private readonly Segment _segment;
    private readonly SharedMemory _memory;
    private readonly byte* _data;
    private readonly int _slotCount;
    private readonly long _mask;
    private readonly int _log2;
    private readonly int _stride;
    private readonly long* _enqueue;
    private readonly long* _dequeue;
    private readonly PartyTable _writers;
    private readonly PartyTable _readers;
    private readonly WaitPolicy _waitPolicy;
    private readonly FutexSite _dataSite;
    private readonly FutexSite _spaceSite;
    private readonly DisposeGate _gate = new();
    private readonly IDisposable _metrics;

    // Writer state (this process's copy; the segment holds the published values).
    private long _tail;
    private bool _isWriter;
    private bool _writerCompleted;
    private bool _claimPending;

    // Reader state.
    private long _head;
    private bool _isReader;

    private SlotRing(Segment segment, RingOptions? options)
    {
        _segment = segment;
        _memory = segment.Memory;
        _slotCount = _memory.ReadInt32Plain(SlotRingDescriptor.SlotCountOffset);
        _mask = _slotCount - 1;
        _log2 = System.Numerics.BitOperations.Log2((uint)_slotCount);
        _stride = _memory.ReadInt32Plain(SlotRingDescriptor.SlotStrideOffset);
        _data = _memory.At(SlotRingDescriptor.OneToOneDataOffset, 0);
        _enqueue = _memory.Int64At(SlotRingDescriptor.EnqueueOffset);
        _dequeue = _memory.Int64At(SlotRingDescriptor.DequeueOffset);
        _writers = new PartyTable(_memory, SlotRingDescriptor.WriterTableOffset, SlotRingDescriptor.OneToOneParties, SlotRingDescriptor.EntryLength);
        _readers = new PartyTable(_memory, SlotRingDescriptor.ReaderTableOffsetOf(RingKind.SlotOneToOne), SlotRingDescriptor.OneToOneParties, SlotRingDescriptor.EntryLength);
        _waitPolicy = new WaitPolicy(options ?? new RingOptions());
        _dataSite = SlotRingSites.Data(_memory);
        _spaceSite = SlotRingSites.Space(_memory);
        _metrics = RingMetrics.Register(segment);
    }

    /// <summary>The segment's name.</summary>
    public string Name => _segment.Name;

    /// <summary>The segment's file.</summary>
    public string Path => _segment.Path;

    /// <summary>The number of slots (a power of two).</summary>
    public int SlotCount => _slotCount;

    /// <summary>Pid of the process that created the segment.</summary>
    public int CreatorProcessId => _segment.CreatorProcessId;

    /// <summary>When the segment was created.</summary>
    public DateTimeOffset CreatedAt => _segment.CreatedAt;

    /// <summary>True once the writer has completed the ring (values may still be waiting to be read).</summary>
    public bool IsWriterCompleted
    {
        get
        {
            // Checked first: after dispose the segment is unmapped, and reading it would crash the process.
            ThrowIfDisposed();
            return Volatile.Read(ref *_enqueue) < 0;
        }
    }

    /// <summary>
    /// Creates the ring's segment with <paramref name="slotCount"/> slots of <typeparamref name="T"/> (exclusive: fails
    /// if the name exists). A name without '/' lives in <see cref="RingOptions.Directory"/>; a name starting with '/'
    /// is a full path. <see cref="RingOptions.Capacity"/> and <see cref="RingOptions.MaxMessageLength"/> are not used.
    /// </summary>
    /// <param name="name">The segment name, or a full path.</param>
    /// <param name="slotCount">The number of slots: a power of two, at least 2, the data region at most 1 GiB.</param>
    /// <param name="options">Directory, file mode, waiting.</param>
    public static SlotRing<T> Create(string name, int slotCount, RingOptions? options = null) =>
        new(SlotSegment.Create<T>(name, RingKind.SlotOneToOne, slotCount, options), options);

    /// <summary>
    /// Opens an existing ring, validating its header; waits up to <see cref="RingOptions.OpenTimeout"/> for one being
    /// created. A ring of values of another size is refused; so is a ring created for a type of another name, unless
    /// <paramref name="checkTypeName"/> is false.
    /// </summary>
    public static SlotRing<T> Open(string name, RingOptions? options = null, bool checkTypeName = true) =>
        new(SlotSegment.Open<T>(name, RingKind.SlotOneToOne, options, checkTypeName), options);

    /// <summary>Creates the ring, or opens it if it exists; an existing ring must have the slot count and value type asked for.</summary>
    public static SlotRing<T> CreateOrOpen(string name, int slotCount, RingOptions? options = null, bool checkTypeName = true) =>
        new(SlotSegment.CreateOrOpen<T>(name, RingKind.SlotOneToOne, slotCount, options, checkTypeName), options);

    /// <summary>A snapshot of the ring's positions and counters, read from the segment.</summary>
    public SlotRingStatistics GetStatistics()
    {
        ThrowIfDisposed();
        long enqueue = Volatile.Read(ref *_enqueue);
        long dequeue = Volatile.Read(ref *_dequeue);

        // One writer and one reader, never a skipped position: the positions are the message counts.
        return SlotRingSites.Statistics(_memory, _slotCount, _writers, _readers, enqueue & ~SlotRingDescriptor.ClosedMark, dequeue);
    }

    /// <summary>
    /// Detaches this process from the roles it took and unmaps the segment (the file stays: see
    /// <see cref="RingSegment.Remove"/>). A writer that disposes without <see cref="Complete"/> leaves the ring open for a
    /// later writer. Pending asynchronous waits end with <see cref="ObjectDisposedException"/>; do not dispose while
    /// another thread is inside a synchronous operation on this object.
    /// </summary>
    public void Dispose()
    {
        if (_gate.IsClosed)
        {
            return;
        }

        bool idle = _gate.Close(() =>
        {
            _dataSite.Interrupt();
            _spaceSite.Interrupt();
        });

        _readWaiter?.Stop(TimeSpan.FromSeconds(5));
        _writeWaiter?.Stop(TimeSpan.FromSeconds(5));
        if (_isWriter)
        {
            _writers.Detach(0, ProcessLiveness.CurrentIdentity);
        }

        if (_isReader)
        {
            _readers.Detach(0, ProcessLiveness.CurrentIdentity);
        }

        // The fast paths test only these flags: cleared, the next call goes through attaching, which throws.
        _isWriter = false;
        _isReader = false;
        _metrics.Dispose();
        if (idle)
        {
            _segment.Dispose();
        }
    }

    /// <summary>The underlying segment (tests and tools inspect it).</summary>
    internal Segment Segment => _segment;

    /// <summary>The stamp of the slot of <paramref name="position"/>; the value follows it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long* StampAt(long position) => (long*)(_data + ((position & _mask) * _stride));

    /// <summary>
    /// Takes a role (writer or reader) for this process: succeeds if the entry is free or held by a dead process, and
    /// refuses a live holder. A dead holder leaves nothing to repair in a one-to-one slot ring (see the remarks).
    /// </summary>
    private void Attach(PartyTable table, string role)
    {
        ThrowIfDisposed();
        long me = ProcessLiveness.CurrentIdentity;
        while (true)
        {
            long holder = table.IdentityAt(0);
            if (holder == me)
            {
                throw new InvalidOperationException($"Ring '{Name}' already has a {role} in this process (pid {ProcessLiveness.CurrentProcessId}): one {role} object per ring.");
            }

            if (holder != 0 && ProcessLiveness.IsAlive(holder))
            {
                throw new InvalidOperationException(
                    $"Ring '{Name}' already has a {role}: process {ProcessLiveness.ProcessIdOf(holder)} is alive. A one-to-one slot ring takes one {role} at a time.");
            }

            if (holder == 0 ? table.TryAttach(me, reclaimDead: false) == 0 : table.TryReclaim(0, holder, me))
            {
                return;
            }
        }
    }

    private void ThrowIfDisposed()
    {
        if (_gate.IsClosed)
        {
            ThrowHelper.ThrowObjectDisposed(Name);
        }
    }

    /// <summary>Reports a stamp no correct party writes at this point, naming the slot, the position and what was expected.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadStamp(long position, long stamp, string expected) =>
        ThrowHelper.ThrowCorrupted(Name,
            $"slot {position & _mask} holds stamp {SlotStamp.Describe(stamp)}; at position {position} the ring expects {expected}");

    /// <summary>Validates positions read from shared memory before they are used.</summary>
    private void CheckPositions(long head, long tail, string source)
    {
        if (head < 0 || tail < 0 || tail - head < -1 || tail - head > 2L * _slotCount)
        {
            ThrowHelper.ThrowCorrupted(Name,
                $"{source} gives dequeue position {head} and enqueue position {tail}; the rule is 0 <= dequeue, -1 <= enqueue - dequeue <= 2 × slot count {_slotCount}");
        }
    }
}
