using System;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Channels;

/// <summary>
/// Direct naming: a per-process inbox, addressed by process id. Each process may create one inbox, a
/// <see cref="ManyToOneRing"/> in the segment <c>ring-inbox-PID</c>; any process sends to it with
/// <see cref="Connect"/>(pid). Named mailboxes (indirect naming) are plain rings opened by name.
/// </summary>
/// <remarks>
/// The owner attaches as the inbox's reader when it creates it, so a sender can tell whether the process behind a pid
/// is the one that made the inbox: <see cref="Connect"/> refuses an inbox whose reader is not a live process of that
/// pid (a dead process, or a pid reused since), and a sender waiting for room sees the owner's death as
/// <see cref="RingPeerDeadException"/>. An inbox left by a dead process with this process's pid is replaced when this
/// process creates its own. <see cref="Dispose"/> removes the segment.
/// </remarks>
public sealed class Inbox : IDisposable
{
    /// <summary>The segment name of a process's inbox is this prefix followed by the pid in decimal.</summary>
    public const string NamePrefix = "ring-inbox-";

    private static int s_created;
    private readonly string? _directory;
    private bool _disposed;

    private Inbox(ManyToOneRing ring, string? directory)
    {
        Ring = ring;
        _directory = directory;
    }

    /// <summary>The ring behind the inbox (for batch reads in place, statistics; read it only from the owning process).</summary>
    public ManyToOneRing Ring { get; }

    /// <summary>The owning process's id (this process).</summary>
    public int ProcessId => Environment.ProcessId;

    /// <summary>The inbox's segment name.</summary>
    public string Name => Ring.Name;

    /// <summary>The segment name of the inbox of process <paramref name="processId"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The pid is not positive.</exception>
    public static string NameOf(int processId)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(processId);
        return NamePrefix + processId.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Creates this process's inbox (one per process). An inbox file left under this pid by a process that no longer
    /// runs is removed first.
    /// </summary>
    /// <exception cref="InvalidOperationException">This process already has an inbox.</exception>
    public static Inbox Create(RingOptions? options = null)
    {
        options ??= new RingOptions();
        if (Interlocked.Exchange(ref s_created, 1) != 0)
        {
            throw new InvalidOperationException($"Process {Environment.ProcessId} already has an inbox ('{NameOf(Environment.ProcessId)}'); dispose it before creating another.");
        }

        string name = NameOf(Environment.ProcessId);
        try
        {
            // Pids are unique among live processes and this process has no inbox: a file of this name is a dead one's.
            RingSegment.Remove(name, options.Directory);
            ManyToOneRing ring = ManyToOneRing.Create(name, options);
            try
            {
                ring.EnsureReader(); // now, not at the first read: senders can tell from the start when the owner dies
            }
            catch
            {
                ring.Dispose();
                RingSegment.Remove(name, options.Directory);
                throw;
            }

            return new Inbox(ring, options.Directory);
        }
        catch
        {
            Volatile.Write(ref s_created, 0);
            throw;
        }
    }

    /// <summary>
    /// Opens the inbox of process <paramref name="processId"/> for sending: the returned ring's writing methods
    /// (<see cref="ManyToOneRing.TryWrite(ReadOnlySpan{byte}, int)"/>, the blocking and asynchronous writes,
    /// <see cref="ManyToOneRing.WriteConfirmed"/>) deliver to that process. Dispose it when done.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The pid is not positive.</exception>
    /// <exception cref="RingPeerDeadException">No process with that pid runs, or the inbox belongs to one that no longer does.</exception>
    /// <exception cref="FileNotFoundException">The process runs but has no inbox.</exception>
    public static ManyToOneRing Connect(int processId, RingOptions? options = null)
    {
        string name = NameOf(processId);
        options ??= new RingOptions();
        if (!RingSegment.Exists(name, options.Directory))
        {
            if (!IsRunning(processId))
            {
                throw new RingPeerDeadException($"Process {processId} is not running: it has no inbox.", processId);
            }

            throw new FileNotFoundException($"Process {processId} has no inbox (no segment '{name}'): it has not called Inbox.Create.", name);
        }

        ManyToOneRing ring = ManyToOneRing.Open(name, options);
        if (!ring.HasLiveReader || ring.ReaderProcessId != processId)
        {
            ring.Dispose();
            throw new RingPeerDeadException($"The inbox '{name}' was left by a process {processId} that no longer runs.", processId);
        }

        return ring;
    }

    /// <summary>True if process <paramref name="processId"/> runs and has an inbox.</summary>
    public static bool Exists(int processId, string? directory = null)
    {
        string name = NameOf(processId);
        if (!RingSegment.Exists(name, directory))
        {
            return false;
        }

        try
        {
            using ManyToOneRing ring = ManyToOneRing.Open(name, new RingOptions { Directory = directory ?? RingOptions.DefaultDirectory, OpenTimeout = TimeSpan.Zero });
            return ring.HasLiveReader && ring.ReaderProcessId == processId;
        }
        catch (Exception e) when (e is IOException or RingFormatException or TimeoutException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Receives the next message if there is one; never blocks.</summary>
    /// <exception cref="ArgumentException">The destination is smaller than the message (nothing consumed).</exception>
    public bool TryReceive(Span<byte> destination, out RingMessage message) => Ring.TryRead(destination, out message);

    /// <summary>Receives the next message, waiting up to <paramref name="timeout"/> (see <see cref="ManyToOneRing.Read(Span{byte}, out RingMessage, TimeSpan, CancellationToken)"/>).</summary>
    public ReadStatus Receive(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Ring.Read(destination, out message, timeout, cancellationToken);

    /// <summary>Receives the next message asynchronously.</summary>
    public ValueTask<RingMessage> ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken = default) =>
        Ring.ReadAsync(destination, cancellationToken);

    /// <summary>
    /// Closes the inbox: completes its ring (a sender's next write throws <see cref="InvalidOperationException"/>
    /// saying the ring was completed), unmaps it and removes the segment.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        string name = Ring.Name;
        try
        {
            Ring.Complete();
        }
        catch (InvalidOperationException)
        {
            // No writer entry was free to complete from: senders see the file removed only when they reopen.
        }

        Ring.Dispose();
        RingSegment.Remove(name, _directory);
        Volatile.Write(ref s_created, 0);
    }

    private static bool IsRunning(int processId) => ProcessLiveness.IsAlive(processId, 0);
}
