using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Ring.Layout;

namespace Ring;

/// <summary>
/// A lock-free ring of variable-length frames from any number of writer processes to one reader process, in a
/// shared-memory segment (<see cref="ManyToOneRingDescriptor"/>, frames per <see cref="FrameDescriptor"/>).
/// </summary>
/// <remarks>
/// <para>
/// Design (Agrona's ManyToOneRingBuffer, with deterministic recovery). A writer claims space with one compare-and-swap
/// on the shared tail; before it, it records the claim it is attempting (position and length) in its own entry of the
/// writer table, so that a claim whose writer dies before writing a single byte can still be attributed and measured.
/// It then copies the payload and publishes the frame by storing its 8-byte header (length, type) with a release
/// store; a zero-copy claim first stores the header with a negative length and commits it with a compare-and-swap.
/// The reader follows length words from its head and needs the tail only when it finds nothing. After reading, it
/// zeroes what it read and only then moves the free position writers check their room against, so a zero length
/// word always means "not written yet".
/// </para>
/// <para>
/// A writer's death is decided by its pid and start time. The reader turns a dead writer's claim into padding (a torn
/// claim, counted) and delivers everything after it, other writers' messages included. A live writer that holds a
/// claim at the head for longer than <see cref="RingOptions.StuckWriterTimeout"/> has it revoked: the reader skips it
/// (counted), the writer's <see cref="Commit"/> throws, and the space is not reused until that writer has noticed or
/// died, so a late writer never scribbles over other messages.
/// </para>
/// <para>
/// One object serves either side: the first write operation attaches this process as one of the writers (up to
/// <see cref="ManyToOneRingDescriptor.MaxWriters"/> at once, several per process allowed), the first read operation as
/// the reader (one live reader at a time). An object is not thread-safe: one thread writes and one thread reads at a
/// time; use one object per writing thread.
/// </para>
/// </remarks>
public sealed unsafe partial class ManyToOneRing : IMessageWriter, IMessageReader
{
    private readonly Segment _segment;
    private readonly SharedMemory _memory;
    private readonly byte* _data;
    private readonly long _capacity;
    private readonly long _mask;
    private readonly int _maxMessageLength;
    private readonly WaitPolicy _waitPolicy;
    private readonly long _stuckTicks;
    private readonly FutexSite _dataSite;
    private readonly FutexSite _spaceSite;
    private readonly PartyTable _writers;
    private readonly PartyTable _readerTable;
    private readonly DisposeGate _gate = new();
    private readonly IDisposable _metrics;

    // "Ring 'NAME'", built once: every blocking call names the ring to the dispose gate (no allocation per wait).
    private string? _description;

    // Writer state: this object's entry in the writer table and its pending claim.
    private bool _isWriter;
    private int _writerIndex = -1;
    private long _entry;
    private long _cachedFree;
    private long _messagesWritten;
    private long _fullStalls;
    private long _claimIndex;
    private int _claimFrameLength;
    private int _claimType;

    // The end position of this writer's latest claim (delivery confirmation waits for the head to pass it).
    private long _lastClaimEnd;

    // Reader state.
    private bool _isReader;
    private long _head;
    private long _free;
    private long _messagesRead;
    private bool _revokedBehindHead;
    private int _emptyPolls;
    private long _nextRecoveryCheck;
    private long _stallPosition = -1;
    private long _stallWord;
    private long _stallSince;

