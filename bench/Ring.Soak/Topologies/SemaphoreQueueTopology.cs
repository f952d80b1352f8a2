using System;
using System.Collections.Generic;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Threading;

namespace Ring.Soak;

/// <summary>
/// The synchronization primitives under soak: the textbook bounded buffer (Dijkstra's producer-consumer) built from a
/// <see cref="SharedMutex"/> that guards the queue's indices and two <see cref="SharedSemaphore"/>s that count the
/// filled and the free slots, in four segments, with any number of writer and reader processes competing. Each message
/// goes to exactly one reader. Semaphore permits are not owned, so a killed party would leak one: no fault injection.
/// <code>
///  data file:  0 i64 head (under the lock)   8 i64 tail (under the lock)   16 i32 completed writers
///              128 + slot * SlotBytes: i32 length, payload
/// </code>
/// </summary>
internal sealed unsafe class SemaphoreQueueTopology : IRingTopology
{
    private const int Slots = 64;
    private const int SlotsOffset = 128;

    public string Name => "semaphore-queue";

    public string Description => "SharedMutex + 2 SharedSemaphores guarding a 64-slot queue: any writers, any readers, each message to one reader";

    public Delivery Delivery => Delivery.ExactlyOneReader;

    public (int Writers, int Readers) DefaultParties => (2, 2);

    public bool SupportsFaults => false;

    public string? CheckParties(int writers, int readers) =>
        writers is >= 1 and <= ControlSlot.MaxWriters && readers >= 1 ? null : $"a semaphore queue takes 1 to {ControlSlot.MaxWriters} writers and at least 1 reader, not {writers} and {readers}";

    public ITopologyInstance Create(string name, TopologySettings settings)
    {
        RingOptions options = settings.Options();
        var parts = new List<IDisposable>();
        try
        {
            var mutex = SharedMutex.Create(name + "-lock", options);
            parts.Add(mutex);
            var items = SharedSemaphore.Create(name + "-items", 0, Slots, options);
            parts.Add(items);
            var spaces = SharedSemaphore.Create(name + "-spaces", Slots, Slots, options);
            parts.Add(spaces);
            var data = Queue.Create(name + "-data", SlotBytes(settings));
            parts.Add(data);
            return new Instance(name, mutex, items, spaces, data);
        }
        catch
        {
            foreach (IDisposable part in parts)
            {
                part.Dispose();
            }

            RemoveAll(name);
            throw;
        }
    }

    public FuzzTarget? FuzzLayout(TopologySettings settings) => null;

    public ITopologyWriter OpenWriter(string name, int index, TopologySettings settings) => new Side(name, settings, SlotBytes(settings));

    public ITopologyReader OpenReader(string name, int index, TopologySettings settings) => new Side(name, settings, SlotBytes(settings));

    private static int SlotBytes(TopologySettings settings) => (4 + settings.MaxMessageLength + 7) & ~7;

    private static void RemoveAll(string name)
    {
        foreach (string part in new[] { "-lock", "-items", "-spaces" })
        {
            RingSegment.Remove(name + part);
        }

        File.Delete(Path.Join(RingOptions.DefaultDirectory, name + "-data"));
    }

    private sealed class Instance(string name, SharedMutex mutex, SharedSemaphore items, SharedSemaphore spaces, Queue data) : ITopologyInstance
    {
        public IReadOnlyDictionary<string, long> ReadCounters() => new Dictionary<string, long>
        {
            ["queued"] = items.CurrentCount,
            ["free-slots"] = spaces.CurrentCount,
            ["dequeued"] = Volatile.Read(ref *(long*)data.Pointer),
            ["enqueued"] = Volatile.Read(ref *(long*)(data.Pointer + 8)),
            ["mutex-abandonments"] = mutex.AbandonmentCount,
        };

        public void Dispose()
        {
            mutex.Dispose();
            items.Dispose();
            spaces.Dispose();
            data.Dispose();
            RemoveAll(name);
        }
    }

    /// <summary>Either side: a writer enqueues, a reader dequeues (the one class keeps the lock protocol in one place).</summary>
    private sealed class Side : ITopologyWriter, ITopologyReader
    {
        private readonly SharedMutex _mutex;
        private readonly SharedSemaphore _items;
        private readonly SharedSemaphore _spaces;
        private readonly Queue _queue;
        private readonly int _slotBytes;
        private readonly int _writers;
        private readonly byte[] _claim;
        private int _claimLength = -1;

        internal Side(string name, TopologySettings settings, int slotBytes)
        {
            RingOptions options = settings.Options();
            _mutex = SharedMutex.Open(name + "-lock", options);
            _items = SharedSemaphore.Open(name + "-items", options);
            _spaces = SharedSemaphore.Open(name + "-spaces", options);
            _queue = Queue.Open(name + "-data");
            _slotBytes = slotBytes;
            _writers = settings.Writers;
            MaxMessageLength = settings.MaxMessageLength;
            _claim = new byte[MaxMessageLength];
        }

