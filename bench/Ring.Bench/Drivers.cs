using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Ring.Bench;

/// <summary>
/// The scenarios, written once for every transport. The parent is the measuring side: it drives ping-pong and is the
/// receiver of the one-way scenarios (so idle wake-up measures its CPU); the child echoes or sends.
/// </summary>
internal static class Drivers
{
    /// <summary>At most this many latency samples are kept per cell (160 MB).</summary>
    private const int MaxSamples = 20_000_000;

    /// <summary>Messages per clock check on the one-message-per-call paths.</summary>
    private const int MessagesPerCheck = 64;

    /// <summary>Bytes a batched sender hands over per batch (the stream transports write them with one call).</summary>
    internal const int BatchBytes = 64 * 1024;

    /// <summary>Messages between two clock checks: 64, fewer for messages above 1 MiB (at most 64 MiB between checks).</summary>
    internal static int PerCheck(int messageSize) => Math.Clamp((64 << 20) / Math.Max(messageSize, 1), 1, MessagesPerCheck);

    internal static int BatchCount(int messageSize) => Math.Clamp(BatchBytes / (messageSize + 4), 1, 4096);

    /// <summary>Parent side of ping-pong: sends, waits for the echo, records each round trip.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static CellResult PingPong<T>(ref T channel, CellSpec spec)
        where T : struct, IChannel
    {
        CellPlan plan = spec.Plan;
        byte[] message = Payload.Create(spec.MessageSize);
        byte[] reply = new byte[spec.MessageSize];
        long sequence = 0;

        // One lap of bursts first (the child echoes into a ring as large), so that no page is touched for the first
        // time inside the measurement; it fits both rings, so nobody waits.
        int lap = channel.LapLength;
        for (int i = 0; i < lap; i++)
        {
            Payload.Stamp(message, sequence + i);
            channel.Send(message);
        }

        for (int i = 0; i < lap; i++)
        {
            CheckEcho(reply, channel.Receive(reply), sequence++);
        }

        // Warm-up: both processes reach their steady state (tiered JIT, caches); not recorded.
        long warmupEnd = AddTicks(Stopwatch.GetTimestamp(), plan.WarmupTicks);
        while (sequence < lap + plan.WarmupCount || Stopwatch.GetTimestamp() < warmupEnd)
        {
            Payload.Stamp(message, sequence);
            channel.Send(message);
            CheckEcho(reply, channel.Receive(reply), sequence++);
        }

        long[] samples = new long[InitialCapacity(plan.Count)];
        int count = 0;
        long end = AddTicks(Stopwatch.GetTimestamp(), plan.DurationTicks);
        while (count < plan.Count)
        {
            Payload.Stamp(message, sequence);
            long t0 = Stopwatch.GetTimestamp();
            channel.Send(message);
            int length = channel.Receive(reply);
            long t1 = Stopwatch.GetTimestamp();
            CheckEcho(reply, length, sequence++);
            if (count == samples.Length && !Grow(ref samples))
            {
                break;
            }

            samples[count++] = t1 - t0;
            if (t1 >= end)
            {
                break;
            }
        }

        channel.SendEnd();
        return CellResult.FromLatencies(spec, samples, count, cpuPercent: null);
    }

    /// <summary>Child side of ping-pong: echoes every message until the end of the stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Echo<T>(ref T channel, int messageSize)
        where T : struct, IChannel
    {
        byte[] buffer = new byte[messageSize];
        while (true)
        {
            int length = channel.Receive(buffer);
            if (length < 0)
            {
                return;
            }

            channel.Send(buffer.AsSpan(0, length));
        }
    }

    /// <summary>
    /// Parent side of the throughput scenarios: drains the stream, verifying every message. The window opens at the first
    /// check past the warm-up (counted from the first message) and closes at the end of the stream.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static CellResult ReceiveStream<T>(ref T channel, CellSpec spec, bool batched)
        where T : struct, IChannel
    {
        var verifier = new MessageVerifier(spec.MessageSize);
        byte[] buffer = new byte[spec.MessageSize];
        if (ReceiveSome(ref channel, ref verifier, buffer, batched, 1) < 0)
        {
            throw new InvalidDataException("the stream ended before its first message");
        }

        long first = Stopwatch.GetTimestamp();
        long warmupEnd = AddTicks(first, spec.Plan.WarmupTicks);
        long windowStart = 0;
        long countAtStart = 0;
        while (ReceiveSome(ref channel, ref verifier, buffer, batched, PerCheck(spec.MessageSize)) >= 0)
        {
            if (windowStart == 0)
            {
                long now = Stopwatch.GetTimestamp();
                if (now >= warmupEnd)
                {
                    windowStart = now;
                    countAtStart = verifier.Count;
                }
            }
        }

        long end = Stopwatch.GetTimestamp();
        if (windowStart == 0)
        {
            // The stream ended inside the warm-up (tiny runs): measure from the first message instead.
            windowStart = first;
            countAtStart = 1;
        }

        return CellResult.FromRate(spec, verifier.Count - countAtStart, end - windowStart);
    }

