using System;
using System.Threading.Tasks;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// Tier 4 for the broadcast ring: millions of messages between a writer thread and a reader thread on small rings
/// (thousands of wraps; in lossy mode thousands of laps, with copies torn by the writer thrown away), each message
/// verified byte by byte and the losses counted exactly. Two busy threads: one per core.
/// </summary>
public class BroadcastStressTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData(BroadcastMode.Gated, false, 1 << 12)]
    [InlineData(BroadcastMode.Gated, true, 1 << 12)]
    [InlineData(BroadcastMode.Lossy, false, 1 << 12)]
    [InlineData(BroadcastMode.Lossy, true, 1 << 10)]
    public async Task EveryMessageReadIsIntactAndEveryOtherIsCountedLost(BroadcastMode mode, bool batch, long capacity)
    {
        const long Count = 2_000_000;
        const int Max = 200;
        const ulong Seed = 77;
        using var seg = new TestSegment();
        using var writer = BroadcastRing.Create(seg.Name, mode, seg.Options(capacity: capacity, maxMessageLength: Max));
        using var reader = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        Task produce = Task.Factory.StartNew(() =>
        {
            byte[] buffer = new byte[Max];
            for (long i = 0; i < Count; i++)
            {
                int length = MessagePattern.Length(Seed, i, Max);
                MessagePattern.Fill(buffer.AsSpan(0, length), Seed, i);
                if (!writer.TryWrite(buffer.AsSpan(0, length), MessagePattern.Type(i), Long))
                {
                    throw new TimeoutException($"write {i}");
                }
            }

            writer.Complete();
        }, TaskCreationOptions.LongRunning);

        long received = await Task.Factory.StartNew(() =>
        {
            var check = new Check(reader, Seed, Max);
            byte[] buffer = new byte[Max];
            while (true)
            {
                if (batch)
                {
                    if (reader.Read(ref check, 100) == 0 && reader.Read(buffer, out RingMessage m, Long) is var status)
                    {
                        if (status != ReadStatus.Message)
                        {
                            Assert.Equal(ReadStatus.Completed, status);
                            break;
                        }

                        check.OnFrame(m.Type, buffer.AsSpan(0, m.Length));
                    }
                }
                else
                {
                    ReadStatus status = reader.Read(buffer, out RingMessage m, Long);
                    if (status != ReadStatus.Message)
                    {
                        Assert.Equal(ReadStatus.Completed, status);
                        break;
                    }

                    check.OnFrame(m.Type, buffer.AsSpan(0, m.Length));
                }

                Assert.Null(check.Error);
            }

            return check.Received;
        }, TaskCreationOptions.LongRunning);

        await produce.WaitAsync(Long);
        Assert.Equal(Count, received + reader.MessagesLost);
        Assert.Equal(Count, reader.NextSequence);
        if (mode == BroadcastMode.Gated)
        {
            Assert.Equal(Count, received);
        }
    }

    private struct Check(BroadcastReader reader, ulong seed, int max) : IFrameHandler
    {
        public long Received;
        public string? Error;

        public void OnFrame(int type, ReadOnlySpan<byte> payload)
        {
            long sequence = reader.LastSequence;
            if (Error is null && Received + reader.MessagesLost != sequence)
            {
                Error = $"message {sequence}: received {Received} + lost {reader.MessagesLost}";
            }

            Error ??= MessagePattern.Verify(payload, type, seed, sequence, max);
            Received++;
        }
    }
}
