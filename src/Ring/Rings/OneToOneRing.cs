using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

/// <summary>
/// A lock-free ring of variable-length frames between one writer process and one reader process, in a shared-memory
/// segment (<see cref="OneToOneRingDescriptor"/>, frames per <see cref="FrameDescriptor"/>).
/// </summary>
/// <remarks>
/// <para>
/// Design. Each side owns one position. The writer keeps a private copy of the reader's head and reloads it only when
/// the ring looks full (Agrona's head cache, rigtorp's SPSCQueue). The writer claims a frame by writing its header
/// with a negative length (and zeroing the length word after it), publishes the tail with a release store, and
/// commits by storing the length positive with a release store. The reader needs no copy of the tail: it follows
/// length words from its head and stops at the first that is not positive (0: nothing yet; negative: a claim in
/// progress), and the zero word keeps it from walking into the previous lap. So in steady state neither side reads a
/// cache line the other side writes, except the frames themselves.
/// </para>
/// <para>
/// One object serves either side: the first write operation attaches this process as the ring's writer, the first
/// read operation as its reader (pid and start time recorded in the segment), and another live process trying the
/// same role is refused. An object is not thread-safe: one thread writes and one thread reads at a time.
/// </para>
/// </remarks>
public sealed unsafe partial class OneToOneRing : IMessageWriter, IMessageReader
{
    private readonly Segment _segment;
    private readonly SharedMemory _memory;
    private readonly byte* _data;
    private readonly long _capacity;
    private readonly long _mask;
    private readonly int _maxMessageLength;

    // Header bytes of a message frame: 8, or 16 when the segment has frame checksums (FrameChecksum).
    private readonly int _frameHeaderLength;
    private readonly bool _frameChecksums;
    private readonly WaitPolicy _waitPolicy;
    private readonly FutexSite _dataSite;
    private readonly FutexSite _spaceSite;

    // Writer state (this process's copy; the segment holds the published values).
    private long _tail;
    private long _cachedHead;
    private long _messagesWritten;
    private long _claimIndex;
    private int _claimFrameLength;
    private int _claimType;
    private bool _isWriter;
    private bool _writerCompleted;

    // Reader state.
    private long _head;
    private long _messagesRead;
    private bool _isReader;

    private readonly DisposeGate _gate = new();
    private readonly IDisposable _metrics;

    private OneToOneRing(Segment segment, RingOptions options)
    {
        _segment = segment;
        _memory = segment.Memory;
        _data = _memory.At(OneToOneRingDescriptor.DataOffset, 0);
        _capacity = segment.Capacity;
        _mask = _capacity - 1;
        _maxMessageLength = segment.MaxMessageLength;
        _frameChecksums = segment.FrameChecksums;
        _frameHeaderLength = _frameChecksums ? FrameDescriptor.ChecksummedHeaderLength : FrameDescriptor.HeaderLength;
        _waitPolicy = new WaitPolicy(options);
        _dataSite = new FutexSite(
            _memory.Int32At(OneToOneRingDescriptor.DataSignalOffset),
            _memory.Int32At(OneToOneRingDescriptor.ReaderSleepersOffset),
            _memory.Int64At(OneToOneRingDescriptor.ReaderSleepsOffset),
            _memory.Int64At(OneToOneRingDescriptor.ReaderWakeupsOffset));
        _spaceSite = new FutexSite(
            _memory.Int32At(OneToOneRingDescriptor.SpaceSignalOffset),
            _memory.Int32At(OneToOneRingDescriptor.WriterSleepersOffset),
            _memory.Int64At(OneToOneRingDescriptor.WriterSleepsOffset),
            _memory.Int64At(OneToOneRingDescriptor.WriterWakeupsOffset));
        _metrics = RingMetrics.Register(segment);
    }

    /// <summary>The segment's name.</summary>
    public string Name => _segment.Name;

    /// <summary>The segment's file.</summary>
    public string Path => _segment.Path;

    /// <summary>Bytes in the data region (a power of two).</summary>
    public long Capacity => _capacity;

