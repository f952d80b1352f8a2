using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

/// <summary>
/// A lock-free ring of fixed-size slots of <typeparamref name="T"/> shared by any number of writer processes and any
/// number of reader processes (up to <see cref="SlotRingDescriptor.ManyToManyParties"/> of each attached at once):
/// each value goes to exactly one reader. In a shared-memory segment (<see cref="SlotRingDescriptor"/>, kind 6).
/// </summary>
/// <typeparam name="T">The value type: an unmanaged struct, copied into and out of a slot as it is.</typeparam>
/// <remarks>
/// <para>
/// Design: Vyukov's bounded queue with the claim moved into the slot. Every slot's stamp says which position it serves
/// and what state it is in (<see cref="SlotRingDescriptor"/>). A writer at enqueue position p claims the slot by a
/// compare-and-swap of its stamp from free(p) to writing(p, its entry), then moves the enqueue position from p to
/// p + 1 (any party that finds the slot claimed may do that for it, so nobody waits for a preempted claimer), copies the
/// value in and commits by a compare-and-swap to full(p). A reader at dequeue position p takes the slot by a
/// compare-and-swap from full(p) to taken(p, its entry), moves the dequeue position on, copies the value out and
/// stores free(p + slot count) with release. Because the stamp names the party that holds the slot, a party that dies
/// holding one is found by whoever meets the stamp, and its death is decided by pid and start time.
/// </para>
/// <para>
/// Completion sets bit 63 of the enqueue position. A claim is valid only if the enqueue position moved past it: a
/// writer whose move fails because the position was marked at its own claim undoes the claim. Readers drain every
/// position below the mark, then report <see cref="ReadStatus.Completed"/>.
/// </para>
/// <para>
/// Recovery. A claim whose writer died is turned into a skipped position (counted as an abandoned claim) by the reader
/// that waits on it; a claim whose writer is alive but has not committed for <see cref="RingOptions.StuckWriterTimeout"/>
/// is marked abandoned: readers pass it, writers pass over the slot on every lap, and it stays the stuck writer's until
/// that writer comes back (its commit fails, it frees the slot and writes its value again: nothing is lost or torn) or
/// dies. A value whose reader died while reading it is delivered again: by the writer that finds the slot in its way
/// (the slot becomes full for the writer's position), or by a reader that finds the dead reader's entry.
/// </para>
/// <para>
/// One object serves either side or both: the first write operation takes a writer entry for it, the first read
/// operation a reader entry. An object is not thread-safe: one thread writes and one thread reads at a time; use one
/// object per thread for more.
/// </para>
/// </remarks>
public sealed unsafe partial class ManyToManySlotRing<T> : ISlotWriter<T>, ISlotReader<T>
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
    private readonly long _livenessTicks;
    private readonly long _stuckTicks;
    private readonly FutexSite _dataSite;
    private readonly FutexSite _spaceSite;
    private readonly DisposeGate _gate = new();
    private readonly IDisposable _metrics;

    // Writer state: the entry this object holds (-1: not attached), the pending claim.
    private int _writerIndex = -1;
    private long _writerEntry;
    private long _claimPosition;
    private long _claimStamp;
    private bool _claimPending;
    private int _fullPolls;
    private long _nextWriterCheck;

    // Reader state: the entry, the slot taken, a dead reader's value found for redelivery, the watch on a claim at the head.
    private int _readerIndex = -1;
    private long _readerEntry;
    private long _heldPosition;
    private long _heldStamp;
    private long _orphanSlot = -1;
    private long _orphanStamp;
    private long _watchedStamp;
    private long _watchedSince;
    private long _nextReaderCheck;
    private int _emptyPolls;
    private long _writerDeathsAtAttach;

    private ManyToManySlotRing(Segment segment, RingOptions? options)
    {
        options ??= new RingOptions();
        _segment = segment;
        _memory = segment.Memory;
        _slotCount = _memory.ReadInt32Plain(SlotRingDescriptor.SlotCountOffset);
        _mask = _slotCount - 1;
        _log2 = System.Numerics.BitOperations.Log2((uint)_slotCount);
        _stride = _memory.ReadInt32Plain(SlotRingDescriptor.SlotStrideOffset);
        _data = _memory.At(SlotRingDescriptor.ManyToManyDataOffset, 0);
        _enqueue = _memory.Int64At(SlotRingDescriptor.EnqueueOffset);
        _dequeue = _memory.Int64At(SlotRingDescriptor.DequeueOffset);
        _writers = new PartyTable(_memory, SlotRingDescriptor.WriterTableOffset, SlotRingDescriptor.ManyToManyParties, SlotRingDescriptor.EntryLength);
        _readers = new PartyTable(_memory, SlotRingDescriptor.ReaderTableOffsetOf(RingKind.SlotManyToMany), SlotRingDescriptor.ManyToManyParties, SlotRingDescriptor.EntryLength);
        _waitPolicy = new WaitPolicy(options);
        _livenessTicks = _waitPolicy.LivenessTicks;
        _stuckTicks = WaitLoop.ToTicks(options.StuckWriterTimeout);
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

    /// <summary>True once a writer has completed the ring (values may still be waiting to be read).</summary>
    public bool IsWriterCompleted
    {
        get
        {
            // Checked first: after dispose the segment is unmapped, and reading it would crash the process.
            ThrowIfDisposed();
            return Volatile.Read(ref *_enqueue) < 0;
        }
    }

    /// <summary>This object's index in the reader table (0 to 63) once it has read, what <see cref="TryGetTaker"/> reports; -1 before.</summary>
    public int ReaderIndex => _readerIndex;

    /// <summary>This object's index in the writer table (0 to 63) once it has written; -1 before.</summary>
    public int WriterIndex => _writerIndex;

    /// <summary>
    /// Creates the ring's segment with <paramref name="slotCount"/> slots of <typeparamref name="T"/> (exclusive: fails
    /// if the name exists). A name without '/' lives in <see cref="RingOptions.Directory"/>; a name starting with '/'
    /// is a full path. <see cref="RingOptions.Capacity"/> and <see cref="RingOptions.MaxMessageLength"/> are not used.
    /// </summary>
    /// <param name="name">The segment name, or a full path.</param>
    /// <param name="slotCount">The number of slots: a power of two, at least 2, the data region at most 1 GiB.</param>
    /// <param name="options">Directory, file mode, waiting, the stuck-writer timeout.</param>
    public static ManyToManySlotRing<T> Create(string name, int slotCount, RingOptions? options = null) =>
        new(SlotSegment.Create<T>(name, RingKind.SlotManyToMany, slotCount, options), options);

    /// <summary>
    /// Opens an existing ring, validating its header; waits up to <see cref="RingOptions.OpenTimeout"/> for one being
    /// created. A ring of values of another size is refused; so is a ring created for a type of another name, unless
    /// <paramref name="checkTypeName"/> is false.
    /// </summary>
    public static ManyToManySlotRing<T> Open(string name, RingOptions? options = null, bool checkTypeName = true) =>
        new(SlotSegment.Open<T>(name, RingKind.SlotManyToMany, options, checkTypeName), options);

    /// <summary>Creates the ring, or opens it if it exists; an existing ring must have the slot count and value type asked for.</summary>
    public static ManyToManySlotRing<T> CreateOrOpen(string name, int slotCount, RingOptions? options = null, bool checkTypeName = true) =>
        new(SlotSegment.CreateOrOpen<T>(name, RingKind.SlotManyToMany, slotCount, options, checkTypeName), options);

    /// <summary>A snapshot of the ring's positions and counters, read from the segment.</summary>
    public SlotRingStatistics GetStatistics()
    {
        ThrowIfDisposed();
        return SlotRingSites.Statistics(_memory, _slotCount, _writers, _readers, -1, -1);
    }

    /// <summary>
    /// Gives back this object's writer and reader entries and unmaps the segment (the file stays: see
    /// <see cref="RingSegment.Remove"/>). Disposing does not complete the ring. Pending asynchronous waits end with
    /// <see cref="ObjectDisposedException"/>; do not dispose while another thread is inside a synchronous operation on
    /// this object.
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
        if (_writerIndex >= 0)
        {
            if (_claimPending)
            {
                Abort();
            }

            _writers.Detach(_writerIndex, ProcessLiveness.CurrentIdentity);
        }

        if (_readerIndex >= 0)
        {
            _readers.Detach(_readerIndex, ProcessLiveness.CurrentIdentity);
        }

        // The fast paths test only these: reset, the next call goes through attaching, which throws.
        _writerIndex = -1;
        _readerIndex = -1;
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
    /// Takes an entry of <paramref name="table"/> for this process. A full table reclaims the entry of a dead process:
    /// a dead writer's claims are recovered first, so that no stamp names the new holder before it claims; a dead
    /// reader's value is found again by the new holder, which delivers it first.
    /// </summary>
    private int AttachParty(PartyTable table, bool writer)
    {
        ThrowIfDisposed();
        long me = ProcessLiveness.CurrentIdentity;
        int index = table.TryAttach(me, reclaimDead: false);
        if (index >= 0)
        {
            return index;
        }

        for (int i = 0; i < table.Count; i++)
        {
            long holder = table.IdentityAt(i);
            if (holder == 0 || ProcessLiveness.IsAlive(holder))
            {
                continue;
            }

            if (writer)
            {
                RecoverDeadWriter(i, holder);
            }

            if (table.TryReclaim(i, holder, me))
            {
                if (!writer)
                {
                    _memory.AddInt64(SlotRingDescriptor.ReaderDeathsOffset, 1);
                    InheritOrphan(i);
                }

                return i;
            }
        }

        index = table.TryAttach(me, reclaimDead: false);
        if (index < 0)
        {
            string role = writer ? "writer" : "reader";
            throw new InvalidOperationException(
                $"Ring '{Name}' has {table.Count} {role}s attached, all alive: a many-to-many slot ring takes at most {table.Count} {role}s at once.");
        }

        return index;
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

    /// <summary>Refuses a stamp whose party is not a table entry (the party bits of free stamps are 1 + a reader entry).</summary>
    private void CheckParty(long position, long stamp)
    {
        int party = SlotStamp.PartyOf(stamp);
        int limit = SlotStamp.StateOf(stamp) == SlotRingDescriptor.StateFree ? SlotRingDescriptor.ManyToManyParties + 1 : SlotRingDescriptor.ManyToManyParties;
        if (party >= limit || (SlotStamp.StateOf(stamp) == SlotRingDescriptor.StateFull && party != 0))
        {
            ThrowBadStamp(position, stamp, $"a party below {limit}");
        }
    }

    private static long Now() => Stopwatch.GetTimestamp();
}
