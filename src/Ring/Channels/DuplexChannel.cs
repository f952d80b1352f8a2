using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Channels;

/// <summary>
/// A two-way link between two processes: a pair of <see cref="OneToOneRing"/>s opened as one object. One process
/// listens on a name (<see cref="Listen"/>), the other connects to it (<see cref="Connect"/>); both send and receive.
/// </summary>
/// <remarks>
/// <para>
/// The listener creates two segments, <c>NAME.up</c> (connector to listener) and <c>NAME.down</c> (listener to
/// connector), and attaches at once as the reader of the first and the writer of the second; the connector attaches
/// as the other two parties. Each side is thus registered (pid and start time) from the moment it holds the channel,
/// so the other side can tell when it dies even before it has sent anything.
/// </para>
/// <para>
/// Completion is per direction: <see cref="Complete"/> ends what this side sends, and the other side's receive returns
/// <see cref="ReadStatus.Completed"/> once it has read everything before it. <see cref="Dispose"/> completes this
/// side's direction first, so closing a channel is seen as an end of stream, not as a death. A side that dies is seen
/// as <see cref="ReadStatus.WriterDied"/> by a receive (after every message it committed) and as
/// <see cref="RingPeerDeadException"/> by a send that waits for room.
/// </para>
/// <para>
/// One channel object is used by one sending thread and one receiving thread at a time (the rings' rule). A second
/// process connecting while a live connector holds the channel is refused; one connecting after the connector died
/// takes its place (messages the dead one left are still read).
/// </para>
/// </remarks>
public sealed class DuplexChannel : IDisposable
{
    /// <summary>Suffix of the segment that carries messages from the connector to the listener.</summary>
    public const string UpSuffix = ".up";

    /// <summary>Suffix of the segment that carries messages from the listener to the connector.</summary>
    public const string DownSuffix = ".down";

    private readonly bool _removeOnDispose;
    private readonly string? _directory;
    private bool _disposed;

    private DuplexChannel(string name, bool isListener, OneToOneRing outgoing, OneToOneRing incoming, bool removeOnDispose, string? directory)
    {
        Name = name;
        IsListener = isListener;
        Outgoing = outgoing;
        Incoming = incoming;
        _removeOnDispose = removeOnDispose;
        _directory = directory;
    }

    /// <summary>The channel's name (its segments are NAME.up and NAME.down).</summary>
    public string Name { get; }

    /// <summary>True on the listening side.</summary>
    public bool IsListener { get; }

    /// <summary>The ring this side writes (for zero-copy claims and confirmation; use it only as a writer).</summary>
    public OneToOneRing Outgoing { get; }

    /// <summary>The ring this side reads (for batch reads in place; use it only as a reader).</summary>
    public OneToOneRing Incoming { get; }

    /// <summary>Largest message this side can send.</summary>
    public int MaxMessageLength => Outgoing.MaxMessageLength;

    /// <summary>True if the other side has attached and its process is alive (reads /proc: not for hot loops).</summary>
    public bool IsPeerAlive
    {
        get
        {
            ThrowIfDisposed();
            return Incoming.WriterProcessId != 0 && !Incoming.IsWriterDead;
        }
    }

    /// <summary>Pid of the other side, 0 if none has attached.</summary>
    public int PeerProcessId
    {
        get
        {
            ThrowIfDisposed();
            return Incoming.WriterProcessId;
        }
    }

    /// <summary>True once the other side has completed its direction (messages may still be waiting to be read).</summary>
    public bool IsPeerCompleted => Incoming.IsWriterCompleted;

