using System;
using System.Threading;

namespace Ring.Cli;

/// <summary>
/// A ring opened for reading by <c>tail</c> and <c>recv</c>. One class per ring kind: <see cref="Open"/> picks it by
/// the kind in the segment's header (a new kind adds its class and one line there).
/// </summary>
internal abstract class MessageSource : IDisposable
{
    /// <summary>True if reading takes the messages from the ring's other readers (a one-to-one ring has one reader).</summary>
    internal abstract bool Consumes { get; }

    internal abstract int MaxMessageLength { get; }

    /// <summary>Opens the ring for reading, refusing a segment that carries no messages. Nothing is attached until the first read.</summary>
    internal static MessageSource Open(string name, string directory)
    {
        // Read-only first: the kind decides how to read, and a file that is not a segment is named as such.
        RingSegmentInfo info = RingSegment.Inspect(name, directory);
        var options = new RingOptions { Directory = directory, OpenTimeout = TimeSpan.FromSeconds(2) };
        return info.Kind switch
        {
            RingKind.OneToOne => new OneToOneSource(OneToOneRing.Open(name, options)),
            RingKind.ManyToOne => new ManyToOneSource(ManyToOneRing.Open(name, options)),
            RingKind.Mutex or RingKind.Semaphore or RingKind.Event or RingKind.Barrier =>
                throw new CommandFailedException($"segment '{name}' is a {info.Kind}: a synchronization primitive carries no messages."),
            _ => throw new CommandFailedException($"segment '{name}' is a ring of {Format.Kind(info)}, which this tool cannot read yet."),
        };
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the next message, as <see cref="OneToOneRing.Read(Span{byte}, out RingMessage, TimeSpan, CancellationToken)"/>.</summary>
    internal abstract ReadStatus Read(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken);

    public abstract void Dispose();

    /// <summary>A one-to-one ring: this process becomes its reader, so what it reads no one else gets.</summary>
    private sealed class OneToOneSource(OneToOneRing ring) : MessageSource
    {
        internal override bool Consumes => true;

        internal override int MaxMessageLength => ring.MaxMessageLength;

        internal override ReadStatus Read(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken) =>
            ring.Read(destination, out message, timeout, cancellationToken);

        public override void Dispose() => ring.Dispose();
    }

    /// <summary>A many-to-one ring: one reader too, so reading consumes.</summary>
    private sealed class ManyToOneSource(ManyToOneRing ring) : MessageSource
    {
        internal override bool Consumes => true;

        internal override int MaxMessageLength => ring.MaxMessageLength;

        internal override ReadStatus Read(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken) =>
            ring.Read(destination, out message, timeout, cancellationToken);

        public override void Dispose() => ring.Dispose();
    }
}
