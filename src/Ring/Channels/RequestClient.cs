using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Ring.Channels;

/// <summary>
/// The calling side of request/response over a <see cref="DuplexChannel"/>: each request carries a correlation id,
/// any number may be in flight (from several threads, synchronous and asynchronous at once), and each call ends with
/// its own response, the server's error (<see cref="RingRemoteException"/>), a timeout, a cancellation, or at once when
/// the server is found dead (<see cref="RingPeerDeadException"/>) or has closed (<see cref="RingCompletedException"/>).
/// </summary>
/// <remarks>
/// <para>
/// Who reads the responses. Only one thread may read the response ring at a time, so reading is a role guarded by a
/// lock. A synchronous <see cref="Request"/> takes the role itself when it is free: it sends, then reads responses
/// (delivering any that belong to other callers) until its own arrives, so a lone synchronous caller's round trip is
/// two ring hops with no thread hand-off. Callers that cannot take the role (another holds it) and asynchronous calls
/// are served by a dedicated background thread, which reads only while such callers wait.
/// </para>
/// <para>
/// Death. The server attaches as the response ring's writer when it listens, so its death is seen by whoever reads
/// (within the ring's liveness interval) even if it never answered: every call in flight fails, and later calls fail
/// at once. A response that arrives after its call timed out or was cancelled is dropped and counted
/// (<see cref="LateResponses"/>). The synchronous path allocates nothing per request once warm.
/// </para>
/// </remarks>
public sealed class RequestClient : IDisposable
{
    private static readonly TimeSpan PumpSlice = TimeSpan.FromMilliseconds(200);

    private readonly object _readLock = new();
    private readonly object _pendingLock = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly Dictionary<long, Pending> _pending = [];
    private readonly Stack<Pending> _pool = new();
    private readonly SemaphoreSlim _pumpSignal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private Thread? _pump;
    private long _nextId;
    private long _late;
    private int _needPump;
    private volatile Exception? _failure;
    private volatile bool _disposed;

    // The synchronous caller that holds the reading role, and its destination (pinned for the duration).
    private Pending? _owner;
    private unsafe byte* _ownerBuffer;
    private int _ownerCapacity;

    private RequestClient(DuplexChannel channel)
    {
        Channel = channel;
    }

    /// <summary>The channel to the server.</summary>
    public DuplexChannel Channel { get; }

    /// <summary>Largest request body: the request ring's maximum message length less the 16-byte header.</summary>
    public int MaxRequestLength => Channel.Outgoing.MaxMessageLength - RequestWire.HeaderLength;

    /// <summary>Largest response body the server can send.</summary>
    public int MaxResponseLength => Channel.Incoming.MaxMessageLength - RequestWire.HeaderLength;

