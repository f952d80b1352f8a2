using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Ring.Bench;

/// <summary>
/// The hardware's floor: bare shared memory with no framing, no validation and no library. Ping-pong is a mailbox per
/// direction (a 64-bit counter, the two counters 128 bytes apart, and a payload buffer); throughput is a minimal SPSC
/// ring of fixed slots with cached indices; idle wake-up is that ring with a bare futex wake (the sender stores, bumps
/// a word and always calls FUTEX_WAKE; the receiver FUTEX_WAITs on the word).
/// </summary>
internal static class ShmFloorTransport
{
    /// <summary>Where every cell's shared-memory files live (rings, the floor's file, the lock cells' control file): <c>--dir</c>, default /dev/shm.</summary>
    internal static string Directory { get; set; } = RingOptions.DefaultDirectory;

    internal static CellResult RunParent(CellSpec spec, string resource)
    {
        string path = Path.Combine(Directory, resource + "-floor");
        try
        {
            long length = spec.Scenario == ScenarioKind.PingPong
                ? MailboxChannel.FileLength(spec.MessageSize)
                : SlotRingChannel.FileLength(spec.MessageSize);
            using SharedFile file = SharedFile.Create(path, length);
            using ChildHandle child = ChildHandle.Start(new ChildArgs(spec, path, Environment.ProcessId));
            unsafe
            {
                if (spec.Scenario == ScenarioKind.PingPong)
                {
                    var mailbox = new MailboxChannel(file.Pointer, isParent: true, spec.MessageSize);
                    return ParentSide.Measure(ref mailbox, spec, child);
                }

                var ring = new SlotRingChannel(file.Pointer, spec.MessageSize, futex: spec.Scenario == ScenarioKind.IdleWakeup);
                return ParentSide.Measure(ref ring, spec, child);
            }
        }
        finally
        {
            Cleanup.DeleteFile(path);
        }
    }

    internal static void RunChild(ChildArgs args)
    {
        using SharedFile file = SharedFile.Open(args.Resource);
        CellSpec spec = args.Spec;
        unsafe
        {
            if (spec.Scenario == ScenarioKind.PingPong)
            {
                var mailbox = new MailboxChannel(file.Pointer, isParent: false, spec.MessageSize);
                ChildSide.Run(ref mailbox, args);
            }
            else
            {
                var ring = new SlotRingChannel(file.Pointer, spec.MessageSize, futex: spec.Scenario == ScenarioKind.IdleWakeup);
                ChildSide.Run(ref ring, args);
            }
        }
    }
}

