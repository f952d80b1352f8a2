using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Ring;

/// <summary>
/// Turns a blocking cross-process wait into a <see cref="ValueTask{TResult}"/> without blocking a thread-pool thread:
/// one dedicated background thread per ring side does the futex sleeps and completes a reusable value-task source
/// (no allocation per await). One wait at a time per side; continuations run on the thread pool, never on this thread.
/// </summary>
internal sealed class DedicatedAsyncWaiter : IValueTaskSource<bool>, IValueTaskSource
{
    private readonly Func<long, CancellationToken, bool> _wait;
    private readonly string _threadName;
    private readonly SemaphoreSlim _requests = new(0);
    private ManualResetValueTaskSourceCore<bool> _core;
    private Thread? _thread;
    private CancellationToken _token;
    private long _argument;
    private int _pending;
    private volatile bool _stopping;

    internal DedicatedAsyncWaiter(Func<long, CancellationToken, bool> wait, string threadName)
    {
        _wait = wait;
        _threadName = threadName;
        _core.RunContinuationsAsynchronously = true;
    }

    /// <summary>Starts a wait; the result says whether the awaited state holds (see the wait function).</summary>
    internal ValueTask<bool> WaitAsync(long argument, CancellationToken cancellationToken) =>
        new(this, Start(argument, cancellationToken));

    /// <summary>Starts a wait whose result is of no interest (it completes, or throws).</summary>
    internal ValueTask WaitAsyncNoResult(long argument, CancellationToken cancellationToken) =>
        new(this, Start(argument, cancellationToken));

    private short Start(long argument, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _pending, 1, 0) != 0)
        {
            ThrowHelper.ThrowConcurrentAsyncWait();
        }

        _core.Reset();
        _argument = argument;
        _token = cancellationToken;
        if (_thread is null)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = _threadName };
            _thread.Start();
        }

        _requests.Release();
        return _core.Version;
    }

    /// <summary>Ends the thread once its current wait returns (the owner interrupts that wait first).</summary>
    internal void Stop(TimeSpan joinTimeout)
    {
        _stopping = true;
        _requests.Release();
        _thread?.Join(joinTimeout);
    }

    private void Run()
    {
        while (true)
        {
            _requests.Wait();
            if (_stopping)
            {
                // Only a wait not yet completed: the owner's interrupt usually ends the current one first (with
                // ObjectDisposedException) before Stop, and completing the source twice throws on this thread, which
                // takes the process down. Only this thread completes the source, so the status read here is exact.
                if (Volatile.Read(ref _pending) != 0 && _core.GetStatus(_core.Version) == ValueTaskSourceStatus.Pending)
                {
                    _core.SetException(new ObjectDisposedException(_threadName));
                }

                return;
            }

            try
            {
                bool result = _wait(_argument, _token);
                _core.SetResult(result);
            }
            catch (Exception e)
            {
                _core.SetException(e);
            }
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Volatile.Write(ref _pending, 0);
        }
    }

    void IValueTaskSource.GetResult(short token) => ((IValueTaskSource<bool>)this).GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