    /// <summary>Requests sent and not yet answered, timed out or cancelled.</summary>
    public int InFlight
    {
        get
        {
            lock (_pendingLock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Responses that arrived after their call had timed out or been cancelled (dropped).</summary>
    public long LateResponses => Volatile.Read(ref _late);

    /// <summary>Connects to the server listening on <paramref name="name"/>, waiting up to <paramref name="timeout"/> for it to appear.</summary>
    /// <exception cref="TimeoutException">No server listened in time.</exception>
    /// <exception cref="RingPeerDeadException">The channel exists but its server is dead.</exception>
    public static RequestClient Connect(string name, TimeSpan timeout, RingOptions? options = null, CancellationToken cancellationToken = default) =>
        new(DuplexChannel.Connect(name, timeout, options, cancellationToken));

    /// <summary>
    /// Sends a request and waits up to <paramref name="timeout"/> for its response, which is copied to
    /// <paramref name="response"/>. Safe to call from several threads at once.
    /// </summary>
    /// <returns>The response's type and length.</returns>
    /// <exception cref="ArgumentException">The request is longer than <see cref="MaxRequestLength"/>, or the response did not fit <paramref name="response"/> (it is then lost).</exception>
    /// <exception cref="TimeoutException">No response in time (a late one is dropped).</exception>
    /// <exception cref="RingRemoteException">The server's handler threw.</exception>
    /// <exception cref="RingPeerDeadException">The server died.</exception>
    /// <exception cref="RingCompletedException">The server closed the channel.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public unsafe RingResponse Request(ReadOnlySpan<byte> request, Span<byte> response, TimeSpan timeout, int type = 0, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        CheckUsable(request.Length);
        long deadline = WaitLoop.Deadline(timeout);
        Pending p = Rent(isAsync: false);
        bool withdrawn = false; // this call took itself out of the table: nobody else will touch it
        try
        {
            long id = Register(p);
            if (_failure is Exception failed)
            {
                // The server went away between the check above and the registration: nobody will read for this call.
                throw Recreate(failed);
            }

            if (!Send(id, type, request, deadline, cancellationToken))
            {
                if (withdrawn = Unregister(p))
                {
                    throw new TimeoutException($"No room in the request ring of channel '{Channel.Name}' within {timeout.TotalMilliseconds} ms: the request was not sent.");
                }
            }

            fixed (byte* destination = response)
            {
                while (!p.IsDone)
                {
                    if (Monitor.TryEnter(_readLock))
                    {
                        try
                        {
                            _owner = p;
                            _ownerBuffer = destination;
                            _ownerCapacity = response.Length;
                            ReadUntil(p, deadline, cancellationToken);
                        }
                        finally
                        {
                            _owner = null;
                            _ownerBuffer = null;
                            Monitor.Exit(_readLock);
                            if (Volatile.Read(ref _needPump) > 0)
                            {
                                _pumpSignal.Release();
                            }
                        }
                    }
                    else
                    {
                        // Another thread reads: have the pump serve this call if that one leaves first.
                        Interlocked.Increment(ref _needPump);
                        try
                        {
                            StartPump();
                            if (p.Event.Wait(ToMilliseconds(deadline), cancellationToken))
                            {
                                // Set just before done (see Pending.Finish): wait for the store rather than go reading.
                                SpinWait spin = default;
                                while (!p.IsDone)
                                {
                                    spin.SpinOnce();
                                }
                            }
                        }
                        finally
                        {
                            Interlocked.Decrement(ref _needPump);
                        }
                    }

                    if (!p.IsDone && WaitLoop.Remaining(deadline) == TimeSpan.Zero && (withdrawn = Unregister(p)))
                    {
                        throw new TimeoutException($"No response from the server of channel '{Channel.Name}' within {timeout.TotalMilliseconds} ms.");
                    }
                }
            }

            if (p.Error is Exception error)
            {
                throw error;
            }

            if (p.DeliveredToOwner)
            {
                return p.Result;
            }

            // Another thread read the response into this call's buffer.
            if (p.Result.Length > response.Length)
            {
                throw TooSmall(p.Result.Length, response.Length);
            }

            p.Buffer.AsSpan(0, p.Result.Length).CopyTo(response);
            return p.Result;
        }
        catch
        {
            if (!withdrawn && !Unregister(p))
            {
                // A reader took the call out of the table and is delivering to it: let it finish before reuse.
                SpinWait spin = default;
                while (!p.IsDone)
                {
                    spin.SpinOnce();
                }
            }

            throw;
        }
        finally
        {
            Return(p);
        }
    }

    /// <summary>
    /// Sends a request and waits asynchronously up to <paramref name="timeout"/> for its response, which is copied to
    /// <paramref name="response"/>; exceptions as <see cref="Request"/>. The response is read by a dedicated thread,
    /// never a thread-pool thread; continuations run on the thread pool.
    /// </summary>
    public ValueTask<RingResponse> RequestAsync(ReadOnlyMemory<byte> request, Memory<byte> response, TimeSpan timeout, int type = 0, CancellationToken cancellationToken = default)
    {
        WaitLoop.CheckTimeout(timeout);
        CheckUsable(request.Length);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<RingResponse>(cancellationToken);
        }

        Pending p = Rent(isAsync: true);
        p.Target = response;
        long id = Register(p);
        Interlocked.Increment(ref _needPump);
        p.Arm(timeout, cancellationToken);
        if (_failure is Exception failed)
        {
            Fail(p, Recreate(failed));
            return new ValueTask<RingResponse>(p, p.Version);
        }

        try
        {
            // The common case sends at once, without the asynchronous machinery.
            if (!_sendGate.Wait(0, CancellationToken.None) || !TrySendNow(id, type, request.Span))
            {
                return SendSlowAsync(p, id, type, request, cancellationToken);
            }
        }
        catch (Exception e)
        {
            Fail(p, e);
            return new ValueTask<RingResponse>(p, p.Version);
        }

        StartPump();
        _pumpSignal.Release();
        return new ValueTask<RingResponse>(p, p.Version);
    }

    /// <summary>Fails every call in flight with <see cref="ObjectDisposedException"/>, completes the request direction (the server sees the end) and disposes the channel.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        FailAll(new ObjectDisposedException(nameof(RequestClient), $"The client of channel '{Channel.Name}' was disposed."));
        _stop.Cancel();
        _pumpSignal.Release();
        _pump?.Join(TimeSpan.FromSeconds(10));

        // A synchronous caller asleep in the response ring is interrupted by the ring's dispose (ObjectDisposedException).
        Channel.Dispose();
    }

