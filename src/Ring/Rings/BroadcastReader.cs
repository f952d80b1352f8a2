using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ring.Layout;

namespace Ring;

/// <summary>
/// One reader of a broadcast ring (<see cref="BroadcastRing"/>): it sees every message the writer commits after the
/// point it joined. Opening registers it in the segment's reader table (pid and start time, up to 64 readers); disposing
/// unregisters it.
/// </summary>
/// <remarks>
/// <para>
/// Gated ring: the writer never overwrites a frame this reader has not read, so reads hand out the ring's bytes as they
/// are (the batch read is zero copy). Lossy ring: the writer may overwrite a frame while this reader copies it, so every
/// frame is copied first and then validated against the writer's <c>oldest</c> position; a frame that fails is thrown
/// away, and the reader, lapped, resumes at the oldest intact frame. <see cref="MessagesLost"/> then grows by exactly the
/// number of messages it missed (each frame carries its message's sequence number), and <see cref="LastSequence"/> says
/// which message the last read returned. The batch read copies each frame into a buffer of this reader's before it
/// validates it and calls the handler, so a handler never sees a torn payload.
/// </para>
/// <para>
/// An object is not thread-safe: one thread reads at a time. A process may hold several readers of one ring.
/// </para>
/// </remarks>
public sealed unsafe partial class BroadcastReader : IMessageReader
{
    private const int Header = BroadcastFrameDescriptor.HeaderLength;

    private readonly BroadcastCore _core;
    private readonly SharedMemory _memory;
    private readonly byte* _data;
    private readonly long _capacity;
    private readonly long _mask;
    private readonly int _maxMessageLength;
    private readonly bool _lossy;
    private readonly WaitPolicy _waitPolicy;
    private readonly FutexSite _spaceSite;
    private readonly int _slot;
    private readonly long _slotOffset;
    private readonly DisposeGate _gate = new();
    private readonly IDisposable _metrics;

    // This reader's state; its slot in the segment holds the published copy.
    private long _position;
    private long _sequence;
    private long _messagesRead;
    private long _messagesLost;
    private long _laps;
    private bool _attached;
    private byte[]? _scratch;

    private BroadcastReader(Segment segment, RingOptions options, BroadcastStart start)
    {
        _core = new BroadcastCore(segment);
        _memory = _core.Memory;
        _data = _core.Data;
        _capacity = _core.Capacity;
        _mask = _core.Mask;
        _maxMessageLength = _core.MaxMessageLength;
        _lossy = _core.Mode == BroadcastMode.Lossy;
        _waitPolicy = new WaitPolicy(options);
        _spaceSite = _core.SpaceSite;

        // A slot that is free, or held by a dead reader (its position gates the writer until the join below replaces it).
        _slot = _core.Readers.TryAttach(ProcessLiveness.CurrentIdentity, reclaimDead: true);
        if (_slot < 0)
        {
            throw new InvalidOperationException(
                $"Broadcast ring '{segment.Name}' has no free reader slot: all {BroadcastRingDescriptor.MaxReaders} are held by live processes.");
        }

        _slotOffset = BroadcastCore.ReaderSlotOffset(_slot);
        try
        {
            RaiseHighWater();
            Join(start);
        }
        catch
        {
            Unregister();
            throw;
        }

        _memory.WriteInt64Plain(_slotOffset + BroadcastRingDescriptor.ReaderSequenceOffset, _sequence);
        _memory.WriteInt64Plain(_slotOffset + BroadcastRingDescriptor.ReaderMessagesReadOffset, 0);
        _memory.WriteInt64Plain(_slotOffset + BroadcastRingDescriptor.ReaderMessagesLostOffset, 0);
        _memory.WriteInt64Plain(_slotOffset + BroadcastRingDescriptor.ReaderLapsOffset, 0);
        _memory.WriteInt64Release(_slotOffset + BroadcastRingDescriptor.ReaderPositionOffset, _position);
        _attached = true;
        _metrics = RingMetrics.Register(segment);
    }

    /// <summary>The segment's name.</summary>
    public string Name => _core.Name;

    /// <summary>The segment's file.</summary>
    public string Path => _core.Segment.Path;

    /// <summary>Gated or lossy, as the ring was created.</summary>
    public BroadcastMode Mode => _core.Mode;

    /// <summary>Bytes in the data region.</summary>
    public long Capacity => _capacity;

    /// <summary>The longest message a frame can hold: a destination this large always suffices.</summary>
    public int MaxMessageLength => _maxMessageLength;

    /// <summary>This reader's slot in the reader table (0 to 63): its id in <see cref="BroadcastRingStatistics.Readers"/>.</summary>
    public int Id => _slot;

    /// <summary>Byte position of the next frame this reader reads.</summary>
    public long Position => _position;

    /// <summary>The sequence number (counted from 0 at the ring's creation) of the next message this reader reads.</summary>
    public long NextSequence => _sequence;

    /// <summary>The sequence number of the message the last successful read returned (-1 before the first).</summary>
    public long LastSequence { get; private set; } = -1;

    /// <summary>Messages read since this reader joined.</summary>
    public long MessagesRead => _messagesRead;

    /// <summary>
    /// Messages the writer committed after this reader joined that were overwritten before it read them (lossy mode; always
    /// 0 in gated mode). Exact: <see cref="MessagesRead"/> + <see cref="MessagesLost"/> is the number of messages committed
    /// from the join to the last one read.
    /// </summary>
    public long MessagesLost => _messagesLost;

    /// <summary>Times this reader found itself lapped by the writer and resumed at the oldest intact message (lossy mode).</summary>
    public long LapCount => _laps;

