using System;
using System.Collections.Generic;
using Ring.Layout;

namespace Ring.Channels;

/// <summary>
/// A mailbox with K lanes (1 to <see cref="LaneMailboxDescriptor.MaxLanes"/>) from any number of sender processes to
/// one receiver process: a receive takes the next message of the most urgent lane that holds one, or the next message
/// of a given lane (receive-by-type, as SysV <c>msgrcv</c> does). Lane 0 is the most urgent.
/// </summary>
/// <remarks>
/// <para>
/// Each lane is a <see cref="ManyToOneRing"/> in its own segment (NAME.lane0, NAME.lane1, ...), so a full lane blocks
/// only its own senders and each lane keeps the order of each sender's messages. Every message also carries the
/// ring's 32-bit type. One doorbell, the futex of an event segment (NAME.bell), lets the receiver sleep on all lanes
/// at once: a sender publishes its frame in the lane, fences, and rings the bell only if the receiver sleeps, so a send
/// makes no system call while the receiver is awake (<see cref="LaneMailboxDescriptor"/>, docs/channels/lanes.md).
/// </para>
/// <para>
/// Mapping to SysV message queues: lane L plays the message type L + 1. <c>msgtyp == 0</c> is
/// <see cref="TryReceive(Span{byte}, out LaneMessage)"/> (here the most urgent lane first rather than arrival order
/// across types), <c>msgtyp &gt; 0</c> is <see cref="TryReceive(int, Span{byte}, out LaneMessage)"/> (the head of that
/// lane), and <c>msgtyp &lt; 0</c> is <see cref="TryReceiveUpTo"/> (the most urgent message of lanes 0 to L).
/// </para>
/// <para>
/// Starvation: by default priority is strict, and a steady flow on an urgent lane starves the less urgent ones; with
/// <see cref="LaneOptions.StarvationLimit"/> N &gt; 0, after N consecutive messages taken by priority while a less
/// urgent lane held one, the next receive serves the lane that has waited longest.
/// </para>
/// <para>
/// One object serves either side: the first send (or <see cref="Complete"/>) attaches it as a sender on every lane,
/// the first receive as the receiver of every lane (one live receiver at a time). An object is not thread-safe: one
/// thread sends and one thread receives at a time; use one object per sending thread.
/// </para>
/// </remarks>
public sealed partial class LaneMailbox : IDisposable
{
    private readonly ManyToOneRing[] _lanes;
    private readonly SharedEvent _bell;
    private readonly FutexSite _bellSite;
    private readonly SharedMemory _bellMemory;
    private readonly WaitPolicy _policy;
    private readonly int _starvationLimit;
    private readonly DisposeGate _gate = new();
    private string? _description;
    private bool _isSender;
    private DedicatedAsyncWaiter? _receiveWaiter;

    private LaneMailbox(string name, ManyToOneRing[] lanes, SharedEvent bell, LaneOptions options)
    {
        Name = name;
        _lanes = lanes;
        _bell = bell;
        _bellSite = bell.Core.Site;
        _bellMemory = bell.Core.Memory;
        _policy = new WaitPolicy(options.Ring);
        _starvationLimit = options.StarvationLimit;
        _waitingSince = new long[lanes.Length];
        Array.Fill(_waitingSince, -1);
    }

    /// <summary>The mailbox's name: its segments are this name with <see cref="LaneMailboxDescriptor.LaneSuffix"/> and <see cref="LaneMailboxDescriptor.BellSuffix"/> added.</summary>
    public string Name { get; }

    /// <summary>The number of lanes, K: lanes are numbered 0 (most urgent) to K - 1.</summary>
    public int LaneCount => _lanes.Length;

    /// <summary>The longest message, in bytes, that the smallest lane takes.</summary>
    public int MaxMessageLength
    {
        get
        {
            int max = int.MaxValue;
            foreach (ManyToOneRing lane in _lanes)
            {
                max = Math.Min(max, lane.MaxMessageLength);
            }

            return max;
        }
    }

    /// <summary>The starvation limit this object's receives follow (0: strict priority); see <see cref="LaneOptions.StarvationLimit"/>.</summary>
    public int StarvationLimit => _starvationLimit;

