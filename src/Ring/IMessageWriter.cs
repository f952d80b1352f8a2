using System;
using System.Threading;
using System.Threading.Tasks;

namespace Ring;

/// <summary>
/// The sending side of a ring of variable-length frames, whatever its topology: what <see cref="OneToOneRing"/> and the
/// other frame rings offer a writer. Channels and adapters are written against it.
/// </summary>
/// <remarks>
/// Every operation comes in three forms: Try (never blocks; false when the ring is full), blocking with a timeout and
/// a cancellation token, and asynchronous. A message longer than <see cref="MaxMessageLength"/> or with a negative
/// type is refused with an exception before anything is written.
/// </remarks>
public interface IMessageWriter : IDisposable
{
    /// <summary>The segment's name.</summary>
    string Name { get; }

    /// <summary>The longest message, in bytes, that fits in one frame.</summary>
    int MaxMessageLength { get; }

    /// <summary>Writes one message if it fits now; never blocks.</summary>
    /// <returns>True if written; false if the ring is full.</returns>
    bool TryWrite(ReadOnlySpan<byte> message, int type = 0);

    /// <summary>Writes one message, waiting up to <paramref name="timeout"/> for room.</summary>
    /// <returns>True if written; false if the timeout passed first.</returns>
    bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Writes one message, waiting as long as it takes for room (or until cancelled).</summary>
    void Write(ReadOnlySpan<byte> message, int type = 0, CancellationToken cancellationToken = default);

    /// <summary>Writes one message, waiting asynchronously for room.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> message, int type = 0, CancellationToken cancellationToken = default);

    /// <summary>Claims room for a message of <paramref name="length"/> bytes to be written in place (zero copy); follow with <see cref="Commit"/> or <see cref="Abort"/>.</summary>
    /// <returns>True with the payload span if the frame fits now; false if the ring is full.</returns>
    bool TryClaim(int length, int type, out Span<byte> payload);

    /// <summary>Publishes the claimed frame to the reader(s).</summary>
    void Commit();

    /// <summary>Gives up the claimed frame: readers skip it.</summary>
    void Abort();

    /// <summary>Marks the end of the stream: readers drain what was written, then see completion.</summary>
    void Complete();
}
