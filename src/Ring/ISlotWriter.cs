using System;
using System.Threading;
using System.Threading.Tasks;

namespace Ring;

/// <summary>
/// The sending side of a ring of fixed-size slots of <typeparamref name="T"/>, whatever its topology: what
/// <see cref="SlotRing{T}"/> and <see cref="ManyToManySlotRing{T}"/> offer a writer.
/// </summary>
/// <typeparam name="T">The value type: an unmanaged struct, copied into a slot as it is.</typeparam>
/// <remarks>
/// Every operation comes in three forms: Try (never blocks; false when the ring is full), blocking with a timeout and
/// a cancellation token, and asynchronous. Writing to a completed ring throws <see cref="InvalidOperationException"/>.
/// </remarks>
public interface ISlotWriter<T> : IDisposable
    where T : unmanaged
{
    /// <summary>The segment's name.</summary>
    string Name { get; }

    /// <summary>The number of slots (a power of two).</summary>
    int SlotCount { get; }

    /// <summary>Writes one value if a slot is free now; never blocks.</summary>
    /// <returns>True if written; false if the ring is full.</returns>
    bool TryWrite(in T value);

    /// <summary>Writes one value, waiting up to <paramref name="timeout"/> for a free slot.</summary>
    /// <returns>True if written; false if the timeout passed first.</returns>
    bool TryWrite(in T value, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Writes one value, waiting as long as it takes for a free slot (or until cancelled).</summary>
    void Write(in T value, CancellationToken cancellationToken = default);

    /// <summary>Writes one value, waiting asynchronously for a free slot.</summary>
    ValueTask WriteAsync(T value, CancellationToken cancellationToken = default);

    /// <summary>Waits asynchronously until a slot is free (or the ring is completed, when a write would throw).</summary>
    ValueTask WaitToWriteAsync(CancellationToken cancellationToken = default);

    /// <summary>Marks the end of the stream: readers drain what was written, then see completion.</summary>
    void Complete();
}