    private ManyToOneRing(Segment segment, RingOptions options)
    {
        _segment = segment;
        _memory = segment.Memory;
        _data = _memory.At(ManyToOneRingDescriptor.DataOffset, 0);
        _capacity = segment.Capacity;
        _mask = _capacity - 1;
        _maxMessageLength = segment.MaxMessageLength;
        _waitPolicy = new WaitPolicy(options);
        _stuckTicks = WaitLoop.ToTicks(options.StuckWriterTimeout);
        _dataSite = new FutexSite(
            _memory.Int32At(ManyToOneRingDescriptor.DataSignalOffset),
            _memory.Int32At(ManyToOneRingDescriptor.ReaderSleepersOffset),
            _memory.Int64At(ManyToOneRingDescriptor.ReaderSleepsOffset),
            _memory.Int64At(ManyToOneRingDescriptor.ReaderWakeupsOffset));
        _spaceSite = new FutexSite(
            _memory.Int32At(ManyToOneRingDescriptor.SpaceSignalOffset),
            _memory.Int32At(ManyToOneRingDescriptor.WriterSleepersOffset),
            _memory.Int64At(ManyToOneRingDescriptor.WriterSleepsOffset),
            _memory.Int64At(ManyToOneRingDescriptor.WriterWakeupsOffset));
        _writers = new PartyTable(_memory, ManyToOneRingDescriptor.WriterTableOffset, ManyToOneRingDescriptor.MaxWriters, ManyToOneRingDescriptor.WriterEntryLength);
        _readerTable = new PartyTable(_memory, ManyToOneRingDescriptor.ReaderEntryOffset, 1, SegmentHeaderDescriptor.CacheLineSlot);
        _metrics = RingMetrics.Register(segment);
    }

    /// <summary>The segment's name.</summary>
    public string Name => _segment.Name;

    /// <summary>The segment file's full path.</summary>
    public string Path => _segment.Path;

    /// <summary>The data region's size in bytes.</summary>
    public long Capacity => _capacity;

    /// <summary>The longest message, in bytes.</summary>
    public int MaxMessageLength => _maxMessageLength;

    /// <summary>The pid of the process that created the segment.</summary>
    public int CreatorProcessId => _segment.CreatorProcessId;

    /// <summary>When the segment was created.</summary>
    public DateTimeOffset CreatedAt => _segment.CreatedAt;

