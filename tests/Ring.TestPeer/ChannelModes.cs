using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Ring.Channels;

namespace Ring.TestPeer;

/// <summary>
/// Peer modes for the channel layer (prefix "ch-"): duplex echo and hold, the request/response server and client, a
/// reader for delivery confirmation that reads only once a gate file exists, and inbox owner and sender.
/// Settings: listen, count, dir, go (gate file path), kind (one | many), pid.
/// </summary>
public static class ChannelModes
{
    /// <summary>Request types the test server understands.</summary>
    public const int Echo = 1;
    public const int Throw = 2;
    public const int Die = 3;
    public const int Slow = 4;
    public const int Sized = 5;

    public static bool Handles(string mode) => mode.StartsWith("ch-", StringComparison.Ordinal);

    public static int Run(string mode, string name, ReadOnlySpan<string> args)
    {
        Dictionary<string, string> s = PeerArguments.Parse(args);

        var options = new RingOptions
        {
            OpenTimeout = TimeSpan.FromSeconds(10),
            LivenessCheckInterval = TimeSpan.FromMilliseconds(20),
            Capacity = PeerArguments.Int(s, "capacity", 1 << 16),
        };
        if (s.TryGetValue("dir", out string? dir))
        {
            options.Directory = dir;
        }

        try
        {
            return mode switch
            {
                "ch-duplex-echo" => DuplexEcho(name, options, s.ContainsKey("listen")),
                "ch-duplex-hold" => DuplexHold(name, options, s.ContainsKey("listen")),
                "ch-rr-server" => Server(name, options),
                "ch-rr-client" => Client(name, options, PeerArguments.Int(s, "count", 1000)),
                "ch-confirm-read" => ConfirmRead(name, options, s["kind"], s["go"], PeerArguments.Int(s, "count", 1)),
                "ch-inbox-owner" => InboxOwner(options, PeerArguments.Int(s, "count", 100), PeerArguments.Int(s, "senders", 1)),
                "ch-inbox-send" => InboxSend(options, PeerArguments.Int(s, "pid", 0), PeerArguments.Int(s, "count", 100), PeerArguments.Int(s, "id", 0)),
                _ => 2,
            };
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"peer {mode} failed: {e}");
            return 4;
        }
    }

    private static DuplexChannel Open(string name, RingOptions options, bool listen) =>
        listen ? DuplexChannel.Listen(name, options) : DuplexChannel.Connect(name, TimeSpan.FromSeconds(30), options);

    /// <summary>Sends every message back with its type until the other side completes; then completes too.</summary>
    private static int DuplexEcho(string name, RingOptions options, bool listen)
    {
        using DuplexChannel channel = Open(name, options, listen);
        Console.WriteLine("ready");
        if (listen && !channel.WaitForPeer(TimeSpan.FromSeconds(30)))
        {
            return 3;
        }

        byte[] buffer = new byte[channel.Incoming.MaxMessageLength];
        long echoed = 0;
        while (true)
        {
            ReadStatus status = channel.Receive(buffer, out RingMessage m, TimeSpan.FromSeconds(30));
            if (status == ReadStatus.Completed)
            {
                Console.WriteLine($"completed {echoed}");
                channel.Complete();
                return 0;
            }

            if (status != ReadStatus.Message)
            {
                Console.Error.WriteLine($"receive ended with {status} after {echoed}");
                return 3;
            }

            if (!channel.Send(buffer.AsSpan(0, m.Length), m.Type, TimeSpan.FromSeconds(30)))
            {
                return 3;
            }

            echoed++;
        }
    }

    /// <summary>Opens the channel, sends one message, and waits to be killed.</summary>
    private static int DuplexHold(string name, RingOptions options, bool listen)
    {
        using DuplexChannel channel = Open(name, options, listen);
        channel.TrySend("hello"u8, 7);
        Console.WriteLine("ready");
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    /// <summary>
    /// Serves requests: Echo returns the body, Throw throws, Die kills this process mid-request, Slow sleeps the
    /// milliseconds in the body's first 4 bytes then echoes, Sized answers with as many bytes as the body's first 4
    /// bytes say. The response type is the request type + 100.
    /// </summary>
    private static int Server(string name, RingOptions options)
    {
        using RequestServer server = RequestServer.Listen(name, Handle, options);
        Console.WriteLine("listening");
        ReadStatus status = server.Run();
        Console.WriteLine($"ended {status} served {server.RequestsServed} failed {server.HandlerFailures}");
        return 0;
    }

    private static void Handle(ReadOnlySpan<byte> request, int type, ResponseWriter response)
    {
        response.Type = type + 100;
        switch (type)
        {
            case Echo:
                response.Write(request);
                break;
            case Throw:
                throw new InvalidOperationException($"refused a request of {request.Length} bytes");
            case Die:
                Process.GetCurrentProcess().Kill();
                Thread.Sleep(Timeout.Infinite);
                break;
            case Slow:
                Thread.Sleep(BitConverter.ToInt32(request));
                response.Write(request);
                break;
            case Sized:
                int length = BitConverter.ToInt32(request);
                response.GetSpan(length)[..length].Fill(0x5A);
                response.Advance(length);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unknown request type");
        }
    }

    /// <summary>Sends count requests of the message pattern and checks each echo byte for byte.</summary>
    private static int Client(string name, RingOptions options, int count)
    {
        using RequestClient client = RequestClient.Connect(name, TimeSpan.FromSeconds(30), options);
        int max = Math.Min(client.MaxRequestLength, 512);
        byte[] request = new byte[max];
        byte[] response = new byte[client.MaxResponseLength];
        for (long i = 0; i < count; i++)
        {
            int length = MessagePattern.Length(7, i, max);
            MessagePattern.Fill(request.AsSpan(0, length), 7, i);
            RingResponse r = client.Request(request.AsSpan(0, length), response, TimeSpan.FromSeconds(30), Echo);
            if (r.Type != Echo + 100 || !response.AsSpan(0, r.Length).SequenceEqual(request.AsSpan(0, length)))
            {
                Console.Error.WriteLine($"request {i}: response type {r.Type}, {r.Length} bytes, not the echo of {length} bytes");
                return 1;
            }
        }

        Console.WriteLine($"done {count}");
        return 0;
    }

    /// <summary>Attaches as the reader, announces it, waits for the gate file, then reads count messages.</summary>
    private static int ConfirmRead(string name, RingOptions options, string kind, string go, int count)
    {
        using IMessageReader reader = kind == "one" ? OneToOneRing.Open(name, options) : ManyToOneRing.Open(name, options);
        byte[] buffer = new byte[reader.MaxMessageLength];
        if (reader.TryRead(buffer, out _))
        {
            Console.Error.WriteLine("a message was there before the gate opened");
            return 3;
        }

        Console.WriteLine("attached");
        while (!File.Exists(go))
        {
            Thread.Sleep(5);
        }

        for (int i = 0; i < count; i++)
        {
            if (reader.Read(buffer, out _, TimeSpan.FromSeconds(30)) != ReadStatus.Message)
            {
                return 3;
            }
        }

        Console.WriteLine($"read {count}");
        return 0;
    }

    /// <summary>Creates this process's inbox and reads count messages from each sender, in order per sender.</summary>
    private static int InboxOwner(RingOptions options, int count, int senders)
    {
        using Inbox inbox = Inbox.Create(options);
        Console.WriteLine($"inbox {inbox.ProcessId}");
        byte[] buffer = new byte[inbox.Ring.MaxMessageLength];
        long[] next = new long[senders];
        for (long received = 0; received < (long)count * senders; received++)
        {
            if (inbox.Receive(buffer, out RingMessage m, TimeSpan.FromSeconds(30)) != ReadStatus.Message)
            {
                Console.Error.WriteLine($"inbox receive timed out after {received}");
                return 3;
            }

            int id = m.Type;
            if ((uint)id >= (uint)senders || MessagePattern.Verify(buffer.AsSpan(0, m.Length), MessagePattern.Type(next[id]), (ulong)id + 1, next[id], 256) is string why)
            {
                Console.Error.WriteLine($"inbox message {received} from sender {id}: not the one due");
                return 1;
            }

            next[id]++;
        }

        Console.WriteLine($"received {(long)count * senders}");
        return 0;
    }

    /// <summary>Sends count messages of the pattern (seed id + 1, type id) to the inbox of pid.</summary>
    private static int InboxSend(RingOptions options, int pid, int count, int id)
    {
        using ManyToOneRing inbox = Inbox.Connect(pid, options);
        byte[] buffer = new byte[256];
        for (long i = 0; i < count; i++)
        {
            int length = MessagePattern.Length((ulong)id + 1, i, 256);
            MessagePattern.Fill(buffer.AsSpan(0, length), (ulong)id + 1, i);
            if (!inbox.TryWrite(buffer.AsSpan(0, length), id, TimeSpan.FromSeconds(30)))
            {
                return 3;
            }
        }

        Console.WriteLine($"sent {count}");
        return 0;
    }
}