    /// <summary>True once a sender completed the mailbox (messages sent before may still be waiting to be received).</summary>
    public bool IsCompleted
    {
        get
        {
            ThrowIfDisposed();
            foreach (ManyToOneRing lane in _lanes)
            {
                if (!lane.IsWriterCompleted)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Creates the mailbox's segments (exclusive: fails if any exists; whatever was made is removed again): the
    /// <paramref name="lanes"/> lane rings, each with the capacity and maximum message length of
    /// <see cref="LaneOptions.Ring"/>, then the doorbell.
    /// </summary>
    /// <param name="name">The mailbox's name (a segment name or a full path, as for the rings).</param>
    /// <param name="lanes">The number of lanes, 1 to <see cref="LaneMailboxDescriptor.MaxLanes"/>.</param>
    /// <param name="options">Ring options for every lane and the receiver's starvation policy.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lanes"/> is outside 1 to 16.</exception>
    /// <exception cref="ArgumentException">The name breaks a naming rule.</exception>
    public static LaneMailbox Create(string name, int lanes, LaneOptions? options = null)
    {
        options ??= new LaneOptions();
        CheckName(name, options.Ring);
        LaneMailboxDescriptor.CheckLaneCount(lanes);
        var rings = new List<ManyToOneRing>(lanes);
        bool success = false;
        try
        {
            for (int lane = 0; lane < lanes; lane++)
            {
                rings.Add(ManyToOneRing.Create(LaneMailboxDescriptor.LaneName(name, lane), options.Ring));
            }

            // The doorbell last: an opener that finds it finds every lane.
            SharedEvent bell = SharedEvent.CreateWithExtension(LaneMailboxDescriptor.BellName(name), options.Ring, m =>
            {
                m.WriteInt32Plain(LaneMailboxDescriptor.MagicOffset, LaneMailboxDescriptor.Magic);
                m.WriteInt32Plain(LaneMailboxDescriptor.VersionOffset, LaneMailboxDescriptor.Version);
                m.WriteInt32Plain(LaneMailboxDescriptor.LaneCountOffset, lanes);
            });
            success = true;
            return new LaneMailbox(name, rings.ToArray(), bell, options);
        }
        finally
        {
            if (!success)
            {
                for (int lane = 0; lane < rings.Count; lane++)
                {
                    rings[lane].Dispose();
                    RingSegment.Remove(LaneMailboxDescriptor.LaneName(name, lane), options.Ring.Directory);
                }
            }
        }
    }

    /// <summary>
    /// Opens an existing mailbox: the doorbell first (waiting up to <see cref="RingOptions.OpenTimeout"/> for one being
    /// made), whose header gives the lane count, then every lane.
    /// </summary>
    /// <exception cref="RingFormatException">The doorbell does not describe a lane mailbox of this version.</exception>
    public static LaneMailbox Open(string name, LaneOptions? options = null)
    {
        options ??= new LaneOptions();
        CheckName(name, options.Ring);
        SharedEvent bell = SharedEvent.Open(LaneMailboxDescriptor.BellName(name), options.Ring);
        var rings = new List<ManyToOneRing>();
        bool success = false;
        try
        {
            SharedMemory m = bell.Core.Memory;
            int magic = m.ReadInt32Acquire(LaneMailboxDescriptor.MagicOffset);
            int version = m.ReadInt32Acquire(LaneMailboxDescriptor.VersionOffset);
            int lanes = m.ReadInt32Acquire(LaneMailboxDescriptor.LaneCountOffset);
            if (magic != LaneMailboxDescriptor.Magic || version != LaneMailboxDescriptor.Version || lanes is < 1 or > LaneMailboxDescriptor.MaxLanes)
            {
                throw new RingFormatException(
                    $"Segment '{bell.Name}' is not the doorbell of a lane mailbox: magic 0x{magic:X8}, version {version}, {lanes} lanes; " +
                    $"the rule is magic 0x{LaneMailboxDescriptor.Magic:X8}, version {LaneMailboxDescriptor.Version}, 1 to {LaneMailboxDescriptor.MaxLanes} lanes.");
            }

            for (int lane = 0; lane < lanes; lane++)
            {
                rings.Add(ManyToOneRing.Open(LaneMailboxDescriptor.LaneName(name, lane), options.Ring));
            }

            success = true;
            return new LaneMailbox(name, rings.ToArray(), bell, options);
        }
        finally
        {
            if (!success)
            {
                rings.ForEach(r => r.Dispose());
                bell.Dispose();
            }
        }
    }

    /// <summary>
    /// Deletes the mailbox's segment files (the doorbell and lanes 0 to 15, whichever exist). Processes that have them
    /// mapped go on working; new opens fail. Returns false if there was no doorbell.
    /// </summary>
    /// <param name="name">The mailbox's name, or a full path.</param>
    /// <param name="directory">Directory of a name that is not a full path; default <c>/dev/shm</c>.</param>
    public static bool Remove(string name, string? directory = null)
    {
        CheckName(name, new RingOptions { Directory = directory ?? RingOptions.DefaultDirectory });
        bool existed = RingSegment.Remove(LaneMailboxDescriptor.BellName(name), directory);
        for (int lane = 0; lane < LaneMailboxDescriptor.MaxLanes; lane++)
        {
            RingSegment.Remove(LaneMailboxDescriptor.LaneName(name, lane), directory);
        }

        return existed;
    }

    /// <summary>A snapshot of the doorbell's counters and of every lane's ring.</summary>
    public LaneMailboxStatistics GetStatistics()
    {
        ThrowIfDisposed();
        var lanes = new ManyToOneRingStatistics[_lanes.Length];
        for (int lane = 0; lane < lanes.Length; lane++)
        {
            lanes[lane] = _lanes[lane].GetStatistics();
        }

        return new LaneMailboxStatistics(
            ReceiverSleeps: _bellMemory.ReadInt64Acquire(SyncDescriptor.SleepsOffset),
            ReceiverWakeups: _bellMemory.ReadInt64Acquire(SyncDescriptor.WakeupsOffset),
            IsReceiverSleeping: _bellMemory.ReadInt32Acquire(SyncDescriptor.SleepersOffset) != 0,
            IsCompleted: IsCompleted,
            Lanes: lanes);
    }

    /// <summary>
    /// Detaches this process from the roles it took on every lane and unmaps the segments (the files stay: see
    /// <see cref="Remove"/>). A pending asynchronous receive ends with <see cref="ObjectDisposedException"/>, and so
    /// does a blocking receive on another thread.
    /// </summary>
    public void Dispose()
    {
        if (_gate.IsClosed)
        {
            return;
        }

        bool idle = _gate.Close(_bellSite.Interrupt);
        _receiveWaiter?.Stop(TimeSpan.FromSeconds(5));

        // A thread still inside a wait after 10 s reads the lanes and the doorbell: leave them mapped (and the roles
        // attached until this process exits) rather than unmap them under it.
        if (!idle)
        {
            return;
        }

        foreach (ManyToOneRing lane in _lanes)
        {
            lane.Dispose();
        }

        _bell.Dispose();
    }

    private static void CheckName(string name, RingOptions options)
    {
        ArgumentNullException.ThrowIfNull(name);

        // The mailbox's own name, so that a bad one is reported as given rather than with a suffix.
        SegmentName.ToPath(name, options.Directory);
    }

    private void ThrowIfDisposed()
    {
        if (_gate.IsClosed)
        {
            throw new ObjectDisposedException($"LaneMailbox '{Name}'");
        }
    }

    private void EnterBlocking() => _gate.Enter(_description ??= $"LaneMailbox '{Name}'");

    private void ExitBlocking() => _gate.Exit();

    private void CheckLane(int lane)
    {
        if ((uint)lane >= (uint)_lanes.Length)
        {
            ThrowLaneOutOfRange(lane);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowLaneOutOfRange(int lane) =>
        throw new ArgumentOutOfRangeException(nameof(lane), lane, $"Lane {lane} does not exist: mailbox '{Name}' has lanes 0 to {_lanes.Length - 1}.");
}