        public int MaxMessageLength { get; }

        private ref long Head => ref *(long*)_queue.Pointer;

        private ref long Tail => ref *(long*)(_queue.Pointer + 8);

        private ref int CompletedWriters => ref *(int*)(_queue.Pointer + 16);

        public bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout)
        {
            if (!_spaces.TryAcquire(timeout))
            {
                return false;
            }

            Enqueue(message);
            return true;
        }

        public bool TryClaim(int length, int type, out Span<byte> payload)
        {
            if (!_spaces.TryAcquire())
            {
                payload = default;
                return false;
            }

            _claimLength = length;
            payload = _claim.AsSpan(0, length);
            return true;
        }

        public void Commit()
        {
            Enqueue(_claim.AsSpan(0, _claimLength));
            _claimLength = -1;
        }

        public ReadOutcome WaitForSpace(int length, TimeSpan timeout)
        {
            if (!_spaces.TryAcquire(timeout))
            {
                return ReadOutcome.TimedOut;
            }

            _spaces.Release();
            return ReadOutcome.Message;
        }

        public void Complete() => Interlocked.Increment(ref CompletedWriters);

        public int TryRead(IMessageSink sink, int limit)
        {
            int n = 0;
            while (n < limit && _items.TryAcquire())
            {
                Dequeue(sink, default, out _);
                n++;
            }

            return n;
        }

        public bool TryRead(Span<byte> destination, out int length)
        {
            length = 0;
            if (!_items.TryAcquire())
            {
                return false;
            }

            Dequeue(null, destination, out length);
            return true;
        }

        public ReadOutcome Read(Span<byte> destination, out int length, TimeSpan timeout)
        {
            length = 0;
            if (_items.TryAcquire(timeout))
            {
                Dequeue(null, destination, out length);
                return ReadOutcome.Message;
            }

            return IsCompletedAndDrained() ? ReadOutcome.Completed : ReadOutcome.TimedOut;
        }

        public ReadOutcome WaitForData(TimeSpan timeout)
        {
            if (_items.TryAcquire(timeout))
            {
                _items.Release();
                return ReadOutcome.Message;
            }

            return IsCompletedAndDrained() ? ReadOutcome.Completed : ReadOutcome.TimedOut;
        }

        public void Dispose()
        {
            _mutex.Dispose();
            _items.Dispose();
            _spaces.Dispose();
            _queue.Dispose();
        }

        private bool IsCompletedAndDrained() => Volatile.Read(ref CompletedWriters) >= _writers && _items.CurrentCount == 0;

        private void Enqueue(ReadOnlySpan<byte> message)
        {
            _mutex.Acquire();
            try
            {
                long tail = Tail;
                byte* slot = _queue.Pointer + SlotsOffset + ((tail % Slots) * _slotBytes);
                *(int*)slot = message.Length;
                message.CopyTo(new Span<byte>(slot + 4, message.Length));
                Tail = tail + 1;
            }
            finally
            {
                _mutex.Release();
            }

            _items.Release();
        }

        private void Dequeue(IMessageSink? sink, Span<byte> destination, out int length)
        {
            _mutex.Acquire();
            try
            {
                long head = Head;
                byte* slot = _queue.Pointer + SlotsOffset + ((head % Slots) * _slotBytes);
                length = *(int*)slot;
                if ((uint)length > (uint)MaxMessageLength)
                {
                    throw new InvalidDataException($"queue slot {head % Slots} holds length {length}, past the maximum {MaxMessageLength}");
                }

                var payload = new ReadOnlySpan<byte>(slot + 4, length);
                if (sink is not null)
                {
                    sink.OnMessage(payload);
                }
                else
                {
                    payload.CopyTo(destination);
                }

                Head = head + 1;
            }
            finally
            {
                _mutex.Release();
            }

            _spaces.Release();
        }
    }

    /// <summary>The queue's plain shared file.</summary>
    private sealed class Queue : IDisposable
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;

        private Queue(MemoryMappedFile file, MemoryMappedViewAccessor view)
        {
            _file = file;
            _view = view;
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            Pointer = p + view.PointerOffset;
        }

        internal byte* Pointer { get; }

        internal static Queue Create(string name, int slotBytes)
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.ReadWrite | FileShare.Delete,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            var stream = new FileStream(Path.Join(RingOptions.DefaultDirectory, name), options);
            stream.SetLength(SlotsOffset + ((long)Slots * slotBytes));
            return Map(stream);
        }

        internal static Queue Open(string name) =>
            Map(new FileStream(Path.Join(RingOptions.DefaultDirectory, name), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete));

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }

        private static Queue Map(FileStream stream)
        {
            long length = stream.Length;
            MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            return new Queue(file, file.CreateViewAccessor(0, length));
        }
    }
}
