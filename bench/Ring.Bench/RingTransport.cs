using System;
using System.IO;
using System.Numerics;
using System.Runtime.CompilerServices;
using Ring.Layout;

namespace Ring.Bench;

/// <summary>
/// The library's <see cref="OneToOneRing"/> under one wait strategy. Ping-pong uses two rings (ping: parent to child,
/// pong: child to parent); the one-way scenarios one (child to parent). The parent creates the segments and removes
/// them; the child only opens them.
/// </summary>
internal static class RingTransport
{
    internal static RingOptions Options(CellSpec spec) => new()
    {
        // Room for 64 KiB messages and many in flight; MaxMessageLength 0 means capacity / 8.
        Capacity = CapacityFor(spec.MessageSize),
        WaitStrategy = spec.Transport switch
        {
            TransportKind.RingSpin => WaitStrategy.BusySpin,
            TransportKind.RingBlock => WaitStrategy.Blocking,
            _ => WaitStrategy.Hybrid,
        },
        OpenTimeout = TimeSpan.FromSeconds(10),
        Directory = ShmFloorTransport.Directory,
    };

    internal static long CapacityFor(int messageSize) =>
        (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(4L << 20, (messageSize + 8L) * 8));

    internal static CellResult RunParent(CellSpec spec, string resource)
    {
        RingOptions options = Options(spec);
        bool pingPong = spec.Scenario == ScenarioKind.PingPong;
        string toChild = resource + "-ping";
        string toParent = resource + (pingPong ? "-pong" : "-data");
        OneToOneRing? tx = null;
        OneToOneRing? rx = null;
        try
        {
            rx = OneToOneRing.Create(toParent, options);
            tx = pingPong ? OneToOneRing.Create(toChild, options) : null;
            using ChildHandle child = ChildHandle.Start(new ChildArgs(spec, resource, Environment.ProcessId));
            var channel = new RingChannel(tx, rx, spec.MessageSize);
            return ParentSide.Measure(ref channel, spec, child);
        }
        finally
        {
            tx?.Dispose();
            rx?.Dispose();
            Cleanup.RemoveSegment(toParent);
            if (pingPong)
            {
                Cleanup.RemoveSegment(toChild);
            }
        }
    }

    internal static void RunChild(ChildArgs args)
    {
        RingOptions options = Options(args.Spec);
        bool pingPong = args.Spec.Scenario == ScenarioKind.PingPong;
        using OneToOneRing tx = OneToOneRing.Open(args.Resource + (pingPong ? "-pong" : "-data"), options);
        using OneToOneRing? rx = pingPong ? OneToOneRing.Open(args.Resource + "-ping", options) : null;
        var channel = new RingChannel(tx, rx, args.Spec.MessageSize);
        ChildSide.Run(ref channel, args);
    }
}

/// <summary>
/// One side of a ring transport. Blocking calls wait with the ring's strategy, in slices of <see cref="s_poll"/> so that
/// the watchdog is checked; the batched paths are the zero-copy ones (TryClaim/Commit, batch Read with a handler),
/// falling back to one blocking call when the ring is full or empty so that waiting still follows the strategy.
/// </summary>
internal readonly struct RingChannel : IChannel
{
    private const int BatchLimit = 1024;
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);

    private readonly OneToOneRing? _tx;
    private readonly OneToOneRing? _rx;
    private readonly byte[] _scratch;

    internal RingChannel(OneToOneRing? tx, OneToOneRing? rx, int messageSize)
    {
        _tx = tx;
        _rx = rx;
        _scratch = new byte[messageSize];
    }

    public void Send(ReadOnlySpan<byte> message)
    {
        if (!_tx!.TryWrite(message))
        {
            SendWaiting(message);
        }
    }

    public int Receive(Span<byte> destination)
    {
        // TryRead first; when it finds nothing, the blocking Read waits the strategy's way (spin, spin-yield-sleep, sleep).
        return _rx!.TryRead(destination, out RingMessage message) ? message.Length : ReceiveWaiting(destination);
    }

    public void SendBatch(ReadOnlySpan<byte> template, long firstSequence, int count)
    {
        OneToOneRing tx = _tx!;
        for (int i = 0; i < count; i++)
        {
            if (tx.TryClaim(template.Length, 0, out Span<byte> payload))
            {
                // Zero copy: the message is built in place, as a serializer would.
                template.CopyTo(payload);
                Payload.Stamp(payload, firstSequence + i);
                tx.Commit();
            }
            else
            {
                Span<byte> message = _scratch.AsSpan(0, template.Length);
                template.CopyTo(message);
                Payload.Stamp(message, firstSequence + i);
                SendWaiting(message);
            }
        }
    }

    public int ReceiveBatch(ref MessageVerifier verifier)
    {
        int count = _rx!.Read(ref verifier, BatchLimit);
        if (count > 0)
        {
            return count;
        }

        int length = ReceiveWaiting(_scratch);
        if (length < 0)
        {
            return -1;
        }

        verifier.Check(_scratch.AsSpan(0, length));
        return 1;
    }

    public void SendEnd() => _tx!.Complete();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SendWaiting(ReadOnlySpan<byte> message)
    {
        var waiter = default(Waiter);
        while (!_tx!.TryWrite(message, 0, s_poll))
        {
            waiter.AfterSleep();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ReceiveWaiting(Span<byte> destination)
    {
        var waiter = default(Waiter);
        while (true)
        {
            switch (_rx!.Read(destination, out RingMessage message, s_poll))
            {
                case ReadStatus.Message:
                    return message.Length;
                case ReadStatus.Completed:
                    return -1;
                case ReadStatus.WriterDied:
                    throw new IOException("the writer process died without completing the ring");
                default:
                    waiter.AfterSleep();
                    break;
            }
        }
    }

    /// <summary>One lap of the ring less one frame: fits from a fresh start without wrapping or waiting.</summary>
    public int LapLength
    {
        get
        {
            OneToOneRing ring = _tx ?? _rx!;
            return (int)(ring.Capacity / FrameDescriptor.Align(_scratch.Length + FrameDescriptor.HeaderLength)) - 1;
        }
    }
}
