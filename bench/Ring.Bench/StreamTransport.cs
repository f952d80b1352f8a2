using System;
using System.Buffers.Binary;
using System.IO;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace Ring.Bench;

/// <summary>
/// Byte-stream transports with length-prefixed frames (4-byte little-endian length, then the payload; length -1 ends
/// the stream). <c>pipe</c>: the child's redirected stdin (parent to child) and stdout (child to parent), raw streams.
/// <c>uds</c>: a Unix domain stream socket at a temporary path, removed afterwards.
/// </summary>
internal static class StreamTransport
{
    internal static CellResult RunPipeParent(CellSpec spec, string resource)
    {
        using ChildHandle child = ChildHandle.Start(new ChildArgs(spec, resource, Environment.ProcessId));
        Stream? tx = spec.Scenario == ScenarioKind.PingPong ? child.StandardInput : null;
        var channel = new StreamChannel(tx, child.StandardOutput, spec.MessageSize);
        return ParentSide.Measure(ref channel, spec, child);
    }

    internal static void RunPipeChild(ChildArgs args)
    {
        // Raw descriptors 0 and 1, unbuffered: the console streams add locking and cursor bookkeeping per write.
        using var stdin = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        using var stdout = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        Stream? rx = args.Spec.Scenario == ScenarioKind.PingPong ? stdin : null;
        var channel = new StreamChannel(stdout, rx, args.Spec.MessageSize);
        ChildSide.Run(ref channel, args);
    }

    internal static CellResult RunUdsParent(CellSpec spec, string resource)
    {
        string path = Path.Combine(Path.GetTempPath(), resource + ".sock");
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            using ChildHandle child = ChildHandle.Start(new ChildArgs(spec, path, Environment.ProcessId));
            Socket connection;
            try
            {
                // The child connects before it says READY, so the connection is already queued.
                child.WaitReady();
                if (!listener.Poll(TimeSpan.FromSeconds(10), SelectMode.SelectRead))
                {
                    throw new TimeoutException("the child did not connect");
                }

                connection = listener.Accept();
            }
            catch (Exception e)
            {
                return ParentSide.Failed(spec, child.Describe(e));
            }

            using (connection)
            {
                using var stream = new NetworkStream(connection, ownsSocket: false);
                Stream? tx = spec.Scenario == ScenarioKind.PingPong ? stream : null;
                var channel = new StreamChannel(tx, stream, spec.MessageSize);
                return ParentSide.Measure(ref channel, spec, child);
            }
        }
        finally
        {
            Cleanup.DeleteFile(path);
        }
    }

    internal static void RunUdsChild(ChildArgs args)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(args.Resource));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        Stream? rx = args.Spec.Scenario == ScenarioKind.PingPong ? stream : null;
        var channel = new StreamChannel(stream, rx, args.Spec.MessageSize);
        ChildSide.Run(ref channel, args);
    }
}

/// <summary>
/// One side of a framed byte stream. The plain path is one write per frame and two exact reads (length, payload); the
/// batched path coalesces frames into 64 KiB writes and parses frames out of large reads.
/// </summary>
internal struct StreamChannel : IChannel
{
    private const int HeaderLength = 4;
    private const int EndOfStream = -1;

    private readonly Stream? _tx;
    private readonly Stream? _rx;
    private readonly int _maxLength;
    private readonly byte[] _sendBuffer;
    private readonly byte[] _receiveBuffer;
    private int _start;
    private int _end;

    internal StreamChannel(Stream? tx, Stream? rx, int maxLength)
    {
        _tx = tx;
        _rx = rx;
        _maxLength = maxLength;
        _sendBuffer = new byte[Math.Max(Drivers.BatchBytes, HeaderLength + maxLength)];
        _receiveBuffer = rx is null ? [] : new byte[Math.Max(256 * 1024, 4 * (HeaderLength + maxLength))];
    }

    public readonly void Send(ReadOnlySpan<byte> message)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_sendBuffer, message.Length);
        message.CopyTo(_sendBuffer.AsSpan(HeaderLength));
        _tx!.Write(_sendBuffer, 0, HeaderLength + message.Length);
    }

    public readonly int Receive(Span<byte> destination)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        _rx!.ReadExactly(header);
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length == EndOfStream)
        {
            return -1;
        }

        if ((uint)length > (uint)destination.Length)
        {
            throw new InvalidDataException($"frame length {length} is invalid (at most {destination.Length})");
        }

        _rx.ReadExactly(destination[..length]);
        return length;
    }

    public readonly void SendBatch(ReadOnlySpan<byte> template, long firstSequence, int count)
    {
        byte[] buffer = _sendBuffer;
        int frame = HeaderLength + template.Length;
        int used = 0;
        for (int i = 0; i < count; i++)
        {
            if (used + frame > buffer.Length)
            {
                _tx!.Write(buffer, 0, used);
                used = 0;
            }

            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(used), template.Length);
            Span<byte> payload = buffer.AsSpan(used + HeaderLength, template.Length);
            template.CopyTo(payload);
            Payload.Stamp(payload, firstSequence + i);
            used += frame;
        }

        if (used > 0)
        {
            _tx!.Write(buffer, 0, used);
        }
    }

    public int ReceiveBatch(ref MessageVerifier verifier)
    {
        byte[] buffer = _receiveBuffer;
        while (true)
        {
            int count = 0;
            while (_end - _start >= HeaderLength)
            {
                int length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(_start));
                if (length == EndOfStream)
                {
                    if (count > 0)
                    {
                        // Hand out these first; the marker stays for the next call.
                        return count;
                    }

                    _start += HeaderLength;
                    return -1;
                }

                if ((uint)length > (uint)_maxLength)
                {
                    throw new InvalidDataException($"frame length {length} is invalid (at most {_maxLength})");
                }

                if (_end - _start - HeaderLength < length)
                {
                    break;
                }

                verifier.Check(buffer.AsSpan(_start + HeaderLength, length));
                _start += HeaderLength + length;
                count++;
            }

            if (count > 0)
            {
                return count;
            }

            // Keep the partial frame, then read as much as the stream has.
            if (_start > 0)
            {
                buffer.AsSpan(_start, _end - _start).CopyTo(buffer);
                _end -= _start;
                _start = 0;
            }

            int read = _rx!.Read(buffer, _end, buffer.Length - _end);
            if (read == 0)
            {
                throw new EndOfStreamException("the stream closed without its end marker");
            }

            _end += read;
        }
    }

    public readonly int LapLength => 0;

    public readonly void SendEnd()
    {
        BinaryPrimitives.WriteInt32LittleEndian(_sendBuffer, EndOfStream);
        _tx!.Write(_sendBuffer, 0, HeaderLength);
        _tx.Flush();
    }
}
