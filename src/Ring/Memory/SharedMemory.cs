using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Ring;

/// <summary>
/// The one accessor for memory shared with other processes. Every member name says its memory order:
/// <c>Plain</c> (no ordering; only for words this process alone writes, or payload bytes ordered by a later release),
/// <c>Acquire</c> (no later access moves before it), <c>Release</c> (no earlier access moves after it), and the
/// interlocked operations (full fences). Offsets are bytes from the start of the mapping; callers derive them from a
/// layout descriptor or from a masked ring index, and the debug build checks them.
/// </summary>
[DebuggerDisplay("{Length} bytes")]
internal readonly unsafe struct SharedMemory
{
    private readonly byte* _base;

    internal SharedMemory(byte* basePointer, long length)
    {
        _base = basePointer;
        Length = length;
    }

    /// <summary>Length of the mapping in bytes.</summary>
    internal long Length { get; }

    /// <summary>Start of the mapping.</summary>
    internal byte* Pointer => _base;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* At(long offset, int size)
    {
        Debug.Assert(offset >= 0 && offset + size <= Length, $"offset {offset} + {size} outside mapping of {Length}");
        return _base + offset;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int* Int32At(long offset) => (int*)At(offset, sizeof(int));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long* Int64At(long offset) => (long*)At(offset, sizeof(long));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int ReadInt32Plain(long offset) => *Int32At(offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteInt32Plain(long offset, int value) => *Int32At(offset) = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long ReadInt64Plain(long offset) => *Int64At(offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteInt64Plain(long offset, long value) => *Int64At(offset) = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int ReadInt32Acquire(long offset) => Volatile.Read(ref *Int32At(offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteInt32Release(long offset, int value) => Volatile.Write(ref *Int32At(offset), value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long ReadInt64Acquire(long offset) => Volatile.Read(ref *Int64At(offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteInt64Release(long offset, long value) => Volatile.Write(ref *Int64At(offset), value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong ReadUInt64Acquire(long offset) => Volatile.Read(ref *(ulong*)At(offset, sizeof(ulong)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteUInt64Release(long offset, ulong value) => Volatile.Write(ref *(ulong*)At(offset, sizeof(ulong)), value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int CompareExchangeInt32(long offset, int value, int comparand) =>
        Interlocked.CompareExchange(ref *Int32At(offset), value, comparand);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long CompareExchangeInt64(long offset, long value, long comparand) =>
        Interlocked.CompareExchange(ref *Int64At(offset), value, comparand);

    /// <summary>Atomically adds <paramref name="value"/> (a full fence) and returns the new value: for counters that several processes write.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long AddInt64(long offset, long value) => Interlocked.Add(ref *Int64At(offset), value);

    /// <summary>Adds one to a counter that only this process writes: a plain read and a release store, no lock prefix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void IncrementOwnedInt64(long offset) => Volatile.Write(ref *Int64At(offset), *Int64At(offset) + 1);
}
