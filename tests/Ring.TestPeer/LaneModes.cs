using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Ring.Channels;

namespace Ring.TestPeer;

/// <summary>
/// Peer modes for <see cref="LaneMailbox"/>. Sender S sends messages 0, 1, 2, ... of the pattern with seed S + 1 on
/// its lane, so the receiver verifies every byte and each sender's order. Settings: id, lane, count, max, dir,
/// wait-sleep (start only once the receiver sleeps on the doorbell, so the first send must wake it), complete.
/// </summary>
public static class LaneModes
{
    public static bool Handles(string mode) => mode.StartsWith("lane-", StringComparison.Ordinal);

    public static int Run(string mode, string name, ReadOnlySpan<string> args)
    {
        Dictionary<string, string> s = PeerArguments.Parse(args);

        var options = new LaneOptions
        {
            Ring = new RingOptions
            {
                OpenTimeout = TimeSpan.FromSeconds(10),
                LivenessCheckInterval = TimeSpan.FromMilliseconds(20),
            },
        };
        if (s.TryGetValue("dir", out string? dir))
        {
            options.Ring.Directory = dir;
        }

        int id = PeerArguments.Int(s, "id", 0);
        int lane = PeerArguments.Int(s, "lane", 0);
        int count = PeerArguments.Int(s, "count", 1000);
        int max = PeerArguments.Int(s, "max", 200);
        using LaneMailbox mailbox = LaneMailbox.Open(name, options);
        return mode switch
        {
            "lane-send" => Send(mailbox, id, lane, count, max, s.ContainsKey("wait-sleep"), s.ContainsKey("complete"), hang: false),
            "lane-send-forever" => Send(mailbox, id, lane, int.MaxValue, max, waitForSleep: false, complete: false, hang: false),
            "lane-send-hang" => Send(mailbox, id, lane, count, max, waitForSleep: false, complete: false, hang: true),
            "lane-receive-hang" => ReceiveAndHang(mailbox),
            _ => 2,
        };
    }

    /// <summary>Sends messages 0..count-1 on the lane, blocking while it is full; then completes, exits or hangs.</summary>
    private static int Send(LaneMailbox mailbox, int id, int lane, long count, int max, bool waitForSleep, bool complete, bool hang)
    {
        ulong seed = (ulong)id + 1;
        byte[] buffer = new byte[max];
        Console.WriteLine("attached");
        if (waitForSleep)
        {
            // Bounded: the receiver sleeps within its spin phase plus a few yields. Sleeping now, not "has slept": a
            // receiver that left its sleep (and was preempted before the next) needs no wake-up.
            var clock = Stopwatch.StartNew();
            while (!mailbox.GetStatistics().IsReceiverSleeping)
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60))
                {
                    Console.Error.WriteLine("the receiver never slept");
                    return 3;
                }

                Thread.Sleep(1);
            }

            LaneMailboxStatistics seen = mailbox.GetStatistics();
            Console.Error.WriteLine($"sender {id}: receiver sleeps {seen.ReceiverSleeps}, wake-ups {seen.ReceiverWakeups} before the first send");
        }

        for (long sequence = 0; sequence < count; sequence++)
        {
            int length = MessagePattern.Length(seed, sequence, max);
            MessagePattern.Fill(buffer.AsSpan(0, length), seed, sequence);
            mailbox.Send(lane, buffer.AsSpan(0, length), MessagePattern.Type(sequence));
        }

        if (complete)
        {
            mailbox.Complete();
        }

        Console.WriteLine("sent");
        if (hang)
        {
            Thread.Sleep(Timeout.Infinite);
        }

        return 0;
    }

    /// <summary>Attaches as the receiver (one empty receive), says "attached", and hangs until killed.</summary>
    private static int ReceiveAndHang(LaneMailbox mailbox)
    {
        mailbox.TryReceive(new byte[mailbox.MaxMessageLength], out _);
        Console.WriteLine("attached");
        Thread.Sleep(Timeout.Infinite);
        return 3;
    }
}
