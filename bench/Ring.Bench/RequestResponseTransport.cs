using System;
using System.Numerics;
using Ring.Channels;

namespace Ring.Bench;

/// <summary>
/// Request/response over a <see cref="DuplexChannel"/> (transport <c>ring-rr</c>, ping-pong only): the child listens as a
/// <see cref="RequestServer"/> whose handler echoes the request; the parent is a <see cref="RequestClient"/> and each
/// round trip is one synchronous <see cref="RequestClient.Request"/> (correlation id, pending table, response copied to
/// the caller). Compare with <c>uds</c> and <c>pipe</c> ping-pong in the same run: their round trips are the same
/// request/response pattern with a length-prefixed frame, without correlation. The parent removes both segments after
/// the cell.
/// </summary>
internal static class RequestResponseTransport
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    internal static RingOptions Options(CellSpec spec) => new()
    {
        // At least 64 KiB, and eight frames of the message plus its 16-byte request header (MaxMessageLength = capacity / 8).
        Capacity = (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(64L << 10, (spec.MessageSize + 32L) * 8)),
        WaitStrategy = WaitStrategy.Hybrid,
        OpenTimeout = TimeSpan.FromSeconds(10),
        Directory = ShmFloorTransport.Directory,
    };

    internal static CellResult RunParent(CellSpec spec, string resource)
    {
        var side = new ClientSide(resource, Options(spec), spec.MessageSize);
        try
        {
            using ChildHandle child = ChildHandle.Start(new ChildArgs(spec, resource, Environment.ProcessId));
            var channel = new RequestChannel(side);
            return ParentSide.Measure(ref channel, spec, child);
        }
        finally
        {
            side.Client?.Dispose();
            Cleanup.RemoveSegment(resource + DuplexChannel.UpSuffix);
            Cleanup.RemoveSegment(resource + DuplexChannel.DownSuffix);
        }
    }

    internal static void RunChild(ChildArgs args)
    {
        using RequestServer server = RequestServer.Listen(args.Resource, static (request, type, response) => response.Write(request), Options(args.Spec));
        ChildSide.SignalReady();
        ChildSide.InjectFault();
        server.Run();
    }

    /// <summary>The parent's client, connected at the first request (the child listens only once it is started).</summary>
    internal sealed class ClientSide(string name, RingOptions options, int messageSize)
    {
        internal RequestClient? Client { get; private set; }

        internal byte[] Reply { get; } = new byte[messageSize];

        internal int ReplyLength { get; set; } = -1;

        internal RequestClient Connect() => Client ??= RequestClient.Connect(name, Long, options);
    }

    /// <summary>
    /// Send makes the whole request (the round trip) and keeps the response; Receive hands it over. The copy out of
    /// the kept response is counted in the round trip: a cost ring-rr pays and the others do not.
    /// </summary>
    private readonly struct RequestChannel(ClientSide side) : IChannel
    {
        public int LapLength => 0; // the 0.25 s warm-up runs many laps of these small rings

        public void Send(ReadOnlySpan<byte> message)
        {
            RequestClient client = side.Client ?? side.Connect();
            side.ReplyLength = client.Request(message, side.Reply, Long).Length;
        }

        public int Receive(Span<byte> destination)
        {
            int length = side.ReplyLength;
            side.Reply.AsSpan(0, length).CopyTo(destination);
            side.ReplyLength = -1;
            return length;
        }

        public void SendBatch(ReadOnlySpan<byte> template, long firstSequence, int count) => throw new NotSupportedException("ring-rr runs ping-pong only");

        public int ReceiveBatch(ref MessageVerifier verifier) => throw new NotSupportedException("ring-rr runs ping-pong only");

        // The end of the stream: the client completes its direction, the server's Run returns, the child exits.
        public void SendEnd() => side.Client?.Dispose();
    }
}
