using System;
using System.Diagnostics;
using Ring.Layout;

namespace Ring;

/// <summary>
/// The writer side of a broadcast ring: one writer process, up to 64 reader processes (<see cref="BroadcastReader"/>),
/// each of which sees every message, in a shared-memory segment (<see cref="BroadcastRingDescriptor"/>, frames per
/// <see cref="BroadcastFrameDescriptor"/>). Gated or lossy, chosen at creation (<see cref="BroadcastMode"/>).
/// </summary>
/// <remarks>
/// <para>
/// Design. The writer publishes <c>oldest</c>, the position below which it may overwrite, before it overwrites a byte.
/// In lossy mode it advances <c>oldest</c> frame by frame just past what the next frame needs (it knows the frames it
/// wrote, so it walks their headers), and a reader validates each frame it copied by loading <c>oldest</c> after the
/// copy (the classic copy-then-validate of Aeron's broadcast receiver, at frame granularity, so that a lapped reader
/// can resume at a known frame boundary). In gated mode <c>oldest</c> is the slowest reader's position from the last
/// time the writer looked at the reader table; the writer looks again only when the next frame would pass it, so the
/// fast path reads nothing the readers write. A joining reader stores its position, fences, and checks that
/// <c>oldest</c> has not passed it; the writer stores <c>oldest</c>, fences, and looks at the table again: one of the
/// two sees the other (Dekker), so no frame is overwritten under a reader that joined.
/// </para>
/// <para>
/// The first write operation attaches this process as the writer (pid and start time in the segment); a live writer is
/// refused, a dead one is taken over, and its uncommitted claim is turned into padding (counted). An object is not
/// thread-safe: one thread writes at a time.
/// </para>
/// </remarks>
public sealed unsafe partial class BroadcastRing : IMessageWriter
{
    private readonly BroadcastCore _core;
    private readonly SharedMemory _memory;
    private readonly byte* _data;
    private readonly long _capacity;
    private readonly long _mask;
    private readonly int _maxMessageLength;
    private readonly bool _lossy;
    private readonly WaitPolicy _waitPolicy;
    private readonly long _livenessTicks;
    private readonly DisposeGate _gate = new();
    private readonly IDisposable _metrics;

    // Writer state: this process's copy; the segment holds the published values.
    private long _tail;
    private long _sequence;
    private long _oldest;
    private long _walkFloor;
    private long _claimPosition;
    private long _claimIndex;
    private int _claimFrameLength;
    private long _nextSweep;
    private bool _isWriter;
    private bool _writerCompleted;

    private BroadcastRing(Segment segment, RingOptions options)
    {
        _core = new BroadcastCore(segment);
        _memory = _core.Memory;
        _data = _core.Data;
        _capacity = _core.Capacity;
        _mask = _core.Mask;
        _maxMessageLength = _core.MaxMessageLength;
        _lossy = _core.Mode == BroadcastMode.Lossy;
        _waitPolicy = new WaitPolicy(options);
        _livenessTicks = WaitLoop.ToTicks(options.LivenessCheckInterval);
        _metrics = RingMetrics.Register(segment);
    }

    /// <summary>The segment's name.</summary>
    public string Name => _core.Name;

    /// <summary>The segment's file.</summary>
    public string Path => _core.Segment.Path;

    /// <summary>Gated or lossy, as created.</summary>
    public BroadcastMode Mode => _core.Mode;

    /// <summary>Bytes in the data region (a power of two).</summary>
    public long Capacity => _capacity;

    /// <summary>Largest payload a message may have; longer messages are refused, never truncated.</summary>
    public int MaxMessageLength => _maxMessageLength;

    /// <summary>
    /// The sequence number the next committed message gets (messages are numbered from 0 at creation; readers see it as
    /// <see cref="BroadcastReader.LastSequence"/>). Exact once this object is the writer (after its first write operation,
    /// which recovers what a dead writer left); before that, the count of committed messages the segment shows.
    /// </summary>
    public long NextSequence => _isWriter ? _sequence : _memory.ReadInt64Acquire(BroadcastRingDescriptor.MessagesWrittenOffset);

