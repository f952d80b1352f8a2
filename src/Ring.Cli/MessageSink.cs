using System;
using System.Threading;

namespace Ring.Cli;

/// <summary>
/// A ring opened for writing by <c>send</c>. One class per ring kind: <see cref="Open"/> picks it by the kind in the
/// segment's header (a new kind adds its class and one line there, and one in <see cref="Create"/>).
/// </summary>
internal abstract class MessageSink : IDisposable
{
    /// <summary>The kinds <c>send --create --kind</c> makes, by their command-line names.</summary>
    internal static readonly string[] CreatableKinds = ["one-to-one", "many-to-one", "broadcast-gated", "broadcast-lossy", "many-to-many"];

    /// <summary>Opens an existing ring for writing, refusing a segment that carries no messages. Nothing is attached until the first write.</summary>
    internal static MessageSink Open(string name, RingOptions options)
    {
        RingSegmentInfo info = RingSegment.Inspect(name, options.Directory);
        return info.Kind switch
        {
            RingKind.OneToOne => new OneToOneSink(OneToOneRing.Open(name, options)),
            RingKind.ManyToOne => new ManyToOneSink(ManyToOneRing.Open(name, options)),
            RingKind.Broadcast => new BroadcastSink(BroadcastRing.Open(name, options)),
            RingKind.ManyToMany => new ManyToManySink(ManyToManyRing.Open(name, options)),
            RingKind.SlotOneToOne or RingKind.SlotManyToMany => throw MessageSource.SlotRingRefused(name, info, "send to"),
            _ => throw new CommandFailedException($"segment '{name}' is a {Format.Kind(info)}, which this tool cannot send to."),
        };
    }

    /// <summary>Creates the ring of the kind named (one of <see cref="CreatableKinds"/>), or opens it if it exists with these sizes.</summary>
    internal static MessageSink Create(string name, string kind, RingOptions options) => kind switch
    {
        "many-to-one" => new ManyToOneSink(ManyToOneRing.CreateOrOpen(name, options)),
        "broadcast-gated" => new BroadcastSink(BroadcastRing.CreateOrOpen(name, BroadcastMode.Gated, options)),
        "broadcast-lossy" => new BroadcastSink(BroadcastRing.CreateOrOpen(name, BroadcastMode.Lossy, options)),
        "many-to-many" => new ManyToManySink(ManyToManyRing.CreateOrOpen(name, options)),
        _ => new OneToOneSink(OneToOneRing.CreateOrOpen(name, options)),
    };

    /// <summary>Writes one message, waiting up to <paramref name="timeout"/> for room; false if there was none.</summary>
    internal abstract bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken);

    internal abstract void Complete();

    public abstract void Dispose();

    private sealed class OneToOneSink(OneToOneRing ring) : MessageSink
    {
        internal override bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken) =>
            ring.TryWrite(message, type, timeout, cancellationToken);

        internal override void Complete() => ring.Complete();

        public override void Dispose() => ring.Dispose();
    }

    private sealed class ManyToOneSink(ManyToOneRing ring) : MessageSink
    {
        internal override bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken) =>
            ring.TryWrite(message, type, timeout, cancellationToken);

        internal override void Complete() => ring.Complete();

        public override void Dispose() => ring.Dispose();
    }

    private sealed class BroadcastSink(BroadcastRing ring) : MessageSink
    {
        internal override bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken) =>
            ring.TryWrite(message, type, timeout, cancellationToken);

        internal override void Complete() => ring.Complete();

        public override void Dispose() => ring.Dispose();
    }

    private sealed class ManyToManySink(ManyToManyRing ring) : MessageSink
    {
        internal override bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken) =>
            ring.TryWrite(message, type, timeout, cancellationToken);

        internal override void Complete() => ring.Complete();

        public override void Dispose() => ring.Dispose();
    }
}
