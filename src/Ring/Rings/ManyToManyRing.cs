using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

/// <summary>
/// A lock-free ring of variable-length messages from any number of writer processes to any number of competing
/// reader processes, in a shared-memory segment (<see cref="ManyToManyRingDescriptor"/>): each message goes to exactly
/// one reader, and a writer may ask which reader took it (<see cref="TryGetTaker"/>).
/// </summary>
/// <remarks>
/// <para>
/// Design (Vyukov's bounded MPMC queue, with multi-slot messages and deterministic recovery). The data region is an
/// array of 64-byte slots, each with an 8-byte stamp that names a position and a state. A message takes
/// ceil((16 + length) / 64) consecutive slots. A writer claims the message at the enqueue cursor by one compare-and-swap
/// of the head slot's stamp from "free for p" to "writing p by me", so the claimant is recorded atomically with the claim
/// and a stale position can never succeed; it then moves the cursor on (any party that sees the claimed stamp may do it
/// for it: lock-free), writes, and commits with a compare-and-swap to "committed p". A reader takes the message at the
/// dequeue cursor with a compare-and-swap from "committed p" to "reading p by me", moves the dequeue cursor on, copies,
/// records itself as the taker and frees the slots for position p + n with release stores.
/// </para>
/// <para>
/// Before every compare-and-swap that puts its number in a stamp, a party records the claim (position and slot count)
/// in its entry of the party table, so that anyone can finish or undo the claim of a party that died: a dead writer's
/// claim becomes padding (a torn claim, counted), a dead reader's message is freed and counted as lost (at most once:
/// a message is never delivered twice). A live writer that holds a claim at the dequeue cursor for longer than
/// <see cref="RingOptions.StuckWriterTimeout"/> has it revoked: readers pass it, its <see cref="Commit"/> throws, and its
/// slots are reused only once it has noticed or died.
/// </para>
/// <para>
/// One object serves either side: the first write operation attaches this process as one of the writers (up to
/// <see cref="ManyToManyRingDescriptor.MaxWriters"/>), the first read operation as one of the readers (up to
/// <see cref="ManyToManyRingDescriptor.MaxReaders"/>). An object is not thread-safe: one thread writes and one thread
/// reads at a time; use one object per thread.
/// </para>
/// </remarks>
public sealed unsafe partial class ManyToManyRing : IMessageWriter, IMessageReader
{
    private const int StateShift = 60;
    private const int PartyShift = 53;

    private readonly Segment _segment;
    private readonly SharedMemory _memory;
    private readonly long* _stamps;
    private readonly byte* _slots;
    private readonly long _slotCount;
    private readonly ulong _reciprocal;
    private readonly long _capacity;
    private readonly int _maxMessageLength;
    private readonly WaitPolicy _waitPolicy;
    private readonly long _stuckTicks;
    private readonly FutexSite _dataSite;
    private readonly FutexSite _spaceSite;
    private readonly PartyTable _writers;
    private readonly PartyTable _readers;
    private readonly DisposeGate _gate = new();
    private readonly IDisposable _metrics;

    // Writer state.
    private bool _isWriter;
    private int _writerIndex = -1;
    private long _writerEntry;
    private long _messagesWritten;
    private long _fullStalls;
    private long _claimPosition = -1;
    private long _claimSlots;
    private long _lastSequence = -1;

    // Reader state.
    private bool _isReader;
    private int _readerIndex = -1;
    private long _readerEntry;
    private long _messagesRead;
    private int _emptyPolls;
    private long _nextRecoveryCheck;
    private long _stallPosition = -1;
    private long _stallStamp;
    private long _stallSince;

    private ManyToManyRing(Segment segment, RingOptions options)
    {
        _segment = segment;
        _memory = segment.Memory;
        _capacity = segment.Capacity;
        _maxMessageLength = segment.MaxMessageLength;
        try
        {
            ManyToManyRingDescriptor.CheckSizes(_capacity, _maxMessageLength);
        }
        catch (ArgumentOutOfRangeException e)
        {
            segment.Dispose();
            throw new RingFormatException($"Segment '{segment.Name}' cannot hold a many-to-many ring: {e.Message}");
        }

        _slotCount = ManyToManyRingDescriptor.SlotCountFor(_capacity);
        _reciprocal = ulong.MaxValue / (ulong)_slotCount;
        _stamps = (long*)_memory.At(ManyToManyRingDescriptor.DataOffset, 0);
        _slots = _memory.At(ManyToManyRingDescriptor.DataOffset + ManyToManyRingDescriptor.SlotsOffsetFor(_slotCount), 0);
        _waitPolicy = new WaitPolicy(options);
        _stuckTicks = WaitLoop.ToTicks(options.StuckWriterTimeout);
        _dataSite = new FutexSite(
            _memory.Int32At(ManyToManyRingDescriptor.DataSignalOffset),
            _memory.Int32At(ManyToManyRingDescriptor.ReaderSleepersOffset),
            _memory.Int64At(ManyToManyRingDescriptor.ReaderSleepsOffset),
            _memory.Int64At(ManyToManyRingDescriptor.ReaderWakeupsOffset));
        _spaceSite = new FutexSite(
            _memory.Int32At(ManyToManyRingDescriptor.SpaceSignalOffset),
            _memory.Int32At(ManyToManyRingDescriptor.WriterSleepersOffset),
            _memory.Int64At(ManyToManyRingDescriptor.WriterSleepsOffset),
            _memory.Int64At(ManyToManyRingDescriptor.WriterWakeupsOffset));
        _writers = new PartyTable(_memory, ManyToManyRingDescriptor.WriterTableOffset, ManyToManyRingDescriptor.MaxWriters, ManyToManyRingDescriptor.EntryLength);
        _readers = new PartyTable(_memory, ManyToManyRingDescriptor.ReaderTableOffset, ManyToManyRingDescriptor.MaxReaders, ManyToManyRingDescriptor.EntryLength);
        _metrics = RingMetrics.Register(segment);
    }