    /// <summary>Largest payload a message may have; longer messages are refused, never truncated.</summary>
    public int MaxMessageLength => _maxMessageLength;

    /// <summary>True if every message frame carries a CRC-32C that the reader verifies (<see cref="RingOptions.FrameChecksums"/>, as the segment records it).</summary>
    public bool FrameChecksums => _frameChecksums;

    /// <summary>Pid of the process that created the segment.</summary>
    public int CreatorProcessId => _segment.CreatorProcessId;

    /// <summary>When the segment was created.</summary>
    public DateTimeOffset CreatedAt => _segment.CreatedAt;

    /// <summary>True once the writer has completed the ring (messages may still be waiting to be read).</summary>
    public bool IsWriterCompleted
    {
        get
        {
            // Checked first: after dispose the segment is unmapped, and reading it would crash the process.
            ThrowIfDisposed();
            return _memory.ReadInt32Acquire(OneToOneRingDescriptor.CompletedOffset) != 0;
        }
    }

    /// <summary>
    /// Creates the ring's segment (exclusive: fails if the name exists). A name without '/' lives in
    /// <see cref="RingOptions.Directory"/>; a name starting with '/' is a full path.
    /// </summary>
    public static OneToOneRing Create(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new OneToOneRing(Segment.Create(name, RingKind.OneToOne, options), options);
    }

    /// <summary>Opens an existing ring, validating its header; waits up to <see cref="RingOptions.OpenTimeout"/> for one being created.</summary>
    public static OneToOneRing Open(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new OneToOneRing(Segment.Open(name, RingKind.OneToOne, options), options);
    }

    /// <summary>Creates the ring, or opens it if it exists; an existing ring must have the capacity and maximum message length asked for.</summary>
    public static OneToOneRing CreateOrOpen(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return new OneToOneRing(Segment.CreateOrOpen(name, RingKind.OneToOne, options), options);
    }

    /// <summary>A snapshot of the ring's positions and counters, read from the segment.</summary>
    public OneToOneRingStatistics GetStatistics()
    {
        ThrowIfDisposed();
        SharedMemory m = _memory;
        return new OneToOneRingStatistics(
            Head: m.ReadInt64Acquire(OneToOneRingDescriptor.HeadOffset),
            Tail: m.ReadInt64Acquire(OneToOneRingDescriptor.TailOffset),
            MessagesWritten: m.ReadInt64Acquire(OneToOneRingDescriptor.MessagesWrittenOffset),
            MessagesRead: m.ReadInt64Acquire(OneToOneRingDescriptor.MessagesReadOffset),
            FullStalls: m.ReadInt64Acquire(OneToOneRingDescriptor.FullStallsOffset),
            ReaderWakeups: m.ReadInt64Acquire(OneToOneRingDescriptor.ReaderWakeupsOffset),
            WriterWakeups: m.ReadInt64Acquire(OneToOneRingDescriptor.WriterWakeupsOffset),
            ReaderSleeps: m.ReadInt64Acquire(OneToOneRingDescriptor.ReaderSleepsOffset),
            WriterSleeps: m.ReadInt64Acquire(OneToOneRingDescriptor.WriterSleepsOffset),
            TornClaims: m.ReadInt64Acquire(OneToOneRingDescriptor.ReaderTornClaimsOffset) + m.ReadInt64Acquire(OneToOneRingDescriptor.WriterTornClaimsOffset),
            WriterProcessId: m.ReadInt32Acquire(OneToOneRingDescriptor.WriterPidOffset),
            ReaderProcessId: m.ReadInt32Acquire(OneToOneRingDescriptor.ReaderPidOffset),
            IsWriterCompleted: m.ReadInt32Acquire(OneToOneRingDescriptor.CompletedOffset) != 0);
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
        _confirmWaiter?.Stop(TimeSpan.FromSeconds(5));
        if (_isWriter)
        {
            Detach(OneToOneRingDescriptor.WriterPidOffset);
        }

        if (_isReader)
        {
            Detach(OneToOneRingDescriptor.ReaderPidOffset);
        }

        // The fast paths test only these flags: cleared, the next call goes through Attach, which throws.
        _isWriter = false;
        _isReader = false;
        _metrics.Dispose();

        // A thread that is still inside after 10 s keeps the mapping alive: leak it rather than crash.
        if (idle)
        {
            _segment.Dispose();
        }
    }