    private static int ToMilliseconds(long deadline)
    {
        TimeSpan left = WaitLoop.Remaining(deadline);
        return left == Timeout.InfiniteTimeSpan ? Timeout.Infinite : (int)Math.Min(int.MaxValue, Math.Ceiling(left.TotalMilliseconds));
    }

    private static ArgumentException TooSmall(int length, int capacity) =>
        new($"The response of {length} bytes does not fit the buffer of {capacity} bytes; it was consumed and is lost. Give a buffer of at least {length} bytes (MaxResponseLength is the most a server can send).", "response");

    private void CheckUsable(int requestLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is Exception failure)
        {
            throw Recreate(failure);
        }

        if ((uint)requestLength > (uint)MaxRequestLength)
        {
            throw new ArgumentException($"A request of {requestLength} bytes is longer than the {MaxRequestLength} bytes a request on channel '{Channel.Name}' may have (the ring's maximum message length less the {RequestWire.HeaderLength}-byte header).", "request");
        }
    }

    /// <summary>A fresh exception like <paramref name="failure"/>, so that no two callers throw (and stamp a stack trace on) the same object.</summary>
    private static Exception Recreate(Exception failure) => failure switch
    {
        RingPeerDeadException dead => new RingPeerDeadException(dead.Message, dead.ProcessId),
        RingCompletedException => new RingCompletedException(failure.Message),
        ObjectDisposedException disposed => new ObjectDisposedException(disposed.ObjectName, disposed.Message),
        _ => new InvalidOperationException(failure.Message, failure),
    };

    private async ValueTask<RingResponse> SendSlowAsync(Pending p, long id, int type, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        try
        {
            await _sendGate.WaitAsync(p.Token).ConfigureAwait(false);
            try
            {
                while (!TryClaimAndSend(id, type, request.Span))
                {
                    await Channel.Outgoing.WaitToWriteAsync(request.Length + RequestWire.HeaderLength, p.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendGate.Release();
            }

            StartPump();
            _pumpSignal.Release();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The call's own timer fired while it waited for room: its callback fails the call.
        }
        catch (Exception e)
        {
            Fail(p, e);
        }

        return await new ValueTask<RingResponse>(p, p.Version).ConfigureAwait(false);
    }

    /// <summary>Sends under the send gate, already taken; releases it.</summary>
    private bool TrySendNow(long id, int type, ReadOnlySpan<byte> body)
    {
        try
        {
            return TryClaimAndSend(id, type, body);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>Sends one request, waiting for room until <paramref name="deadline"/>; false if there was none.</summary>
    private bool Send(long id, int type, ReadOnlySpan<byte> body, long deadline, CancellationToken cancellationToken)
    {
        if (!_sendGate.Wait(ToMilliseconds(deadline), cancellationToken))
        {
            return false;
        }

        try
        {
            while (!TryClaimAndSend(id, type, body))
            {
                if (!Channel.Outgoing.WaitToWrite(body.Length + RequestWire.HeaderLength, deadline, cancellationToken))
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>Claims the frame in place, writes header and body, commits: one copy of the body.</summary>
    private bool TryClaimAndSend(long id, int type, ReadOnlySpan<byte> body)
    {
        if (!Channel.Outgoing.TryClaim(body.Length + RequestWire.HeaderLength, RequestWire.Request, out Span<byte> frame))
        {
            return false;
        }

        RequestWire.WriteHeader(frame, id, type);
        body.CopyTo(frame[RequestWire.HeaderLength..]);
        Channel.Outgoing.Commit();
        return true;
    }

    /// <summary>Reads responses (holding the reading role) until <paramref name="p"/> is done or the deadline passes.</summary>
    private void ReadUntil(Pending p, long deadline, CancellationToken cancellationToken)
    {
        var dispatch = new Dispatch(this);
        while (!p.IsDone)
        {
            if (Channel.Incoming.Read(ref dispatch, 64) > 0)
            {
                continue;
            }

            ReadStatus status = Channel.Incoming.WaitToRead(deadline, cancellationToken);
            if (status == ReadStatus.TimedOut)
            {
                return;
            }

            if (status != ReadStatus.Message)
            {
                EndOfResponses(status);
                return;
            }
        }
    }

    /// <summary>The server is gone: fail every call in flight, and every later call at once.</summary>
    private void EndOfResponses(ReadStatus status)
    {
        int pid = Channel.Incoming.WriterProcessId;
        FailAll(status == ReadStatus.WriterDied
            ? new RingPeerDeadException($"The server of channel '{Channel.Name}' (pid {pid}) died; requests without a response will get none.", pid)
            : new RingCompletedException($"The server of channel '{Channel.Name}' closed the channel; requests without a response will get none."));
    }

    private void StartPump()
    {
        if (_pump is not null)
        {
            return;
        }

        lock (_pendingLock)
        {
            if (_pump is null)
            {
                _pump = new Thread(Pump) { IsBackground = true, Name = $"Ring client '{Channel.Name}' responses" };
                _pump.Start();
            }
        }
    }

    /// <summary>The dedicated reader for callers that do not read themselves: reads only while some wait.</summary>
    private void Pump()
    {
        var dispatch = new Dispatch(this);
        CancellationToken stop = _stop.Token;
        try
        {
            while (!_disposed)
            {
                _pumpSignal.Wait(stop);
                while (Volatile.Read(ref _needPump) > 0 && !_disposed && _failure is null)
                {
                    lock (_readLock)
                    {
                        if (Channel.Incoming.Read(ref dispatch, 64) > 0)
                        {
                            continue;
                        }

                        ReadStatus status = Channel.Incoming.WaitToRead(WaitLoop.Deadline(PumpSlice), stop);
                        if (status is ReadStatus.Completed or ReadStatus.WriterDied)
                        {
                            EndOfResponses(status);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception e)
        {
            // Corrupt shared memory or the like: nobody can read responses any more.
            FailAll(e);
        }
    }

    /// <summary>Hands one response frame to its call (the reading role is held).</summary>
    private unsafe void Deliver(int kind, ReadOnlySpan<byte> frame)
    {
        if ((kind != RequestWire.Response && kind != RequestWire.Error) || frame.Length < RequestWire.HeaderLength)
        {
            Interlocked.Increment(ref _late);
            return;
        }

        long id = RequestWire.Id(frame);
        Pending? p;
        lock (_pendingLock)
        {
            if (!_pending.Remove(id, out p))
            {
                Interlocked.Increment(ref _late);
                return;
            }
        }

        ReadOnlySpan<byte> body = frame[RequestWire.HeaderLength..];
        if (kind == RequestWire.Error)
        {
            Complete(p, default, RemoteError(body));
            return;
        }

        var result = new RingResponse(RequestWire.Type(frame), body.Length);
        if (p == _owner)
        {
            if (body.Length > _ownerCapacity)
            {
                Complete(p, default, TooSmall(body.Length, _ownerCapacity));
                return;
            }

            body.CopyTo(new Span<byte>(_ownerBuffer, _ownerCapacity));
            p.DeliveredToOwner = true;
            Complete(p, result, null);
        }
        else if (p.IsAsync)
        {
            if (body.Length > p.Target.Length)
            {
                Complete(p, default, TooSmall(body.Length, p.Target.Length));
                return;
            }

            body.CopyTo(p.Target.Span);
            Complete(p, result, null);
        }
        else
        {
            if (p.Buffer.Length < body.Length)
            {
                p.Buffer = new byte[Channel.Incoming.MaxMessageLength];
            }

            body.CopyTo(p.Buffer);
            Complete(p, result, null);
        }
    }

    private static RingRemoteException RemoteError(ReadOnlySpan<byte> body)
    {
        string text = System.Text.Encoding.UTF8.GetString(body);
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? new RingRemoteException("unknown", text) : new RingRemoteException(text[..newline], text[(newline + 1)..]);
    }

    private long Register(Pending p)
    {
        lock (_pendingLock)
        {
            long id = ++_nextId;
            p.Id = id;
            _pending.Add(id, p);
            return id;
        }
    }

    /// <summary>Withdraws a call; true if it was still waiting (so the caller owns its ending).</summary>
    private bool Unregister(Pending p)
    {
        lock (_pendingLock)
        {
            return _pending.Remove(p.Id);
        }
    }

    /// <summary>Ends a call that the caller has just withdrawn from the pending table (or found there, for failures).</summary>
    private void Complete(Pending p, RingResponse result, Exception? error)
    {
        if (p.IsAsync)
        {
            Interlocked.Decrement(ref _needPump);
        }

        p.Finish(result, error);
    }

    /// <summary>Fails one asynchronous call, if it is still waiting.</summary>
    private void Fail(Pending p, Exception e)
    {
        if (Unregister(p))
        {
            Complete(p, default, e);
        }
    }

    private void FailAll(Exception e)
    {
        _failure ??= e;
        List<Pending> all;
        lock (_pendingLock)
        {
            all = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (Pending p in all)
        {
            Complete(p, default, Recreate(e));
        }
    }

    private Pending Rent(bool isAsync)
    {
        Pending? p = null;
        lock (_pool)
        {
            _pool.TryPop(out p);
        }

        p ??= new Pending(this);
        p.Reset(isAsync);
        return p;
    }

    private void Return(Pending p)
    {
        p.Target = default;
        lock (_pool)
        {
            _pool.Push(p);
        }
    }

    private void OnAsyncTimeout(Pending p)
    {
        Exception e = p.UserToken.IsCancellationRequested
            ? new OperationCanceledException(p.UserToken)
            : new TimeoutException($"No response from the server of channel '{Channel.Name}' within {p.Timeout.TotalMilliseconds} ms.");
        Fail(p, e);
    }

    private readonly struct Dispatch(RequestClient client) : IFrameHandler
    {
        public void OnFrame(int type, ReadOnlySpan<byte> payload) => client.Deliver(type, payload);
    }

    /// <summary>One call in flight; pooled, so that steady calls allocate nothing.</summary>
    private sealed class Pending(RequestClient client) : IValueTaskSource<RingResponse>
    {
        private ManualResetValueTaskSourceCore<RingResponse> _core = new() { RunContinuationsAsynchronously = true };
        private CancellationTokenSource? _timer;
        private CancellationTokenRegistration _registration;
        private CancellationTokenRegistration _timerRegistration;
        private volatile bool _done;

        internal long Id { get; set; }

        internal bool IsAsync { get; private set; }

        internal bool IsDone => _done;

        internal bool DeliveredToOwner { get; set; }

        internal RingResponse Result { get; private set; }

        internal Exception? Error { get; private set; }

        internal Memory<byte> Target { get; set; }

        internal byte[] Buffer { get; set; } = [];

        internal ManualResetEventSlim Event { get; } = new(false, 0);

        internal CancellationToken UserToken { get; private set; }

        internal TimeSpan Timeout { get; private set; }

        internal CancellationToken Token => _timer?.Token ?? UserToken;

        internal short Version => _core.Version;

        internal void Reset(bool isAsync)
        {
            IsAsync = isAsync;
            _done = false;
            DeliveredToOwner = false;
            Result = default;
            Error = null;
            Event.Reset();
            if (isAsync)
            {
                _core.Reset();
            }
        }

        /// <summary>Starts the call's timer: it fails the call at the timeout or on the caller's cancellation.</summary>
        internal void Arm(TimeSpan timeout, CancellationToken cancellationToken)
        {
            UserToken = cancellationToken;
            Timeout = timeout;
            if (timeout == System.Threading.Timeout.InfiniteTimeSpan && !cancellationToken.CanBeCanceled)
            {
                return;
            }

            if (_timer is null || !_timer.TryReset())
            {
                _timer?.Dispose();
                _timer = new CancellationTokenSource();
            }

            _registration = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _timer)
                : default;
            _timerRegistration = _timer.Token.UnsafeRegister(static s => { var p = (Pending)s!; p.Owner.OnAsyncTimeout(p); }, this);
            if (timeout != System.Threading.Timeout.InfiniteTimeSpan)
            {
                _timer.CancelAfter(timeout);
            }
        }

        internal RequestClient Owner => client;

        /// <summary>
        /// Ends the call. The last touch of this object by the finisher is the store of done (synchronous) or the
        /// completion of the value-task source (asynchronous): either lets the caller return it to the pool.
        /// </summary>
        internal void Finish(RingResponse result, Exception? error)
        {
            Result = result;
            Error = error;
            if (IsAsync)
            {
                _done = true;
                if (error is null)
                {
                    _core.SetResult(result);
                }
                else
                {
                    _core.SetException(error);
                }
            }
            else
            {
                Event.Set();
                _done = true;
            }
        }

        public RingResponse GetResult(short token)
        {
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                // Disposing a registration waits for its callback if it runs: after this, no timer can touch the
                // call, and the object may be reused.
                _registration.Dispose();
                _registration = default;
                _timerRegistration.Dispose();
                _timerRegistration = default;
                _timer?.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
                client.Return(this);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
