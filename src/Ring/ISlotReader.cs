using System;
using System.Threading;
using System.Threading.Tasks;

namespace Ring;

/// <summary>
/// The receiving side of a ring of fixed-size slots of <typeparamref name="T"/>, whatever its topology: what
/// <see cref="SlotRing{T}"/> and <see cref="ManyToManySlotRing{T}"/> offer a reader.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
/// <remarks>Completion is reported only after every value written before it has been read.</remarks>
public interface ISlotReader<T> : IDisposable
    where T : unmanaged
{
    /// <summary>The segment's name.</summary>
    string Name { get; }

    /// <summary>The number of slots (a power of two).</summary>
    int SlotCount { get; }

    /// <summary>True once the stream was completed (values written before may still be waiting to be read).</summary>
    bool IsWriterCompleted { get; }

    /// <summary>Reads the next value if one is committed; never blocks.</summary>
    bool TryRead(out T value);

    /// <summary>Reads the next value, waiting up to <paramref name="timeout"/>.</summary>
    /// <returns>Message, TimedOut, Completed (drained and completed) or WriterDied (drained, and the writers are dead).</returns>
    ReadStatus Read(out T value, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Reads up to <paramref name="limit"/> values without blocking, handing each to <paramref name="handler"/> in its slot.</summary>
    /// <returns>How many values were handled.</returns>
    int Read<THandler>(ref THandler handler, int limit = int.MaxValue)
        where THandler : ISlotHandler<T>, allows ref struct;

    /// <summary>Reads up to <paramref name="limit"/> values without blocking, handing each to <paramref name="handler"/>.</summary>
    /// <returns>How many values were handled.</returns>
    int Read(SlotHandler<T> handler, int limit = int.MaxValue);

    /// <summary>Waits asynchronously until a value can be read.</summary>
    /// <returns>True when a value is there; false when the stream has ended (completed and drained).</returns>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads the next value, waiting asynchronously.</summary>
    /// <exception cref="RingCompletedException">The stream ended.</exception>
    ValueTask<T> ReadAsync(CancellationToken cancellationToken = default);
}
