using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Threading;

namespace Ring;

/// <summary>
/// TEMPORARY stand-in for the library's SharedMutex (being written on main) so that the bench compiles: a spin lock on
/// a word in /dev/shm. Delete this file when the real class is merged; its numbers mean nothing.
/// </summary>
public sealed unsafe class SharedMutex : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly int* _word;
    private bool _owned;
    private bool _disposed;

    private SharedMutex(FileStream stream)
    {
        _file = MemoryMappedFile.CreateFromFile(stream, null, 64, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        _view = _file.CreateViewAccessor(0, 64, MemoryMappedFileAccess.ReadWrite);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _word = (int*)(p + _view.PointerOffset);
    }

    public static SharedMutex Create(string name, RingOptions? options = null)
    {
        var stream = new FileStream(PathOf(name, options), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        stream.SetLength(64);
        return new SharedMutex(stream);
    }

    public static SharedMutex Open(string name, RingOptions? options = null) =>
        new(new FileStream(PathOf(name, options), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete));

    public bool TryAcquire()
    {
        if (Interlocked.CompareExchange(ref *_word, 1, 0) == 0)
        {
            _owned = true;
            return true;
        }

        return false;
    }

    public bool TryAcquire(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var spinner = default(SpinWait);
        while (!TryAcquire())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            spinner.SpinOnce();
        }

        return true;
    }

    public void Acquire(CancellationToken cancellationToken = default) => TryAcquire(TimeSpan.FromDays(1), cancellationToken);

    public void Release()
    {
        if (!_owned)
        {
            throw new SynchronizationLockException("not owned");
        }

        _owned = false;
        Volatile.Write(ref *_word, 0);
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

    private static string PathOf(string name, RingOptions? options) => Path.Combine(options?.Directory ?? RingOptions.DefaultDirectory, name);
}
