using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace Ring.TestPeer;

/// <summary>
/// Peer modes for the broadcast ring (<see cref="BroadcastRing"/>, <see cref="BroadcastReader"/>). Messages follow
/// <see cref="MessagePattern"/> keyed by their global sequence number, so a reader checks every byte of every message
/// it receives and which message it is, whichever writer process wrote it. Exit codes as in <see cref="Program"/>.
/// </summary>
public static class BroadcastModes
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    public static bool Handles(string mode) => mode.StartsWith("broadcast-", StringComparison.Ordinal);

    public static int Run(string mode, string name, ReadOnlySpan<string> args)
    {
        try
        {
            var s = new Settings(args);
            var options = new RingOptions
            {
                WaitStrategy = s.Strategy,
                OpenTimeout = TimeSpan.FromSeconds(10),
                LivenessCheckInterval = TimeSpan.FromMilliseconds(s.LivenessMs),
            };
            return mode switch
            {
                "broadcast-write" => Write(name, options, s, hang: false),
                "broadcast-write-then-hang" => Write(name, options, s, hang: true),
                "broadcast-write-forever" => WriteForever(name, options, s),
                "broadcast-read" => Read(name, options, s),
                "broadcast-read-then-hang" => ReadThenHang(name, options, s),
                "broadcast-attach-reader" => AttachReader(name, options, s),
                _ => Usage(mode),
            };
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"peer {mode} failed: {e}");
            return 4;
        }
    }

    private static int Usage(string mode)
    {
        Console.Error.WriteLine($"unknown mode '{mode}'");
        return 2;
    }

    /// <summary>
    /// Takes the writer role (from a dead writer if need be), then writes <c>count</c> messages numbered on from the
    /// ring's next sequence, blocking when a gated ring is full; completes, or claims one more and hangs, if asked.
    /// </summary>
    private static int Write(string name, RingOptions options, Settings s, bool hang)
    {
        using BroadcastRing ring = BroadcastRing.Open(name, options);
        if (!WaitForReaders(ring, s.Readers))
        {
            return 3;
        }

        // The first write operation attaches (and repairs what a dead writer left); then the numbering is exact.
        ring.WaitToWriteAsync(0).AsTask().Wait(Long);
        long first = ring.NextSequence;
        byte[] buffer = new byte[s.MaxLength];
        for (long i = first; i < first + s.Count; i++)
        {
            int length = MessagePattern.Length(s.Seed, i, s.MaxLength);
            MessagePattern.Fill(buffer.AsSpan(0, length), s.Seed, i);
            if (!ring.TryWrite(buffer.AsSpan(0, length), MessagePattern.Type(i), Long))
            {
                Console.Error.WriteLine($"write of message {i} timed out");
                return 3;
            }
        }

        if (hang)
        {
            // A gated ring may be full until the readers catch up: wait for room, as a writer would.
            Span<byte> payload;
            var deadline = System.Diagnostics.Stopwatch.StartNew();
            while (!ring.TryClaim(16, 7, out payload))
            {
                if (deadline.Elapsed > Long || !ring.WaitToWriteAsync(16).AsTask().Wait(Long))
                {
                    Console.Error.WriteLine("could not claim the torn frame");
                    return 3;
                }
            }

            payload.Fill(0xEE);
            Announce("claimed");
            Thread.Sleep(Timeout.Infinite);
        }

        if (s.Complete)
        {
            ring.Complete();
        }

        Announce("written " + (first + s.Count).ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>Writes the pattern until killed, reporting progress every 4096 messages.</summary>
    private static int WriteForever(string name, RingOptions options, Settings s)
    {
        using BroadcastRing ring = BroadcastRing.Open(name, options);
        if (!WaitForReaders(ring, s.Readers))
        {
            return 3;
        }

        byte[] buffer = new byte[s.MaxLength];
        for (long i = 0; ; i++)
        {
            int length = MessagePattern.Length(s.Seed, i, s.MaxLength);
            MessagePattern.Fill(buffer.AsSpan(0, length), s.Seed, i);
            if (!ring.TryWrite(buffer.AsSpan(0, length), MessagePattern.Type(i), Long))
            {
                return 3;
            }

            if ((i & 4095) == 0)
            {
                Announce("progress " + i.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>
    /// Joins, then reads and verifies until the writer completes (or <c>count</c> messages, if given): each message must
    /// be the one its sequence number names, byte for byte; gated, none may be missing; lossy, what is missing must be
    /// exactly what the reader counts as lost. Prints "received R lost L laps X" at the end.
    /// </summary>
    private static int Read(string name, RingOptions options, Settings s)
    {
        using BroadcastReader reader = BroadcastReader.Open(name, s.Start, options);
        long first = reader.NextSequence;
        Announce($"joined {reader.Id} {first}");
        var verifier = new Verifier(reader, s, first);
        ReadStatus end;
        if (s.Batch)
        {
            end = verifier.RunBatches();
        }
        else
        {
            end = verifier.RunCopies();
        }

        if (verifier.Error is not null)
        {
            Console.Error.WriteLine(verifier.Error);
            return 1;
        }

        Announce($"received {verifier.Received} lost {reader.MessagesLost} laps {reader.LapCount} next {reader.NextSequence} end {end}");
        if (end != ReadStatus.Completed && !(end == ReadStatus.WriterDied && s.DiedOk) && !(s.Count >= 0 && verifier.Received >= s.Count))
        {
            Console.Error.WriteLine($"after {verifier.Received} messages: {end}");
            return 3;
        }

        if (reader.Mode == BroadcastMode.Gated && reader.MessagesLost != 0)
        {
            Console.Error.WriteLine($"a gated reader lost {reader.MessagesLost} messages");
            return 1;
        }

        if (verifier.Received + reader.MessagesLost != reader.NextSequence - first)
        {
            Console.Error.WriteLine($"received {verifier.Received} + lost {reader.MessagesLost} != {reader.NextSequence - first} messages from {first} to {reader.NextSequence}");
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// Joins, reads <c>count</c> messages, then starts a batch read whose handler announces "mid-read" and never returns:
    /// killed there, the reader dies holding frames it has not released (its position is published after the batch).
    /// </summary>
    private static int ReadThenHang(string name, RingOptions options, Settings s)
    {
        BroadcastReader reader = BroadcastReader.Open(name, s.Start, options);
        Announce($"joined {reader.Id} {reader.NextSequence}");
        var verifier = new Verifier(reader, s, reader.NextSequence);
        ReadStatus status = verifier.RunCopies();
        if (verifier.Error is not null || verifier.Received < s.Count)
        {
            Console.Error.WriteLine(verifier.Error ?? $"after {verifier.Received} messages: {status}");
            return verifier.Error is null ? 3 : 1;
        }

        // Wait for one more message (through a writer's death, if asked: the next writer takes over), without taking it.
        var hang = new HangingHandler();
        var clock = Stopwatch.StartNew();
        while (reader.Read(ref hang, 1) == 0)
        {
            if (clock.Elapsed > Long)
            {
                return 3;
            }

            try
            {
                reader.WaitToReadAsync().AsTask().Wait(Long);
            }
            catch (AggregateException e) when (e.InnerException is RingPeerDeadException && s.ThroughDeaths)
            {
                Thread.Sleep(1);
            }
        }

        return 0;
    }

    private static int AttachReader(string name, RingOptions options, Settings s)
    {
        BroadcastReader reader = BroadcastReader.Open(name, s.Start, options);
        Announce($"attached {reader.Id}");
        Thread.Sleep(Timeout.Infinite);
        GC.KeepAlive(reader);
        return 0;
    }

    private static bool WaitForReaders(BroadcastRing ring, int readers)
    {
        var clock = Stopwatch.StartNew();
        while (ring.GetStatistics().Readers.Count < readers)
        {
            if (clock.Elapsed > Long)
            {
                Console.Error.WriteLine($"{readers} readers never joined");
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    private static void Announce(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    /// <summary>Reads and checks messages: pattern, sequence, and the exact count of what was lost before each one.</summary>
    private sealed class Verifier(BroadcastReader reader, Settings s, long first)
    {
        private readonly byte[] _buffer = new byte[reader.MaxMessageLength];
        private bool _waitedForLap;

        public long Received { get; private set; }

        public string? Error { get; private set; }

        public ReadStatus RunCopies()
        {
            var orphaned = new Stopwatch();
            while (s.Count < 0 || Received < s.Count)
            {
                ReadStatus status = reader.Read(_buffer, out RingMessage m, Long);
                if (status == ReadStatus.WriterDied && s.ThroughDeaths && (!orphaned.IsRunning || orphaned.Elapsed < Long))
                {
                    // Another writer process will take over: keep reading.
                    orphaned.Start();
                    Thread.Sleep(1);
                    continue;
                }

                orphaned.Reset();
                if (status != ReadStatus.Message)
                {
                    return status;
                }

                if (!Check(m.Type, _buffer.AsSpan(0, m.Length)))
                {
                    return ReadStatus.Message;
                }
            }

            return ReadStatus.Message;
        }

        public ReadStatus RunBatches()
        {
            var handler = new CheckingHandler(this);
            var orphaned = new Stopwatch();
            while (s.Count < 0 || Received < s.Count)
            {
                int handled = reader.Read(ref handler, 64);
                if (Error is not null)
                {
                    return ReadStatus.Message;
                }

                if (handled == 0)
                {
                    try
                    {
                        System.Threading.Tasks.Task<bool> wait = reader.WaitToReadAsync().AsTask();
                        if (!wait.Wait(Long))
                        {
                            return ReadStatus.TimedOut;
                        }

                        if (!wait.Result)
                        {
                            return ReadStatus.Completed;
                        }
                    }
                    catch (AggregateException e) when (e.InnerException is RingPeerDeadException)
                    {
                        if (!s.ThroughDeaths || (orphaned.IsRunning && orphaned.Elapsed > Long))
                        {
                            return ReadStatus.WriterDied;
                        }

                        // Another writer process will take over: keep reading, for up to 60 s without one.
                        orphaned.Start();
                        Thread.Sleep(1);
                        continue;
                    }

                    orphaned.Reset();
                }
            }

            return ReadStatus.Message;
        }

        public bool Check(int type, ReadOnlySpan<byte> payload)
        {
            long sequence = reader.LastSequence;

            // Exact accounting at every message: everything between the join and this one was read or counted lost.
            if (Received + reader.MessagesLost != sequence - first)
            {
                Error = $"message {sequence}: received {Received} + lost {reader.MessagesLost} != {sequence - first} since the join at {first}";
                return false;
            }

            Error = MessagePattern.Verify(payload, type, s.Seed, sequence, s.MaxLength);
            if (Error is not null)
            {
                return false;
            }

            Received++;
            if (s.LagAt >= 0 && Received == s.LagAt && !_waitedForLap)
            {
                // Fall more than two rings behind (or let the writer finish), so that a lossy reader is sure to be lapped.
                _waitedForLap = true;
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < Long)
                {
                    BroadcastRingStatistics stats = reader.GetStatistics();
                    if (stats.Tail - reader.Position > 2 * reader.Capacity || stats.IsWriterCompleted)
                    {
                        break;
                    }

                    Thread.Sleep(1);
                }
            }

            return true;
        }
    }

    private struct CheckingHandler(Verifier verifier) : IFrameHandler
    {
        public void OnFrame(int type, ReadOnlySpan<byte> payload)
        {
            if (verifier.Error is null)
            {
                verifier.Check(type, payload);
            }
        }
    }

    private struct HangingHandler : IFrameHandler
    {
        public void OnFrame(int type, ReadOnlySpan<byte> payload)
        {
            Announce("mid-read");
            Thread.Sleep(Timeout.Infinite);
        }
    }

    private sealed class Settings
    {
        public Settings(ReadOnlySpan<string> args)
        {
            foreach (string arg in args)
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                string key = eq < 0 ? arg : arg[..eq];
                string value = eq < 0 ? "true" : arg[(eq + 1)..];
                switch (key)
                {
                    case "count": Count = long.Parse(value, CultureInfo.InvariantCulture); break;
                    case "seed": Seed = ulong.Parse(value, CultureInfo.InvariantCulture); break;
                    case "max": MaxLength = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "strategy": Strategy = Enum.Parse<WaitStrategy>(value, ignoreCase: true); break;
                    case "start": Start = Enum.Parse<BroadcastStart>(value, ignoreCase: true); break;
                    case "batch": Batch = bool.Parse(value); break;
                    case "complete": Complete = bool.Parse(value); break;
                    case "died-ok": DiedOk = bool.Parse(value); break;
                    case "readers": Readers = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "lag-at": LagAt = long.Parse(value, CultureInfo.InvariantCulture); break;
                    case "through-deaths": ThroughDeaths = bool.Parse(value); break;
                    case "liveness": LivenessMs = int.Parse(value, CultureInfo.InvariantCulture); break;
                    default: throw new ArgumentException($"unknown setting '{key}'");
                }
            }
        }

        /// <summary>Messages to write or read; -1: read until the end of the stream.</summary>
        public long Count { get; } = -1;

        public ulong Seed { get; } = 1;

        public int MaxLength { get; } = 256;

        public WaitStrategy Strategy { get; } = WaitStrategy.Hybrid;

        public BroadcastStart Start { get; } = BroadcastStart.Oldest;

        public bool Batch { get; }

        public bool Complete { get; }

        public bool DiedOk { get; }

        public int Readers { get; }

        public long LagAt { get; } = -1;

        public int LivenessMs { get; } = 100;

        /// <summary>Keep reading when the writer dies (a new writer process will take over), up to 60 s without one.</summary>
        public bool ThroughDeaths { get; }
    }
}
