using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ring.Channels;

namespace Ring.Bench;

/// <summary>
/// ring-frag: messages larger than a frame through <see cref="FragmentingWriter"/> (child) and
/// <see cref="ReassemblingReader"/> (parent) over a <see cref="ManyToOneRing"/> of <see cref="Capacity"/> bytes (frames
/// of at most capacity / 8 = 512 KiB), Hybrid wait. A 1 MiB message goes as 3 fragments, a 16 MiB one as 33; the
/// writer waits for the reader to make room, as a message larger than the ring must. throughput: the parent receives
/// each message whole into its buffer with the blocking Read (which reassembles it there directly); throughput-batch:
/// the parent checks each whole message in place with the handler read (in a pooled reassembly buffer).
/// </summary>
internal static class FragmentTransport
{
    /// <summary>The ring's data region: 4 MiB, whatever the message size.</summary>
    internal const long Capacity = 4 << 20;

    internal static RingOptions Options() => new()
    {
        Capacity = Capacity,
        WaitStrategy = WaitStrategy.Hybrid,
        OpenTimeout = TimeSpan.FromSeconds(10),
        Directory = ShmFloorTransport.Directory,
    };

    internal static FragmentationOptions FragmentOptions(int messageSize) => new()
    {
        MaxMessageSize = Math.Max(messageSize, FragmentationOptions.DefaultMaxMessageSize),
    };

    internal static CellResult RunParent(CellSpec spec, string resource)
    {
        string name = resource + "-data";
        ReassemblingReader? reader = null;
        try
        {
            reader = new ReassemblingReader(ManyToOneRing.Create(name, Options()), FragmentOptions(spec.MessageSize));
            using ChildHandle child = ChildHandle.Start(new ChildArgs(spec, resource, Environment.ProcessId));
            var channel = new FragmentChannel(null, reader, spec.MessageSize);
            CellResult result = ParentSide.Measure(ref channel, spec, child);
            return reader.AbandonedMessages == 0 || result.Failed
                ? result
                : ParentSide.Failed(spec, $"{reader.AbandonedMessages} partial messages were abandoned");
        }
        finally
        {
            reader?.Dispose();
            Cleanup.RemoveSegment(name);
        }
    }

    internal static void RunChild(ChildArgs args)
    {
        using var writer = new FragmentingWriter(ManyToOneRing.Open(args.Resource + "-data", Options()), FragmentOptions(args.Spec.MessageSize));
        var channel = new FragmentChannel(writer, null, args.Spec.MessageSize);
        ChildSide.Run(ref channel, args);
    }
}

/// <summary>
/// One side of ring-frag. Blocking calls wait in slices so that the watchdog is checked; a write whose slice passes
/// mid-message gives that message up (the reader drops it) and sends it again whole, so slices are long (1 s).
/// </summary>
internal readonly struct FragmentChannel : IChannel
{
    private const int BatchLimit = 1024;
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_writeSlice = TimeSpan.FromSeconds(1);

    private readonly FragmentingWriter? _tx;
    private readonly ReassemblingReader? _rx;
    private readonly byte[] _scratch;

    internal FragmentChannel(FragmentingWriter? tx, ReassemblingReader? rx, int messageSize)
    {
        _tx = tx;
        _rx = rx;
        _scratch = new byte[messageSize];
    }

    /// <summary>Throughput only: nothing to fault in ahead.</summary>
    public int LapLength => 0;

    public void Send(ReadOnlySpan<byte> message)
    {
        var waiter = default(Waiter);
        while (!_tx!.TryWrite(message, 0, s_writeSlice))
        {
            waiter.AfterSleep();
        }
    }

    // The blocking Read first takes what is in the ring, then waits: a message that fits the destination is reassembled
    // in it directly, across waits (a TryRead that returns mid-message would move it to a pooled buffer).
    public int Receive(Span<byte> destination) => ReceiveWaiting(destination);

    public void SendBatch(ReadOnlySpan<byte> template, long firstSequence, int count)
    {
        // The fragmenting writer copies each fragment into the ring in place: the template is stamped where it lies (the
        // driver's own array, which its unbatched path stamps the same way) rather than copied once more.
        Span<byte> message = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(template), template.Length);
        for (int i = 0; i < count; i++)
        {
            Payload.Stamp(message, firstSequence + i);
            Send(message);
        }
    }

    public int ReceiveBatch(ref MessageVerifier verifier)
    {
        // In place: each whole message is checked in the reassembly buffer (or in the ring), not copied out.
        int count = _rx!.Read(ref verifier, BatchLimit);
        return count > 0 ? count : ReceiveBatchWaiting(ref verifier);
    }

    public void SendEnd() => _tx!.Complete();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ReceiveBatchWaiting(ref MessageVerifier verifier)
    {
        var waiter = default(Waiter);
        while (true)
        {
            switch (_rx!.Read(ref verifier, s_poll))
            {
                case ReadStatus.Message:
                    return 1;
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
}