    /// <summary>True once the writer has completed the ring.</summary>
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
    /// Creates a broadcast ring's segment (exclusive: fails if the name exists). The object becomes the writer at its
    /// first write operation. A name without '/' lives in <see cref="RingOptions.Directory"/>; a name starting with '/' is
    /// a full path. The maximum message length is at most capacity / 2 - 16 (frames have a 16-byte header).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The mode is not Gated or Lossy, or the maximum message length is too large.</exception>
    public static BroadcastRing Create(string name, BroadcastMode mode, RingOptions? options = null)
    {
        BroadcastCore.CheckMode(mode);
        options ??= new RingOptions();
        BroadcastCore.CheckMaxMessageLength(options);
        return Wrap(Segment.Create(name, RingKind.Broadcast, options, m => BroadcastCore.Initialize(m, mode)), options);
    }

    /// <summary>
    /// Opens an existing broadcast ring on its writer side (its mode is the one it was created with), validating its
    /// header; waits up to <see cref="RingOptions.OpenTimeout"/> for one being created. Use it to take over from a writer
    /// that died, or to read the ring's statistics.
    /// </summary>
    public static BroadcastRing Open(string name, RingOptions? options = null)
    {
        options ??= new RingOptions();
        return Wrap(Segment.Open(name, RingKind.Broadcast, options), options);
    }

    /// <summary>
    /// Creates the ring, or opens it if it exists; an existing ring must have the mode, capacity and maximum message
    /// length asked for (<see cref="RingFormatException"/> naming both).
    /// </summary>
    public static BroadcastRing CreateOrOpen(string name, BroadcastMode mode, RingOptions? options = null)
    {
        BroadcastCore.CheckMode(mode);
        options ??= new RingOptions();
        BroadcastCore.CheckMaxMessageLength(options);
        BroadcastRing ring = Wrap(Segment.CreateOrOpen(name, RingKind.Broadcast, options, m => BroadcastCore.Initialize(m, mode)), options);
        if (ring.Mode != mode)
        {
            BroadcastMode existing = ring.Mode;
            ring.Dispose();
            throw new RingFormatException($"Broadcast ring '{name}' exists in mode {existing}, but mode {mode} was asked for.");
        }

        return ring;
    }

    private static BroadcastRing Wrap(Segment segment, RingOptions options)
    {
        try
        {
            return new BroadcastRing(segment, options);
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
    /// Aborts a pending claim (readers skip it), detaches this process from the writer role and unmaps the segment (the
    /// file stays: see <see cref="RingSegment.Remove"/>). A writer that disposes without <see cref="Complete"/> leaves the
    /// ring open for a later writer. Pending asynchronous waits end with <see cref="ObjectDisposedException"/>; do not
    /// dispose while another thread is inside a synchronous operation on this object.
    /// </summary>
    public void Dispose()
    {
        if (_gate.IsClosed)
        {
            return;
        }

        bool idle = _gate.Close(() => _core.SpaceSite.Interrupt());
        _writeWaiter?.Stop(TimeSpan.FromSeconds(5));
        if (_isWriter)
        {
            if (_claimFrameLength != 0)
            {
                Abort();
            }

            _core.Writers.Detach(0, ProcessLiveness.CurrentIdentity);
            _isWriter = false;
        }

        _metrics.Dispose();
        if (idle)
        {
            _core.Segment.Dispose();
        }
    }

    /// <summary>The underlying segment (tests and tools inspect it).</summary>
    internal Segment Segment => _core.Segment;

    private void ThrowIfDisposed()
    {
        if (_gate.IsClosed)
        {
            ThrowHelper.ThrowObjectDisposed(Name);
        }
    }

    /// <summary>True when a sweep for dead readers is due (at most one per liveness interval on the non-blocking path).</summary>
    private bool SweepDue()
    {
        long now = Stopwatch.GetTimestamp();
        if (now < _nextSweep)
        {
            return false;
        }

        _nextSweep = now + _livenessTicks;
        return true;
    }
}
