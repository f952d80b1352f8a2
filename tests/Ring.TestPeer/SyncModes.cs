using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Threading;

namespace Ring.TestPeer;

/// <summary>
/// Peer modes for the synchronization primitives. Shared counters live in a plain file (the "path" setting) that the
/// test and the peers map: offset 0 a counter changed only under the mutex, offset 8 the permits in use.
/// </summary>
public static class SyncModes
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    public static bool Handles(string mode) => mode.StartsWith("mutex-", StringComparison.Ordinal) ||
        mode.StartsWith("semaphore-", StringComparison.Ordinal) || mode.StartsWith("event-", StringComparison.Ordinal) ||
        mode.StartsWith("barrier-", StringComparison.Ordinal);

    public static int Run(string mode, string name, long count, string? path)
    {
        var options = new RingOptions { OpenTimeout = TimeSpan.FromSeconds(10), LivenessCheckInterval = TimeSpan.FromMilliseconds(20) };
        switch (mode)
        {
            case "mutex-increment":
            {
                using var mutex = SharedMutex.Open(name, options);
                using var counters = Counters.Map(path!);
                for (long i = 0; i < count; i++)
                {
                    mutex.Acquire();

                    // A deliberately non-atomic read-modify-write: only mutual exclusion keeps the sum exact.
                    long value = Volatile.Read(ref counters.At(0));
                    Thread.SpinWait(20);
                    Volatile.Write(ref counters.At(0), value + 1);
                    mutex.Release();
                }

                return 0;
            }

            case "mutex-hold":
            {
                var mutex = SharedMutex.Open(name, options);
                mutex.Acquire();
                Announce("acquired");
                Thread.Sleep(Timeout.Infinite);
                return 0;
            }

            case "semaphore-use":
            {
                using var semaphore = SharedSemaphore.Open(name, options);
                using var counters = Counters.Map(path!);
                for (long i = 0; i < count; i++)
                {
                    semaphore.Acquire();
                    long inUse = Interlocked.Increment(ref counters.At(8));
                    if (inUse > semaphore.MaximumCount)
                    {
                        Console.Error.WriteLine($"{inUse} permits in use, maximum {semaphore.MaximumCount}");
                        return 1;
                    }

                    Thread.SpinWait(50);
                    Interlocked.Decrement(ref counters.At(8));
                    semaphore.Release();
                }

                return 0;
            }

            case "event-wait":
            {
                using var e = SharedEvent.Open(name, options);
                Announce("waiting");
                if (!e.Wait(Long))
                {
                    return 3;
                }

                Announce("woken");
                Thread.Sleep(500); // stay attached a moment, so that a second set is not consumed by a late starter
                return 0;
            }

            case "barrier-phases":
            {
                using var barrier = SharedBarrier.Open(name, options);
                Announce("joined");
                for (long phase = 0; phase < count; phase++)
                {
                    if (!barrier.SignalAndWait(Long))
                    {
                        Console.Error.WriteLine($"phase {phase} timed out");
                        return 3;
                    }
                }

                return 0;
            }

            case "barrier-join-hang":
            {
                var barrier = SharedBarrier.Open(name, options);
                Announce("joined");
                Thread.Sleep(Timeout.Infinite);
                GC.KeepAlive(barrier);
                return 0;
            }

            default:
                Console.Error.WriteLine($"unknown mode '{mode}'");
                return 2;
        }
    }

    private static void Announce(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    /// <summary>Two 64-bit counters in a mapped file.</summary>
    public sealed unsafe class Counters : IDisposable
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private readonly byte* _pointer;

        private Counters(MemoryMappedFile file, MemoryMappedViewAccessor view)
        {
            _file = file;
            _view = view;
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _pointer = p + view.PointerOffset;
        }

        /// <summary>Maps the file (creating it, 4096 bytes, if it is missing).</summary>
        public static Counters Map(string path)
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < 4096)
            {
                stream.SetLength(4096);
            }

            MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, 4096, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            return new Counters(file, file.CreateViewAccessor(0, 4096));
        }

        public ref long At(int offset) => ref *(long*)(_pointer + offset);

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