    /// <summary>
    /// Creates the channel's two segments and attaches as the listening side. A channel of that name left by dead
    /// processes (every party dead) is removed first; one with any live party (listener or connector) is refused.
    /// </summary>
    /// <param name="name">The channel's name; NAME.up and NAME.down must be valid segment names (see <see cref="RingOptions.Directory"/>).</param>
    /// <param name="options">Capacity, maximum message length and waiting of both rings.</param>
    /// <param name="removeOnDispose">Remove the two segment files when this side is disposed (default true).</param>
    /// <exception cref="IOException">A live process still holds a channel of that name, or the segments cannot be created.</exception>
    public static DuplexChannel Listen(string name, RingOptions? options = null, bool removeOnDispose = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        options ??= new RingOptions();
        RemoveIfStale(name + UpSuffix, options.Directory);
        RemoveIfStale(name + DownSuffix, options.Directory);
        OneToOneRing? up = null;
        OneToOneRing? down = null;
        try
        {
            up = OneToOneRing.Create(name + UpSuffix, options);
            down = OneToOneRing.Create(name + DownSuffix, options);
            up.AttachAsReader();
            down.AttachAsWriter();
            return new DuplexChannel(name, isListener: true, outgoing: down, incoming: up, removeOnDispose, options.Directory);
        }
        catch
        {
            up?.Dispose();
            down?.Dispose();
            if (up is not null)
            {
                RingSegment.Remove(name + UpSuffix, options.Directory);
            }

            if (down is not null)
            {
                RingSegment.Remove(name + DownSuffix, options.Directory);
            }

            throw;
        }
    }

    /// <summary>
    /// Connects to a listening channel, waiting up to <paramref name="timeout"/> for the listener to create it.
    /// </summary>
    /// <exception cref="TimeoutException">No listener created the channel in time.</exception>
    /// <exception cref="RingPeerDeadException">The channel exists but its listener is dead.</exception>
    /// <exception cref="InvalidOperationException">Another live process is connected.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static DuplexChannel Connect(string name, TimeSpan timeout, RingOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        WaitLoop.CheckTimeout(timeout);
        options ??= new RingOptions();
        long deadline = WaitLoop.Deadline(timeout);
        int pause = 1;

