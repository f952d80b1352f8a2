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

    /// <summary>Why reading consumes, for <c>tail</c>'s refusal: what the ring's readers are.</summary>
    internal virtual string ConsumeReason => "has a single reader, which consumes what it reads";

    /// <summary>What this process becomes by reading, for <c>tail</c>'s notice.</summary>
    internal virtual string ReaderRole => "its reader";

    internal abstract int MaxMessageLength { get; }

    /// <summary>Opens the ring for reading, refusing a segment that carries no messages. Nothing is attached until the first read (a broadcast reader registers when it opens).</summary>
    internal static MessageSource Open(string name, string directory)
    {
        // Read-only first: the kind decides how to read, and a file that is not a segment is named as such.
        RingSegmentInfo info = RingSegment.Inspect(name, directory);
        var options = new RingOptions { Directory = directory, OpenTimeout = TimeSpan.FromSeconds(2) };
        return info.Kind switch
        {
            RingKind.OneToOne => new OneToOneSource(OneToOneRing.Open(name, options)),
            RingKind.ManyToOne => new ManyToOneSource(ManyToOneRing.Open(name, options)),
            RingKind.Broadcast => new BroadcastSource(BroadcastReader.Open(name, BroadcastStart.Oldest, options)),
            RingKind.ManyToMany => new ManyToManySource(ManyToManyRing.Open(name, options)),
            RingKind.SlotOneToOne or RingKind.SlotManyToMany => throw SlotRingRefused(name, info, "read"),
            RingKind.Mutex or RingKind.Semaphore or RingKind.Event or RingKind.Barrier =>
                throw new CommandFailedException($"segment '{name}' is a {info.Kind}: a synchronization primitive carries no messages."),
            _ => throw new CommandFailedException($"segment '{name}' is a ring of {Format.Kind(info)}, which this tool cannot read yet."),
        };
    }

    /// <summary>
    /// A slot ring carries values of one unmanaged type, fixed-size and typed by the program that made it, not framed
    /// messages: the tool cannot know the type, so it refuses rather than guess (a usage error: the wrong kind named).
    /// </summary>
    internal static CommandFailedException SlotRingRefused(string name, RingSegmentInfo info, string verb) =>
        new($"segment '{name}' is a {Format.Kind(info)} ring: it carries typed values of a fixed size (slots of one unmanaged type that the program that created it defines), not messages, so this tool cannot {verb} it. Use the program's own SlotRing<T> or ManyToManySlotRing<T>.", ExitCodes.Usage);

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

    /// <summary>A many-to-many ring: this process joins the competing readers, so each message it reads no other reader gets.</summary>
    private sealed class ManyToManySource(ManyToManyRing ring) : MessageSource
    {
        internal override bool Consumes => true;

        internal override string ConsumeReason => "has competing readers, and each message goes to exactly one of them";

        internal override string ReaderRole => "one of its competing readers";

        internal override int MaxMessageLength => ring.MaxMessageLength;

        internal override ReadStatus Read(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken) =>
            ring.Read(destination, out message, timeout, cancellationToken);

        public override void Dispose() => ring.Dispose();
    }

    /// <summary>
    /// A broadcast ring: this process joins as one more reader, from the oldest message the ring keeps, so the other
    /// readers lose nothing. (On a gated ring it holds the writer back to its own pace while it reads.)
    /// </summary>
    private sealed class BroadcastSource(BroadcastReader reader) : MessageSource
    {
        internal override bool Consumes => false;

        internal override int MaxMessageLength => reader.MaxMessageLength;

        internal override ReadStatus Read(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken) =>
            reader.Read(destination, out message, timeout, cancellationToken);

        public override void Dispose() => reader.Dispose();
    }
}