    /// <summary>True once the writer has completed the ring (messages may still be waiting to be read).</summary>
    public bool IsWriterCompleted
    {
        get
        {
            // Checked first: after dispose the segment is unmapped, and reading it would crash the process.
            ThrowIfDisposed();
            return _core.IsCompleted;
        }
    }

    /// <summary>
    /// Opens a broadcast ring and joins it as a reader at <paramref name="start"/>, validating the header; waits up to
    /// <see cref="RingOptions.OpenTimeout"/> for a ring being created.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The start is not Oldest or Newest.</exception>
    /// <exception cref="InvalidOperationException">All 64 reader slots are held by live processes.</exception>
    public static BroadcastReader Open(string name, BroadcastStart start = BroadcastStart.Oldest, RingOptions? options = null)
    {
        if (start is not (BroadcastStart.Oldest or BroadcastStart.Newest))
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"Broadcast start {(int)start} is invalid: it must be Oldest (0) or Newest (1).");
        }

        options ??= new RingOptions();
        Segment segment = Segment.Open(name, RingKind.Broadcast, options);
        try
        {
            return new BroadcastReader(segment, options, start);
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }

    /// <summary>A snapshot of the ring's positions and counters and of every attached reader, read from the segment.</summary>
    public BroadcastRingStatistics GetStatistics()
    {
        ThrowIfDisposed();
        return _core.ReadStatistics();
    }

    /// <summary>
    /// Unregisters this reader (it stops gating the writer at once) and unmaps the segment. Pending asynchronous waits end
    /// with <see cref="ObjectDisposedException"/>; do not dispose while another thread is inside a synchronous operation
    /// on this object.
    /// </summary>
    public void Dispose()
    {
        if (_gate.IsClosed)
        {
            return;
        }

        bool idle = _gate.Close(() => _core.DataSite.Interrupt());
        _readWaiter?.Stop(TimeSpan.FromSeconds(5));
        if (_attached)
        {
            _attached = false;
            Unregister();
        }

        _metrics.Dispose();
        if (idle)
        {
            _core.Segment.Dispose();
        }
    }

    /// <summary>The underlying segment (tests and tools inspect it).</summary>
    internal Segment Segment => _core.Segment;

    /// <summary>Stops gating, gives the slot back, and wakes a writer that may have waited for this reader.</summary>
    private void Unregister()
    {
        _memory.WriteInt64Release(_slotOffset + BroadcastRingDescriptor.ReaderPositionOffset, BroadcastRingDescriptor.NotGating);
        _core.Readers.Detach(_slot, ProcessLiveness.CurrentIdentity);
        _spaceSite.Wake();
    }

    /// <summary>Raises the high-water mark past this slot, so that the writer's scans of the table include it.</summary>
    private void RaiseHighWater()
    {
        int needed = _slot + 1;
        int mark = _core.ReaderHighWater();
        while (mark < needed)
        {
            int seen = _memory.CompareExchangeInt32(BroadcastRingDescriptor.ReaderHighWaterOffset, needed, mark);
            if (seen == mark)
            {
                break;
            }

            mark = seen;
        }
    }

    /// <summary>
    /// Picks the starting position and the sequence number of the message there.
    /// <para>
    /// Gated: store the position, full fence, load <c>oldest</c>; if the writer has released past it, move up and try
    /// again. The writer's half (store <c>oldest</c>, full fence, read the table again) makes this a Dekker pair: either
    /// the writer sees the position, or this reader sees the release and moves. Once the check passes, the writer does not
    /// overwrite the position without seeing it.
    /// </para>
    /// <para>
    /// Lossy: read the sequence at the position, then <c>oldest</c> (acquire orders them); if the writer had released
    /// the position, the sequence may belong to a newer lap: try again.
    /// </para>
    /// </summary>
    private void Join(BroadcastStart start)
    {
        long* slotPosition = _memory.Int64At(_slotOffset + BroadcastRingDescriptor.ReaderPositionOffset);
        while (true)
        {
            (long oldest, long latest, _) = _core.ReadPublishedPositions();
            long position = start == BroadcastStart.Newest ? Math.Max(oldest, latest) : oldest;
            byte* header = _data + (position & _mask);
            if (_lossy)
            {
                long sequence = Volatile.Read(ref *(long*)(header + BroadcastFrameDescriptor.SequenceOffset));
                if (_memory.ReadInt64Acquire(BroadcastRingDescriptor.OldestOffset) <= position)
                {
                    _position = position;
                    _sequence = sequence;
                    return;
                }
            }
            else
            {
                Interlocked.Exchange(ref *slotPosition, position);
                if (_memory.ReadInt64Acquire(BroadcastRingDescriptor.OldestOffset) <= position)
                {
                    // Kept from here on: the header (committed, a claim, padding or the empty header) names the next message.
                    _position = position;
                    _sequence = Volatile.Read(ref *(long*)(header + BroadcastFrameDescriptor.SequenceOffset));
                    return;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfNotAttached()
    {
        if (!_attached)
        {
            ThrowHelper.ThrowObjectDisposed(Name);
        }
    }

    private void ThrowIfDisposed()
    {
        if (_gate.IsClosed)
        {
            ThrowHelper.ThrowObjectDisposed(Name);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadSequence(long position, long sequence) =>
        ThrowHelper.ThrowCorrupted(Name,
            $"the frame at position {position} carries sequence {sequence}, but reader {_slot} expects {(_lossy ? "at least " : string.Empty)}{_sequence}");
}