        // Connecting is rare and the listener may not exist yet: a polling wait, with pauses growing to 20 ms.
        while (!RingSegment.Exists(name + DownSuffix, options.Directory) || !RingSegment.Exists(name + UpSuffix, options.Directory))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetTimestamp() >= deadline)
            {
                throw new TimeoutException($"No listener created channel '{name}' within {timeout.TotalMilliseconds} ms (segments '{name}{UpSuffix}' and '{name}{DownSuffix}').");
            }

            Thread.Sleep(pause);
            pause = Math.Min(pause * 2, 20);
        }

        OneToOneRing? up = null;
        OneToOneRing? down = null;
        try
        {
            // The listener creates up before down: once down exists, up does too (or was removed by a dying listener).
            up = OneToOneRing.Open(name + UpSuffix, options);
            down = OneToOneRing.Open(name + DownSuffix, options);

            // The listener attaches as down's writer just after creating it: until then, wait while its creator lives.
            while (down.WriterProcessId == 0)
            {
                if (!ProcessLiveness.IsAlive(down.CreatorProcessId, 0))
                {
                    throw new RingPeerDeadException($"Channel '{name}' has no live listener (its creator, pid {down.CreatorProcessId}, is not running).", down.CreatorProcessId);
                }

                cancellationToken.ThrowIfCancellationRequested();
                if (Stopwatch.GetTimestamp() >= deadline)
                {
                    throw new TimeoutException($"The listener of channel '{name}' (pid {down.CreatorProcessId}) did not finish setting it up within {timeout.TotalMilliseconds} ms.");
                }

                Thread.Sleep(1);
            }

            if (down.IsWriterDead)
            {
                throw new RingPeerDeadException($"Channel '{name}' has no live listener (pid {down.WriterProcessId} is not running).", down.WriterProcessId);
            }

            up.AttachAsWriter();
            down.AttachAsReader();
            return new DuplexChannel(name, isListener: false, outgoing: up, incoming: down, removeOnDispose: false, options.Directory);
        }
        catch
        {
            up?.Dispose();
            down?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// On the listening side: waits until a connector is attached and alive. Returns false at the timeout.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public bool WaitForPeer(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        long deadline = WaitLoop.Deadline(timeout);
        int pause = 1;
        while (!IsPeerAlive)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetTimestamp() >= deadline)
            {
                return false;
            }

            Thread.Sleep(pause);
            pause = Math.Min(pause * 2, 20);
        }

        return true;
    }

    /// <summary>Sends one message if there is room now; never blocks. False if the outgoing ring is full.</summary>
    /// <exception cref="ArgumentException">The message is longer than <see cref="MaxMessageLength"/>.</exception>
    /// <exception cref="InvalidOperationException">This side already completed its direction.</exception>
    public bool TrySend(ReadOnlySpan<byte> message, int type = 0) => Outgoing.TryWrite(message, type);

    /// <summary>Sends one message, waiting up to <paramref name="timeout"/> for room; false if it expired (nothing sent).</summary>
    /// <exception cref="RingPeerDeadException">The other side died while the ring was full.</exception>
    public bool Send(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Outgoing.TryWrite(message, type, timeout, cancellationToken);

    /// <summary>Sends one message, waiting asynchronously for room.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, int type = 0, CancellationToken cancellationToken = default) =>
        Outgoing.WriteAsync(message, type, cancellationToken);

    /// <summary>Sends one message and waits until the other side has consumed it; see <see cref="OneToOneRing.WriteConfirmed"/>.</summary>
    public DeliveryStatus SendConfirmed(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Outgoing.WriteConfirmed(message, type, timeout, cancellationToken);

    /// <summary>Sends one message and waits asynchronously until the other side has consumed it.</summary>
    public ValueTask<DeliveryStatus> SendConfirmedAsync(ReadOnlyMemory<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Outgoing.WriteConfirmedAsync(message, type, timeout, cancellationToken);

    /// <summary>Receives the next message if one is there; never blocks.</summary>
    /// <exception cref="ArgumentException">The destination is smaller than the message (nothing consumed).</exception>
    public bool TryReceive(Span<byte> destination, out RingMessage message) => Incoming.TryRead(destination, out message);

    /// <summary>
    /// Receives the next message, waiting up to <paramref name="timeout"/>: <see cref="ReadStatus.Message"/>, or
    /// <see cref="ReadStatus.Completed"/> (the other side completed and everything was read),
    /// <see cref="ReadStatus.WriterDied"/> (it died; everything it sent was read) or <see cref="ReadStatus.TimedOut"/>.
    /// </summary>
    public ReadStatus Receive(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Incoming.Read(destination, out message, timeout, cancellationToken);

    /// <summary>Receives the next message asynchronously.</summary>
    /// <exception cref="RingCompletedException">The other side completed and everything was read.</exception>
    /// <exception cref="RingPeerDeadException">The other side died; everything it sent was read.</exception>
    public ValueTask<RingMessage> ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken = default) =>
        Incoming.ReadAsync(destination, cancellationToken);

    /// <summary>Ends this side's direction: the other side reads what is left, then sees the end. Idempotent.</summary>
    public void Complete() => Outgoing.Complete();

    /// <summary>
    /// Completes this side's direction (unless a claim is pending), detaches and unmaps both rings; the listener also
    /// removes the two segment files unless told not to. The other side keeps its mappings and reads what is left.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            Outgoing.Complete();
        }
        catch (InvalidOperationException)
        {
            // A claim is pending, the role was lost, or the ring is already disposed (ObjectDisposedException is one):
            // dispose without completing; the peer sees a death or a timeout.
        }

        Outgoing.Dispose();
        Incoming.Dispose();
        if (_removeOnDispose)
        {
            RingSegment.Remove(Name + UpSuffix, _directory);
            RingSegment.Remove(Name + DownSuffix, _directory);
        }
    }

    /// <summary>Removes a segment left by processes that are all dead, so that listening on its name can start over.</summary>
    private static void RemoveIfStale(string segment, string? directory)
    {
        if (!RingSegment.Exists(segment, directory))
        {
            return;
        }

        RingSegmentInfo info;
        try
        {
            info = RingSegment.Inspect(segment, directory);
        }
        catch (RingFormatException)
        {
            return; // not ours to remove: Create fails and names the file
        }

        if (info.IsStale)
        {
            RingSegment.Remove(segment, directory);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