/// <summary>A file in /dev/shm mapped read-write. The creator removes it (the caller's finally); the opener only maps it.</summary>
internal sealed unsafe class SharedFile : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private bool _disposed;

    private SharedFile(FileStream stream, long length)
    {
        _file = MemoryMappedFile.CreateFromFile(stream, null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        Pointer = p + _view.PointerOffset;
    }

    internal byte* Pointer { get; }

    internal static SharedFile Create(string path, long length)
    {
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            stream.SetLength(length);
            return new SharedFile(stream, length);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    internal static SharedFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            return new SharedFile(stream, stream.Length);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}

/// <summary>
/// Ping-pong floor. Each side owns a counter (parent at 0, child at 128) and a payload buffer: a send copies the
/// payload into its buffer and bumps its counter (release); a receive spins until the peer's counter reaches the next
/// value (acquire) and copies the payload out. The parent ends the run by storing -1 in its counter.
/// </summary>
internal unsafe struct MailboxChannel : IChannel
{
    private const long EndValue = -1;
    private const int BufferOffset = 4096;

    private readonly long* _myCounter;
    private readonly long* _peerCounter;
    private readonly byte* _myBuffer;
    private readonly byte* _peerBuffer;
    private readonly int _length;
    private long _sent;
    private long _received;

    internal MailboxChannel(byte* mapping, bool isParent, int length)
    {
        byte* parentBuffer = mapping + BufferOffset;
        byte* childBuffer = parentBuffer + AlignedLength(length);
        _myCounter = (long*)(mapping + (isParent ? 0 : 128));
        _peerCounter = (long*)(mapping + (isParent ? 128 : 0));
        _myBuffer = isParent ? parentBuffer : childBuffer;
        _peerBuffer = isParent ? childBuffer : parentBuffer;
        _length = length;
    }

    internal static long FileLength(int length) => BufferOffset + 2 * AlignedLength(length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Send(ReadOnlySpan<byte> message)
    {
        message.CopyTo(new Span<byte>(_myBuffer, _length));
        Volatile.Write(ref *_myCounter, ++_sent);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Receive(Span<byte> destination)
    {
        long expected = _received + 1;
        long seen;
        var waiter = default(Waiter);
        while ((seen = Volatile.Read(ref *_peerCounter)) != expected)
        {
            if (seen == EndValue)
            {
                return -1;
            }

            waiter.SpinOnce();
        }

        _received = expected;
        new ReadOnlySpan<byte>(_peerBuffer, _length).CopyTo(destination);
        return _length;
    }

    public readonly void SendBatch(ReadOnlySpan<byte> template, long firstSequence, int count) => throw new NotSupportedException();

    public readonly int ReceiveBatch(ref MessageVerifier verifier) => throw new NotSupportedException();

    public readonly void SendEnd() => Volatile.Write(ref *_myCounter, EndValue);

    public readonly int LapLength => 0;

    private static long AlignedLength(int length) => (length + 4095L) & ~4095L;
}

/// <summary>
/// Throughput floor: an SPSC ring of fixed slots of the message size (rounded to 64 bytes), tail at 0 and head at 128,
/// each side caching the other's index and re-reading it only when the ring looks full or empty. The batched path
/// publishes its index once per batch and hands slots to the verifier in place. With <c>futex</c> (idle wake-up) the
/// producer bumps a word and calls FUTEX_WAKE after every publish, and an empty consumer sleeps in FUTEX_WAIT.
/// </summary>
internal unsafe struct SlotRingChannel : IChannel
{
    private const int TailOffset = 0;
    private const int HeadOffset = 128;
    private const int DoneOffset = 256;
    private const int WordOffset = 384;
    private const int SlotsOffset = 4096;
    private const long RingBytes = 4 << 20;
    private const int BatchLimit = 1024;

    private readonly byte* _mapping;
    private readonly byte* _slots;
    private readonly int _length;
    private readonly int _slotSize;
    private readonly long _slotCount;
    private readonly bool _futex;
    private long _tail;
    private long _cachedHead;
    private long _head;
    private long _cachedTail;

    internal SlotRingChannel(byte* mapping, int length, bool futex)
    {
        _mapping = mapping;
        _slots = mapping + SlotsOffset;
        _length = length;
        _slotSize = SlotSize(length);
        _slotCount = SlotCount(length);
        _futex = futex;
    }

    private readonly long* Tail => (long*)(_mapping + TailOffset);

    private readonly long* Head => (long*)(_mapping + HeadOffset);

    private readonly int* Done => (int*)(_mapping + DoneOffset);

    private readonly int* Word => (int*)(_mapping + WordOffset);

    internal static long FileLength(int length) => SlotsOffset + SlotCount(length) * SlotSize(length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Send(ReadOnlySpan<byte> message)
    {
        if (_tail - _cachedHead >= _slotCount)
        {
            WaitForSlot();
        }

        message.CopyTo(new Span<byte>(Slot(_tail), _length));
        Volatile.Write(ref *Tail, ++_tail);
        if (_futex)
        {
            Wake();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Receive(Span<byte> destination)
    {
        if (_head == _cachedTail && !WaitForMessage())
        {
            return -1;
        }

        new ReadOnlySpan<byte>(Slot(_head), _length).CopyTo(destination);
        Volatile.Write(ref *Head, ++_head);
        return _length;
    }

    public void SendBatch(ReadOnlySpan<byte> template, long firstSequence, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (_tail - _cachedHead >= _slotCount)
            {
                // Publish what is written before waiting for room, or the consumer could wait for it forever.
                Volatile.Write(ref *Tail, _tail);
                WaitForSlot();
            }

            var slot = new Span<byte>(Slot(_tail), _length);
            template.CopyTo(slot);
            Payload.Stamp(slot, firstSequence + i);
            _tail++;
        }

        Volatile.Write(ref *Tail, _tail);
        if (_futex)
        {
            Wake();
        }
    }

    public int ReceiveBatch(ref MessageVerifier verifier)
    {
        if (_head == _cachedTail && !WaitForMessage())
        {
            return -1;
        }

        long end = Math.Min(_cachedTail, _head + BatchLimit);
        int count = (int)(end - _head);
        for (long h = _head; h < end; h++)
        {
            verifier.Check(new ReadOnlySpan<byte>(Slot(h), _length));
        }

        _head = end;
        Volatile.Write(ref *Head, end);
        return count;
    }

    public readonly void SendEnd()
    {
        Volatile.Write(ref *Tail, _tail);
        Volatile.Write(ref *Done, 1);
        if (_futex)
        {
            Wake();
        }
    }

    /// <summary>Every slot once (the receiver drains as they come).</summary>
    public readonly int LapLength => (int)_slotCount;

    private static int SlotSize(int length) => (length + 63) & ~63;

    private static long SlotCount(int length) => Math.Max(4, (long)BitOperations.RoundUpToPowerOf2((ulong)(RingBytes / SlotSize(length) + 1)) / 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly byte* Slot(long position) => _slots + (position & (_slotCount - 1)) * _slotSize;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForSlot()
    {
        var waiter = default(Waiter);
        while (_tail - (_cachedHead = Volatile.Read(ref *Head)) >= _slotCount)
        {
            waiter.SpinOnce();
        }
    }

    /// <summary>Waits until a message is there (true) or the producer is done and everything was read (false).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool WaitForMessage()
    {
        var waiter = default(Waiter);
        while (true)
        {
            if ((_cachedTail = Volatile.Read(ref *Tail)) != _head)
            {
                return true;
            }

            if (Volatile.Read(ref *Done) != 0)
            {
                // Done is stored after the last tail: one more look at the tail decides.
                return (_cachedTail = Volatile.Read(ref *Tail)) != _head;
            }

            if (!_futex)
            {
                waiter.SpinOnce();
                continue;
            }

            // The word is read before the re-check, and the producer bumps it after publishing: a publish after the
            // re-check changes the word, so FUTEX_WAIT returns at once instead of sleeping through it.
            int word = Volatile.Read(ref *Word);
            if (Volatile.Read(ref *Tail) != _head || Volatile.Read(ref *Done) != 0)
            {
                continue;
            }

            Interop.Sys.FutexWait(Word, word, 100_000_000);
            waiter.AfterSleep();
        }
    }

    private readonly void Wake()
    {
        Interlocked.Increment(ref *Word);
        Interop.Sys.FutexWake(Word, 1);
    }
}
