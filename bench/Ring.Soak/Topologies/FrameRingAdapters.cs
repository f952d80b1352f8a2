using System;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Soak;

/// <summary>
/// A writer side for any frame ring, over the library's <see cref="IMessageWriter"/>; the wait for room is the ring's
/// own <c>WaitToWriteAsync</c>, which that interface does not carry, so the topology passes it in.
/// </summary>
internal sealed class FrameRingWriter(IMessageWriter ring, Func<int, CancellationToken, ValueTask> waitToWrite) : ITopologyWriter
{
    public int MaxMessageLength => ring.MaxMessageLength;

    public bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout) => ring.TryWrite(message, type, timeout);

    public bool TryClaim(int length, int type, out Span<byte> payload) => ring.TryClaim(length, type, out payload);

    public void Commit() => ring.Commit();

    public ReadOutcome WaitForSpace(int length, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            waitToWrite(length, cts.Token).AsTask().GetAwaiter().GetResult();
            return ReadOutcome.Message;
        }
        catch (OperationCanceledException)
        {
            return ReadOutcome.TimedOut;
        }
        catch (RingPeerDeadException)
        {
            return ReadOutcome.PeerDied;
        }
    }

    public void Complete() => ring.Complete();

    public void Dispose() => ring.Dispose();
}

/// <summary>A reader side for any frame ring, over the library's <see cref="IMessageReader"/>.</summary>
internal sealed class FrameRingReader(IMessageReader ring) : ITopologyReader
{
    public int MaxMessageLength => ring.MaxMessageLength;

    public int TryRead(IMessageSink sink, int limit)
    {
        var handler = new SinkHandler(sink);
        return ring.Read(ref handler, limit);
    }

    public bool TryRead(Span<byte> destination, out int length)
    {
        bool read = ring.TryRead(destination, out RingMessage message);
        length = message.Length;
        return read;
    }

    public ReadOutcome Read(Span<byte> destination, out int length, TimeSpan timeout)
    {
        ReadStatus status = ring.Read(destination, out RingMessage message, timeout);
        length = message.Length;
        return status switch
        {
            ReadStatus.Message => ReadOutcome.Message,
            ReadStatus.Completed => ReadOutcome.Completed,
            ReadStatus.WriterDied => ReadOutcome.PeerDied,
            _ => ReadOutcome.TimedOut,
        };
    }

    public ReadOutcome WaitForData(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return ring.WaitToReadAsync(cts.Token).AsTask().GetAwaiter().GetResult() ? ReadOutcome.Message : ReadOutcome.Completed;
        }
        catch (OperationCanceledException)
        {
            return ReadOutcome.TimedOut;
        }
        catch (RingPeerDeadException)
        {
            return ReadOutcome.PeerDied;
        }
    }

    public void Dispose() => ring.Dispose();

    private readonly struct SinkHandler(IMessageSink sink) : IFrameHandler
    {
        public void OnFrame(int type, ReadOnlySpan<byte> payload) => sink.OnMessage(payload);
    }
}
