using System;
using System.Buffers;

namespace Ring.Channels;

/// <summary>Where a <see cref="ReassemblingReader"/> puts a whole message: a caller's span, a buffer writer or a handler.</summary>
internal interface IMessageSink
{
    /// <summary>The destination's length, for the message of a refusal (int.MaxValue where nothing is refused).</summary>
    int DestinationLength { get; }

    /// <summary>Where a fragmented message may be reassembled in place (the caller's span), or empty.</summary>
    Span<byte> DirectTarget { get; }

    /// <summary>Takes the message; false (and nothing taken) if it does not fit.</summary>
    bool TryDeliver(int type, ReadOnlySpan<byte> message);

    /// <summary>Takes the message reassembled in <see cref="DirectTarget"/>.</summary>
    void DeliverDirect(int type, int length);
}

/// <summary>Copies a message into a caller's span if it fits.</summary>
internal ref struct SpanSink : IMessageSink
{
    private readonly Span<byte> _destination;

    public SpanSink(Span<byte> destination) => _destination = destination;

    public RingMessage Message { get; private set; }

    public readonly int DestinationLength => _destination.Length;

    public readonly Span<byte> DirectTarget => _destination;

    public void DeliverDirect(int type, int length) => Message = new RingMessage(length, type);

    public bool TryDeliver(int type, ReadOnlySpan<byte> message)
    {
        if (message.Length > _destination.Length)
        {
            return false;
        }

        message.CopyTo(_destination);
        Message = new RingMessage(message.Length, type);
        return true;
    }
}

/// <summary>Appends a message to an <see cref="IBufferWriter{T}"/>.</summary>
internal struct BufferWriterSink : IMessageSink
{
    private readonly IBufferWriter<byte> _writer;

    public BufferWriterSink(IBufferWriter<byte> writer) => _writer = writer;

    public RingMessage Message { get; private set; }

    public readonly int DestinationLength => int.MaxValue;

    public readonly Span<byte> DirectTarget => default;

    public readonly void DeliverDirect(int type, int length) => throw new InvalidOperationException("a buffer writer has no direct target");

    public bool TryDeliver(int type, ReadOnlySpan<byte> message)
    {
        message.CopyTo(_writer.GetSpan(message.Length));
        _writer.Advance(message.Length);
        Message = new RingMessage(message.Length, type);
        return true;
    }
}

/// <summary>Hands a message to a caller's frame handler, in place.</summary>
internal ref struct HandlerSink<THandler> : IMessageSink
    where THandler : IFrameHandler
{
    private readonly ref THandler _handler;

    public HandlerSink(ref THandler handler) => _handler = ref handler;

    public readonly int DestinationLength => int.MaxValue;

    public readonly Span<byte> DirectTarget => default;

    public readonly void DeliverDirect(int type, int length) => throw new InvalidOperationException("a handler has no direct target");

    public readonly bool TryDeliver(int type, ReadOnlySpan<byte> message)
    {
        _handler.OnFrame(type, message);
        return true;
    }
}
