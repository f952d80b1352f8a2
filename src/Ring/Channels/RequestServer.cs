using System;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Channels;

/// <summary>
/// Handles one request: reads <paramref name="request"/> (valid only during the call) and writes the response body
/// to <paramref name="response"/> (setting <see cref="ResponseWriter.Type"/> if it likes). An exception thrown here is
/// sent back as an error response, and the client's call throws <see cref="RingRemoteException"/>.
/// </summary>
/// <param name="request">The request body.</param>
/// <param name="type">The request's message type, as the client gave it.</param>
/// <param name="response">Where the response goes.</param>
public delegate void RequestHandler(ReadOnlySpan<byte> request, int type, ResponseWriter response);

/// <summary>
/// The serving side of request/response: listens on a <see cref="DuplexChannel"/>, reads requests in place, calls a
/// <see cref="RequestHandler"/> for each, in the order they arrive, on one thread, and sends each response (or the
/// handler's error) back with the request's correlation id.
/// </summary>
/// <remarks>
/// A channel carries one conversation with one client: <see cref="Run"/> returns when that client completes its
/// direction (disposes its <see cref="RequestClient"/>) or dies. Frames that are not requests are counted in
/// <see cref="MalformedRequests"/> and skipped. No allocation per request, unless the handler throws.
/// </remarks>
public sealed class RequestServer : IDisposable
{
    private readonly RequestHandler _handler;
    private readonly ResponseWriter _response;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private TaskCompletionSource<ReadStatus>? _completion;
    private CancellationToken _token;
    private long _served;
    private long _failures;
    private long _malformed;
    private int _running;
    private bool _disposed;

    private RequestServer(DuplexChannel channel, RequestHandler handler)
    {
        Channel = channel;
        _handler = handler;
        _response = new ResponseWriter(channel.Outgoing.MaxMessageLength);
    }

    /// <summary>The channel the server listens on (its name is the server's name).</summary>
    public DuplexChannel Channel { get; }

    /// <summary>Requests answered with a response.</summary>
    public long RequestsServed => Volatile.Read(ref _served);

    /// <summary>Requests whose handler threw (answered with an error).</summary>
    public long HandlerFailures => Volatile.Read(ref _failures);

    /// <summary>Frames that were not well-formed requests (skipped).</summary>
    public long MalformedRequests => Volatile.Read(ref _malformed);

    /// <summary>Creates the channel <paramref name="name"/> and returns its server (not yet running: see <see cref="Run"/> and <see cref="Start"/>).</summary>
    /// <exception cref="System.IO.IOException">A live process still holds a channel of that name.</exception>
    public static RequestServer Listen(string name, RequestHandler handler, RingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        DuplexChannel channel = DuplexChannel.Listen(name, options);
        if (channel.Outgoing.MaxMessageLength <= RequestWire.HeaderLength || channel.Incoming.MaxMessageLength <= RequestWire.HeaderLength)
        {
            channel.Dispose();
            throw new ArgumentOutOfRangeException(nameof(options), $"Request/response needs a maximum message length above the {RequestWire.HeaderLength}-byte header; the rings allow {channel.Outgoing.MaxMessageLength}.");
        }

        return new RequestServer(channel, handler);
    }

    /// <summary>Waits until a client has connected; false at the timeout.</summary>
    public bool WaitForClient(TimeSpan timeout, CancellationToken cancellationToken = default) => Channel.WaitForPeer(timeout, cancellationToken);

    /// <summary>
    /// Serves requests on the calling thread until the client completes (<see cref="ReadStatus.Completed"/>) or dies
    /// (<see cref="ReadStatus.WriterDied"/>; every request it sent was answered).
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled, or the server disposed.</exception>
    /// <exception cref="InvalidOperationException">The server is already running.</exception>
    public ReadStatus Run(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException($"Server '{Channel.Name}' is already running.");
        }

        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        _token = linked.Token;
        try
        {
            var handler = new Dispatch(this);
            while (true)
            {
                if (Channel.Incoming.Read(ref handler, 64) > 0)
                {
                    continue;
                }

                ReadStatus status = Channel.Incoming.WaitToRead(long.MaxValue, _token);
                if (status != ReadStatus.Message)
                {
                    return status;
                }
            }
        }
        catch (RingPeerDeadException)
        {
            // The client died while its response ring was full: the conversation is over.
            return ReadStatus.WriterDied;
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>
    /// Runs <see cref="Run"/> on a dedicated background thread (never a thread-pool thread). The task ends with the
    /// conversation (its result says how), is cancelled if the server is disposed while serving, or faults with what
    /// stopped it.
    /// </summary>
    public Task<ReadStatus> Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completion is not null)
        {
            throw new InvalidOperationException($"Server '{Channel.Name}' was already started.");
        }

        var completion = new TaskCompletionSource<ReadStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        _completion = completion;
        _thread = new Thread(() =>
        {
            try
            {
                completion.SetResult(Run());
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                completion.SetCanceled(); // disposed while serving
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = $"Ring server '{Channel.Name}'",
        };
        _thread.Start();
        return completion.Task;
    }

    /// <summary>Stops serving (a running <see cref="Run"/> ends with <see cref="OperationCanceledException"/>), completes the response direction and disposes the channel.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stop.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(10));
        Channel.Dispose();
        _stop.Dispose();
    }

    private void Handle(int kind, ReadOnlySpan<byte> frame)
    {
        if (kind != RequestWire.Request || frame.Length < RequestWire.HeaderLength)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        long id = RequestWire.Id(frame);
        int responseKind = RequestWire.Response;
        _response.Reset();
        try
        {
            _handler(frame[RequestWire.HeaderLength..], RequestWire.Type(frame), _response);
            Interlocked.Increment(ref _served);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            responseKind = RequestWire.Error;
            WriteError(e);
        }

        Channel.Outgoing.Write(_response.Frame(id), responseKind, _token);
    }

    /// <summary>The error body: the exception's type name, a newline, its message, cut to fit with a note saying so.</summary>
    private void WriteError(Exception e)
    {
        _response.Reset();
        string text = $"{e.GetType().FullName}\n{e.Message}";
        const string Cut = " (message cut to fit the frame)";
        if (Encoding.UTF8.GetByteCount(text) > _response.Capacity)
        {
            int keep = Math.Max(0, (_response.Capacity / 4) - Cut.Length);
            text = string.Concat(text.AsSpan(0, Math.Min(keep, text.Length)), Cut);
        }

        int written = Encoding.UTF8.GetBytes(text, _response.GetSpan(0));
        _response.Advance(written);
    }

    private readonly struct Dispatch(RequestServer server) : IFrameHandler
    {
        public void OnFrame(int type, ReadOnlySpan<byte> payload) => server.Handle(type, payload);
    }
}