    /// <summary>Child side of the throughput scenarios: sends for the warm-up plus the duration (or the count), then ends.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SendStream<T>(ref T channel, int messageSize, CellPlan plan, bool batched)
        where T : struct, IChannel
    {
        byte[] message = Payload.Create(messageSize);
        int batch = batched ? BatchCount(messageSize) : PerCheck(messageSize);
        long warmupEnd = AddTicks(Stopwatch.GetTimestamp(), plan.WarmupTicks);
        long stop = AddTicks(warmupEnd, plan.DurationTicks);
        long sequence = 0;
        long measuredFrom = -1;
        while (true)
        {
            if (batched)
            {
                channel.SendBatch(message, sequence, batch);
                sequence += batch;
            }
            else
            {
                for (int i = 0; i < batch; i++)
                {
                    Payload.Stamp(message, sequence++);
                    channel.Send(message);
                }
            }

            long now = Stopwatch.GetTimestamp();
            if (measuredFrom < 0 && now >= warmupEnd)
            {
                measuredFrom = sequence;
            }

            if (now >= stop || (measuredFrom >= 0 && sequence - measuredFrom >= plan.Count))
            {
                break;
            }

            Watchdog.ThrowIfExpired();
        }

        channel.SendEnd();
    }

    /// <summary>
    /// Parent side of idle wake-up: blocks for each message (the transport's wait), records receive time minus the
    /// sender's timestamp, and this process's CPU time over the measured part.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static CellResult ReceiveIdle<T>(ref T channel, CellSpec spec)
        where T : struct, IChannel
    {
        CellPlan plan = spec.Plan;
        var verifier = new MessageVerifier(spec.MessageSize);
        byte[] buffer = new byte[spec.MessageSize];
        long warmup = channel.LapLength + plan.WarmupCount;
        for (long i = 0; i < warmup; i++)
        {
            int length = channel.Receive(buffer);
            if (length < 0)
            {
                throw new InvalidDataException("the stream ended inside the warm-up");
            }

            verifier.Check(buffer.AsSpan(0, length));
        }

        long[] samples = new long[InitialCapacity(plan.Count)];
        int count = 0;
        long limit = Stopwatch.Frequency * 10;
        long cpuStart = NativeMethods.ProcessCpuMicroseconds();
        long wallStart = Stopwatch.GetTimestamp();
        while (true)
        {
            int length = channel.Receive(buffer);
            long now = Stopwatch.GetTimestamp();
            if (length < 0)
            {
                break;
            }

            verifier.Check(buffer.AsSpan(0, length));
            long latency = now - Payload.ReadTime(buffer);
            if (latency < 0 || latency > limit)
            {
                throw new InvalidDataException($"message {verifier.Count} carries an impossible send time: one-way latency {latency} ticks");
            }

            if (count == samples.Length && !Grow(ref samples))
            {
                throw new InvalidDataException("too many samples");
            }

            samples[count++] = latency;
        }

        long wall = Stopwatch.GetTimestamp() - wallStart;
        long cpu = NativeMethods.ProcessCpuMicroseconds() - cpuStart;
        double cpuPercent = cpu / (Units.TicksToSeconds(wall) * 1e6) * 100;
        return CellResult.FromLatencies(spec, samples, count, cpuPercent);
    }

    /// <summary>Child side of idle wake-up: one message about every millisecond, stamped with its send time.</summary>
    internal static void SendIdle<T>(ref T channel, int messageSize, CellPlan plan)
        where T : struct, IChannel
    {
        byte[] message = Payload.Create(messageSize);

        // A lap at full speed first faults in every page of the buffers (the receiver skips it), then paced warm-up.
        int lap = channel.LapLength;
        for (int i = 0; i < lap; i++)
        {
            Payload.Stamp(message, i);
            Payload.StampTime(message, Stopwatch.GetTimestamp());
            channel.Send(message);
        }

        long warmup = lap + plan.WarmupCount;
        long total = plan.Count >= long.MaxValue - warmup ? long.MaxValue : warmup + plan.Count;
        long measureEnd = long.MaxValue;
        for (long sequence = lap; sequence < total; sequence++)
        {
            Thread.Sleep(1);
            long now = Stopwatch.GetTimestamp();
            if (sequence == warmup)
            {
                measureEnd = AddTicks(now, plan.DurationTicks);
            }
            else if (now >= measureEnd)
            {
                break;
            }

            Payload.Stamp(message, sequence);
            Payload.StampTime(message, Stopwatch.GetTimestamp());
            channel.Send(message);
            Watchdog.ThrowIfExpired();
        }

        channel.SendEnd();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReceiveSome<T>(ref T channel, ref MessageVerifier verifier, byte[] buffer, bool batched, int messages)
        where T : struct, IChannel
    {
        if (batched)
        {
            return channel.ReceiveBatch(ref verifier);
        }

        for (int i = 0; i < messages; i++)
        {
            int length = channel.Receive(buffer);
            if (length < 0)
            {
                return -1;
            }

            verifier.Check(buffer.AsSpan(0, length));
        }

        return messages;
    }

    private static void CheckEcho(byte[] reply, int length, long sequence)
    {
        if (length != reply.Length || (length >= 8 && System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(reply) != sequence))
        {
            string seen = length >= 8 ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(reply).ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
            throw new InvalidDataException($"echo {sequence} is corrupt: length {length} (expected {reply.Length}), sequence {seen}");
        }
    }

    private static int InitialCapacity(long count) => (int)Math.Clamp(count, 16, 1 << 20);

    private static bool Grow(ref long[] samples)
    {
        if (samples.Length >= MaxSamples)
        {
            return false;
        }

        Array.Resize(ref samples, (int)Math.Min((long)samples.Length * 2, MaxSamples));
        return true;
    }

    internal static long AddTicks(long timestamp, long ticks) =>
        ticks >= long.MaxValue - timestamp ? long.MaxValue : timestamp + ticks;
}