    private void Detach(int pidOffset) =>
        _memory.CompareExchangeInt32(pidOffset, 0, ProcessLiveness.CurrentProcessId);

    /// <summary>
    /// Takes a role (writer or reader) for this process: succeeds if the slot is free or held by a dead process, and
    /// refuses a live holder. Returns true if it took over from a dead process.
    /// </summary>
    private bool Attach(int pidOffset, int startTimeOffset, string role)
    {
        ThrowIfDisposed();
        int me = ProcessLiveness.CurrentProcessId;
        long myStart = ProcessLiveness.CurrentStartTime;
        while (true)
        {
            int holder = _memory.ReadInt32Acquire(pidOffset);
            long holderStart = _memory.ReadInt64Acquire(startTimeOffset);
            if (holder != 0)
            {
                if (holder == me && holderStart == myStart)
                {
                    throw new InvalidOperationException($"Ring '{Name}' already has a {role} in this process (pid {me}): one {role} object per ring.");
                }

                if (ProcessLiveness.IsAlive(holder, holderStart))
                {
                    throw new InvalidOperationException($"Ring '{Name}' already has a {role}: process {holder} is alive. A one-to-one ring takes one {role} at a time.");
                }
            }

            // Start time first, so that a peer never pairs our pid with a stale start time and takes us for dead.
            _memory.WriteInt64Release(startTimeOffset, myStart);
            if (_memory.CompareExchangeInt32(pidOffset, me, holder) == holder)
            {
                _memory.WriteInt64Release(startTimeOffset, myStart);
                return holder != 0;
            }
        }
    }

    /// <summary>The underlying segment (tests and tools inspect it).</summary>
    internal Segment Segment => _segment;

    private void ThrowIfDisposed()
    {
        if (_gate.IsClosed)
        {
            ThrowHelper.ThrowObjectDisposed(Name);
        }
    }

    /// <summary>Validates a position pair read from shared memory; everything that indexes the data region passes here.</summary>
    private void CheckPositions(long head, long tail, string source)
    {
        if (tail - head < 0 || tail - head > _capacity || ((head | tail) & (FrameDescriptor.Alignment - 1)) != 0)
        {
            ThrowHelper.ThrowCorrupted(Name, $"{source} gives head {head} and tail {tail}; the rule is 0 <= tail - head <= capacity {_capacity}, both multiples of {FrameDescriptor.Alignment}");
        }
    }

    /// <summary>
    /// Turns a dead writer's claim into padding with one 64-bit compare-and-swap of its whole header (length in the low
    /// half, type in the high half; frames are 8-aligned): from exactly the claim that was read (negative length, its
    /// type) to padding of the same extent. So when the reader and a writer taking over repair the same claim at once,
    /// one of them does it and counts it; and a header that changed meanwhile (a live writer's new claim there) is left
    /// alone rather than given the padding type. True if this call did it.
    /// </summary>
    private static bool TryTurnClaimIntoPadding(long* header, long claim)
    {
        long padding = ((long)FrameDescriptor.PaddingType << 32) | (uint)FrameDescriptor.Align(-(int)claim);
        return Interlocked.CompareExchange(ref *header, padding, claim) == claim;
    }

    /// <summary>Reports a frame header that breaks a frame rule, naming its position and fields.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadFrame(long position, int frameLength, int type) =>
        ThrowHelper.ThrowCorrupted(Name,
            $"the frame at position {position} has length {frameLength} and type {type}; a frame must be at least {FrameDescriptor.HeaderLength} bytes" +
            (_frameChecksums ? $" ({_frameHeaderLength} for a message, with frame checksums), " : ", ") +
            $"carry at most {_maxMessageLength} payload bytes, have type >= -1 and end before the data region's end");
}
