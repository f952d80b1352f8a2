using System.Threading;

namespace Ring.Channels;

/// <summary>
/// CancelPendingRead / CancelPendingFlush: a request flag (it cancels the next operation when none is pending) and a
/// token source the pending wait listens to. A source is reused until it has been cancelled, so a wait costs no
/// allocation unless the caller's token must be linked to it.
/// </summary>
internal sealed class PendingCancellation
{
    private CancellationTokenSource? _source;
    private int _requested;

    /// <summary>Requests cancellation (any thread): the pending wait ends, or the next operation returns at once.</summary>
    internal void Request()
    {
        // The flag first: a waiter that publishes its source after this load still sees the flag (ConsumeRequest).
        // A full fence, not a release store: store-then-load (flag, then source) against the waiter's store-then-load
        // (source, then flag in ConsumeRequest's exchange) is Dekker's pattern. A release store may be overtaken by the
        // load of the source (x64's store buffer allows it), and then both sides read the old values: this cancels the
        // previous source while the waiter, having seen no flag, waits on its new one, and CancelPendingRead is lost.
        Interlocked.Exchange(ref _requested, 1);
        CancellationTokenSource? source = Volatile.Read(ref _source);
        try
        {
            source?.Cancel();
        }
        catch (System.ObjectDisposedException)
        {
        }
    }

    /// <summary>True (once) if a cancellation was requested since the last call.</summary>
    internal bool ConsumeRequest() => Interlocked.Exchange(ref _requested, 0) != 0;

    /// <summary>
    /// The token a wait should use: this object's source, linked to <paramref name="cancellationToken"/> when that can be
    /// cancelled (dispose <paramref name="linked"/> after the wait). Check <see cref="ConsumeRequest"/> after this call.
    /// </summary>
    internal CancellationToken Prepare(CancellationToken cancellationToken, out CancellationTokenSource? linked)
    {
        CancellationTokenSource? source = _source;
        if (source is null || source.IsCancellationRequested)
        {
            source = new CancellationTokenSource();
            Volatile.Write(ref _source, source);
        }

        if (cancellationToken.CanBeCanceled)
        {
            linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, source.Token);
            return linked.Token;
        }

        linked = null;
        return source.Token;
    }

    /// <summary>Releases the source (the owner completed).</summary>
    internal void Dispose() => Interlocked.Exchange(ref _source, null)?.Dispose();
}
