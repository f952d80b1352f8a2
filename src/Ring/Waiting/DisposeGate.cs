using System;
using System.Diagnostics;
using System.Threading;

namespace Ring;

/// <summary>
/// Keeps an object's mapping alive while threads wait inside it: blocking waits enter and leave the gate, and
/// <see cref="Close"/> marks the object disposed, wakes the waiters and waits for them to leave, so that no thread
/// touches the mapping after it is unmapped (which would crash the process). The fast paths do not enter the gate.
/// </summary>
internal sealed class DisposeGate
{
    private static readonly TimeSpan s_closeLimit = TimeSpan.FromSeconds(10);

    private int _inside;
    private volatile bool _closed;

    /// <summary>True once <see cref="Close"/> has begun.</summary>
    internal bool IsClosed => _closed;

    /// <summary>
    /// Counts the calling thread in. The increment (a full fence) before the check pairs with Close's store of the
    /// flag, fence and load of the count: either this thread sees the flag, or Close sees the thread and waits for it.
    /// </summary>
    /// <param name="what">What the object is, for the exception: a string kept by the caller, not built per call (every blocking call enters).</param>
    internal void Enter(string what)
    {
        Interlocked.Increment(ref _inside);
        if (_closed)
        {
            Interlocked.Decrement(ref _inside);
            throw new ObjectDisposedException(what);
        }
    }

    internal void Exit() => Interlocked.Decrement(ref _inside);

    /// <summary>
    /// Marks the gate closed, then calls <paramref name="wake"/> until every thread inside has left (each sees the flag
    /// at its next check), for at most 10 s. Returns false if one remained: the caller must then leave the mapping
    /// mapped (leak it) rather than unmap it under that thread. Call once.
    /// </summary>
    internal bool Close(Action wake)
    {
        _closed = true;
        Interlocked.MemoryBarrier();
        long start = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _inside) != 0 && Stopwatch.GetElapsedTime(start) < s_closeLimit)
        {
            wake();
            Thread.Sleep(1);
        }

        return Volatile.Read(ref _inside) == 0;
    }
}