    /// <summary>True once a writer has completed the ring (messages may still be waiting to be read).</summary>
    public bool IsWriterCompleted => _memory.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset) < 0;

    /// <summary>
    /// Creates the ring's segment (exclusive: fails if the name exists). A name without '/' lives in
    /// <see cref="RingOptions.Directory"/>; a name starting with '/' is a full path.
    /// </summary>
    public static ManyToOneRing Create(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new ManyToOneRing(Segment.Create(name, RingKind.ManyToOne, options, InitializeLayout), options);
    }

    /// <summary>Opens an existing ring, validating its header; waits up to <see cref="RingOptions.OpenTimeout"/> for one being created.</summary>
    public static ManyToOneRing Open(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new ManyToOneRing(Segment.Open(name, RingKind.ManyToOne, options), options);
    }

    /// <summary>Creates the ring, or opens it if it exists; an existing ring must have the capacity and maximum message length asked for.</summary>
    public static ManyToOneRing CreateOrOpen(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new ManyToOneRing(Segment.CreateOrOpen(name, RingKind.ManyToOne, options, InitializeLayout), options);
    }

    /// <summary>A snapshot of the ring's positions and counters, and of every writer attached, read from the segment.</summary>
    public ManyToOneRingStatistics GetStatistics()
    {
        ThrowIfDisposed();
        SharedMemory m = _memory;
        long written = m.ReadInt64Acquire(ManyToOneRingDescriptor.RetiredMessagesWrittenOffset);
        long stalls = m.ReadInt64Acquire(ManyToOneRingDescriptor.RetiredFullStallsOffset);
        var writers = new List<ManyToOneWriterInfo>();
        for (int i = 0; i < _writers.Count; i++)
        {
            long identity = _writers.IdentityAt(i);
            if (identity == 0)
            {
                continue;
            }

            long entry = _writers.EntryOffset(i);
            long messages = m.ReadInt64Acquire(entry + ManyToOneRingDescriptor.MessagesWrittenField);
            long entryStalls = m.ReadInt64Acquire(entry + ManyToOneRingDescriptor.FullStallsField);
            written += messages;
            stalls += entryStalls;
            writers.Add(new ManyToOneWriterInfo(i, ProcessLiveness.ProcessIdOf(identity), ProcessLiveness.IsAlive(identity), messages, entryStalls));
        }

        long tail = m.ReadInt64Acquire(ManyToOneRingDescriptor.TailOffset);
        long readerIdentity = _readerTable.IdentityAt(0);
        return new ManyToOneRingStatistics(
            Head: m.ReadInt64Acquire(ManyToOneRingDescriptor.HeadOffset),
            Tail: tail & ~ManyToOneRingDescriptor.CompletedMark,
            Free: m.ReadInt64Acquire(ManyToOneRingDescriptor.FreeOffset),
            MessagesWritten: written,
            MessagesRead: m.ReadInt64Acquire(ManyToOneRingDescriptor.MessagesReadOffset),
            FullStalls: stalls,
            TornClaims: m.ReadInt64Acquire(ManyToOneRingDescriptor.TornClaimsOffset),
            RevokedClaims: m.ReadInt64Acquire(ManyToOneRingDescriptor.RevokedClaimsOffset),
            ReaderSleeps: m.ReadInt64Acquire(ManyToOneRingDescriptor.ReaderSleepsOffset),
            ReaderWakeups: m.ReadInt64Acquire(ManyToOneRingDescriptor.ReaderWakeupsOffset),
            WriterSleeps: m.ReadInt64Acquire(ManyToOneRingDescriptor.WriterSleepsOffset),
            WriterWakeups: m.ReadInt64Acquire(ManyToOneRingDescriptor.WriterWakeupsOffset),
            ReaderProcessId: ProcessLiveness.ProcessIdOf(readerIdentity),
            IsWriterCompleted: tail < 0,
            Writers: writers);
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
            DetachWriter();
        }

        if (_isReader)
        {
            _readerTable.Detach(0, ProcessLiveness.CurrentIdentity);
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

    private static void InitializeLayout(SharedMemory memory)
    {
        for (int i = 0; i < ManyToOneRingDescriptor.MaxWriters; i++)
        {
            memory.WriteInt64Plain(ManyToOneRingDescriptor.WriterTableOffset + ((long)i * ManyToOneRingDescriptor.WriterEntryLength) + ManyToOneRingDescriptor.IntentPositionField, -1);
        }
    }

    /// <summary>The 8-byte frame header as one word: the length in the low half, the type in the high half (little-endian layout).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long HeaderWord(int length, int type) => (uint)length | ((long)type << 32);

    private void ThrowIfDisposed()
    {
        if (_gate.IsClosed)
        {
            ThrowHelper.ThrowObjectDisposed(Name);
        }
    }

    private void EnterBlocking() => _gate.Enter(_description ??= $"Ring '{Name}'");

    private void ExitBlocking() => _gate.Exit();

    /// <summary>Validates positions read from shared memory before they index the data region.</summary>
    private void CheckPositions(long free, long head, long tail, string source)
    {
        if (free > head || head > tail || tail - free > _capacity || free < 0 || ((free | head | tail) & (FrameDescriptor.Alignment - 1)) != 0)
        {
            ThrowHelper.ThrowCorrupted(Name, $"{source} gives free {free}, head {head} and tail {tail}; the rule is 0 <= free <= head <= tail <= free + capacity {_capacity}, all multiples of {FrameDescriptor.Alignment}");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadFrame(long position, int frameLength, int type) =>
        ThrowHelper.ThrowCorrupted(Name,
            $"the frame at position {position} has length {frameLength} and type {type}; a frame must be at least {FrameDescriptor.HeaderLength} bytes, " +
            $"carry at most {_maxMessageLength} payload bytes, have type >= -2 and end before the data region's end");

    private static long Now() => Stopwatch.GetTimestamp();
}
