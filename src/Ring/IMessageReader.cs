using System;
using System.Threading;
using System.Threading.Tasks;

namespace Ring;

/// <summary>
/// The receiving side of a ring of variable-length frames, whatever its topology: what <see cref="OneToOneRing"/> and
/// the other frame rings offer a reader. Channels and adapters are written against it.
/// </summary>
/// <remarks>
/// A destination too small for the next message raises <see cref="ArgumentException"/> and consumes nothing: nothing
/// is ever truncated. Completion is reported only after every message written before it has been read.
/// </remarks>
public interface IMessageReader : IDisposable
{
    /// <summary>The segment's name.</summary>
    string Name { get; }

    /// <summary>The longest message, in bytes, a frame can hold: a destination this large always suffices.</summary>
    int MaxMessageLength { get; }

    /// <summary>True once the stream was completed (messages written before may still be waiting to be read).</summary>
    bool IsWriterCompleted { get; }

    /// <summary>Reads the next message into <paramref name="destination"/> if one is there; never blocks.</summary>
    bool TryRead(Span<byte> destination, out RingMessage message);

    /// <summary>Reads the next message, waiting up to <paramref name="timeout"/>.</summary>
    /// <returns>Message, TimedOut, Completed (drained and completed) or WriterDied (drained and every writer is dead).</returns>
    ReadStatus Read(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Reads up to <paramref name="limit"/> messages without blocking, handing each to <paramref name="handler"/> as a span into the ring.</summary>
    /// <returns>How many messages were handled.</returns>
    int Read<THandler>(ref THandler handler, int limit = int.MaxValue)
        where THandler : IFrameHandler, allows ref struct;

    /// <summary>Reads up to <paramref name="limit"/> messages without blocking, handing each to <paramref name="handler"/>.</summary>
    /// <returns>How many messages were handled.</returns>
    int Read(FrameHandler handler, int limit = int.MaxValue);

    /// <summary>Waits asynchronously until a message can be read.</summary>
    /// <returns>True when a message is there; false when the stream has ended (completed and drained).</returns>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads the next message, waiting asynchronously.</summary>
    /// <exception cref="RingCompletedException">The stream ended.</exception>
    ValueTask<RingMessage> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default);
}
