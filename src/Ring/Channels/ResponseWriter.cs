using System;
using System.Buffers;

namespace Ring.Channels;

/// <summary>
/// Where a <see cref="RequestHandler"/> writes its response: an <see cref="IBufferWriter{T}"/> over one frame of the
/// response ring (no allocation per request: the server reuses it). A response may be at most <see cref="Capacity"/>
/// bytes; asking for more throws, and the client then receives the error instead of a cut response.
/// </summary>
public sealed class ResponseWriter : IBufferWriter<byte>
{
    private readonly byte[] _frame;
    private int _written;

    internal ResponseWriter(int maxFrameLength)
    {
        _frame = new byte[maxFrameLength];
    }

    /// <summary>The response's message type (0 unless the handler sets it).</summary>
    public int Type { get; set; }

    /// <summary>Bytes written so far.</summary>
    public int WrittenCount => _written;

    /// <summary>Largest response body, in bytes: the response ring's maximum message length less the 16-byte header.</summary>
    public int Capacity => _frame.Length - RequestWire.HeaderLength;

    /// <summary>Appends <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The response would exceed <see cref="Capacity"/>.</exception>
    public void Write(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetSpan(data.Length));
        Advance(data.Length);
    }

    /// <inheritdoc/>
    public void Advance(int count)
    {
        if ((uint)count > (uint)(Capacity - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Advance({count}) after {_written} bytes exceeds the response capacity of {Capacity} bytes (and must not be negative).");
        }

        _written += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0) => _frame.AsMemory(Reserve(sizeHint));

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0) => _frame.AsSpan(Reserve(sizeHint));

    internal void Reset()
    {
        _written = 0;
        Type = 0;
    }

    /// <summary>The frame to send: the header for <paramref name="id"/> followed by the body written.</summary>
    internal ReadOnlySpan<byte> Frame(long id)
    {
        RequestWire.WriteHeader(_frame, id, Type);
        return _frame.AsSpan(0, RequestWire.HeaderLength + _written);
    }

    private int Reserve(int sizeHint)
    {
        int start = RequestWire.HeaderLength + _written;
        if (sizeHint < 0 || sizeHint > _frame.Length - start)
        {
            throw new ArgumentOutOfRangeException(nameof(sizeHint), sizeHint, $"A response may be at most {Capacity} bytes; {_written} are written and {sizeHint} more were asked for.");
        }

        return start;
    }
}