    /// <summary>The segment's name.</summary>
    public string Name => _segment.Name;

    /// <summary>The segment file's full path.</summary>
    public string Path => _segment.Path;

    /// <summary>The data region's size in bytes (stamps and slots).</summary>
    public long Capacity => _capacity;

    /// <summary>The number of 64-byte slots; a message takes ceil((16 + length) / 64) of them.</summary>
    public long SlotCount => _slotCount;

    /// <summary>The longest message, in bytes.</summary>
    public int MaxMessageLength => _maxMessageLength;

    /// <summary>The pid of the process that created the segment.</summary>
    public int CreatorProcessId => _segment.CreatorProcessId;

    /// <summary>When the segment was created.</summary>
    public DateTimeOffset CreatedAt => _segment.CreatedAt;

    /// <summary>True once a writer has completed the ring (messages may still be waiting to be read).</summary>
    public bool IsWriterCompleted
    {
        get
        {
            // Checked first: after dispose the segment is unmapped, and reading it would crash the process.
            ThrowIfDisposed();
            return _memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset) < 0;
        }
    }

    /// <summary>This object's index in the reader table once it has read (what <see cref="TryGetTaker"/> reports); -1 before.</summary>
    public int ReaderIndex => _readerIndex;

    /// <summary>This object's index in the writer table once it has written; -1 before.</summary>
    public int WriterIndex => _writerIndex;

    /// <summary>
    /// Creates the ring's segment (exclusive: fails if the name exists). A name without '/' lives in
    /// <see cref="RingOptions.Directory"/>; a name starting with '/' is a full path. The maximum message length must fit
    /// in the slot array: ceil((16 + length) / 64) slots of the capacity / 72 there are.
    /// </summary>
    public static ManyToManyRing Create(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        CheckOptions(options);
        return new ManyToManyRing(Segment.Create(name, RingKind.ManyToMany, options, InitializeLayout), options);
    }

    /// <summary>Opens an existing ring, validating its header; waits up to <see cref="RingOptions.OpenTimeout"/> for one being created.</summary>
    public static ManyToManyRing Open(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new ManyToManyRing(Segment.Open(name, RingKind.ManyToMany, options), options);
    }

    /// <summary>Creates the ring, or opens it if it exists; an existing ring must have the capacity and maximum message length asked for.</summary>
    public static ManyToManyRing CreateOrOpen(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        CheckOptions(options);
        return new ManyToManyRing(Segment.CreateOrOpen(name, RingKind.ManyToMany, options, InitializeLayout), options);
    }

    /// <summary>A snapshot of the ring's cursors and counters, read from the segment.</summary>
    public ManyToManyRingStatistics GetStatistics()
    {
        ThrowIfDisposed();
        SharedMemory m = _memory;
        long written = m.ReadInt64Acquire(ManyToManyRingDescriptor.RetiredMessagesWrittenOffset);
        long read = m.ReadInt64Acquire(ManyToManyRingDescriptor.RetiredMessagesReadOffset);
        long stalls = m.ReadInt64Acquire(ManyToManyRingDescriptor.RetiredFullStallsOffset);
        int writers = 0;
        int readers = 0;
        for (int i = 0; i < _writers.Count; i++)
        {
            if (_writers.IdentityAt(i) != 0)
            {
                writers++;
                written += m.ReadInt64Acquire(_writers.EntryOffset(i) + ManyToManyRingDescriptor.MessagesField);
                stalls += m.ReadInt64Acquire(_writers.EntryOffset(i) + ManyToManyRingDescriptor.FullStallsField);
            }
        }

        for (int i = 0; i < _readers.Count; i++)
        {
            if (_readers.IdentityAt(i) != 0)
            {
                readers++;
                read += m.ReadInt64Acquire(_readers.EntryOffset(i) + ManyToManyRingDescriptor.MessagesField);
            }
        }

        long enqueue = m.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset);
        return new ManyToManyRingStatistics(
            EnqueuePosition: enqueue & ~ManyToManyRingDescriptor.CompletedMark,
            DequeuePosition: m.ReadInt64Acquire(ManyToManyRingDescriptor.DequeueOffset),
            SlotCount: _slotCount,
            MessagesWritten: written,
            MessagesRead: read,
            FullStalls: stalls,
            TornClaims: m.ReadInt64Acquire(ManyToManyRingDescriptor.TornClaimsOffset),
            RevokedClaims: m.ReadInt64Acquire(ManyToManyRingDescriptor.RevokedClaimsOffset),
            LostMessages: m.ReadInt64Acquire(ManyToManyRingDescriptor.LostMessagesOffset),
            ReaderSleeps: m.ReadInt64Acquire(ManyToManyRingDescriptor.ReaderSleepsOffset),
            ReaderWakeups: m.ReadInt64Acquire(ManyToManyRingDescriptor.ReaderWakeupsOffset),
            WriterSleeps: m.ReadInt64Acquire(ManyToManyRingDescriptor.WriterSleepsOffset),
            WriterWakeups: m.ReadInt64Acquire(ManyToManyRingDescriptor.WriterWakeupsOffset),
            WritersAttached: writers,
            ReadersAttached: readers,
            IsWriterCompleted: enqueue < 0);
    }

    /// <summary>
    /// Detaches this process from the roles it took (a pending claim is aborted first) and unmaps the segment (the
    /// file stays: see <see cref="RingSegment.Remove"/>). Pending asynchronous waits end with
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
        if (_isWriter)
        {
            if (_claimPosition >= 0)
            {
                AbortClaim();
            }

            Detach(_writers, _writerIndex, _writerEntry, isWriter: true);
        }

        if (_isReader)
        {
            Detach(_readers, _readerIndex, _readerEntry, isWriter: false);
        }

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

    /// <summary>The stamp of the slot that holds position <paramref name="position"/> (tests inspect it).</summary>
    internal long StampAt(long position) => Volatile.Read(ref *StampOf(position));

    /// <summary>A stamp word: state, party and position (see the descriptor's bit diagram).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long MakeStamp(int state, int party, long position) => ((long)state << StateShift) | ((long)party << PartyShift) | position;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int StateOf(long stamp) => (int)((ulong)stamp >> StateShift) & 7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int PartyOf(long stamp) => (int)(stamp >> PartyShift) & 0x7F;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long PositionOf(long stamp) => stamp & ManyToManyRingDescriptor.PositionMask;

    private static void CheckOptions(RingOptions options)
    {
        long capacity = options.Capacity;
        ManyToManyRingDescriptor.CheckSizes(capacity, options.EffectiveMaxMessageLength(capacity));
    }

    private static void InitializeLayout(SharedMemory memory)
    {
        // The header is written after this runs: the capacity is the mapping's length past the header.
        long capacity = memory.Length - ManyToManyRingDescriptor.DataOffset;
        long n = ManyToManyRingDescriptor.SlotCountFor(capacity);

        // Slot i starts free for position i: "free for p" is the stamp p itself (state 0, party 0).
        for (long i = 0; i < n; i++)
        {
            memory.WriteInt64Plain(ManyToManyRingDescriptor.DataOffset + (i * 8), i);
        }

        for (int i = 0; i < ManyToManyRingDescriptor.MaxWriters + ManyToManyRingDescriptor.MaxReaders; i++)
        {
            memory.WriteInt64Plain(ManyToManyRingDescriptor.WriterTableOffset + ((long)i * ManyToManyRingDescriptor.EntryLength) + ManyToManyRingDescriptor.IntentPositionField, -1);
        }
    }

    /// <summary>
    /// <paramref name="position"/> % slot count without a division: the high half of position * floor((2^64 - 1) / n)
    /// is the quotient or one less (positions are below 2^53), so one correction step gives the remainder.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long IndexOf(long position)
    {
        ulong quotient = Math.BigMul((ulong)position, _reciprocal, out _);
        long index = position - ((long)quotient * _slotCount);
        return index >= _slotCount ? index - _slotCount : index;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long* StampOf(long position) => _stamps + IndexOf(position);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* SlotOf(long position) => _slots + (IndexOf(position) * ManyToManyRingDescriptor.SlotLength);

    private void ThrowIfDisposed()
    {
        if (_gate.IsClosed)
        {
            ThrowHelper.ThrowObjectDisposed(Name);
        }
    }

    // "Ring 'NAME'", built once: every blocking call names the ring to the dispose gate (no allocation per wait).
    private string? _description;

    private void EnterBlocking() => _gate.Enter(_description ??= $"Ring '{Name}'");

    private void ExitBlocking() => _gate.Exit();

    private static long Now() => Stopwatch.GetTimestamp();
}
