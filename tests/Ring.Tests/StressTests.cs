using System;
using System.Threading;
using System.Threading.Tasks;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>Tier 4: millions of messages across two threads on small rings (many wraps), each one verified byte by byte.</summary>
public class StressTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData(WaitStrategy.Hybrid, 1 << 12)]
    [InlineData(WaitStrategy.Blocking, 1 << 16)]
    public async Task CopyPathKeepsEveryMessage(WaitStrategy strategy, long capacity)
    {
        const long Count = 2_000_000;
        const int Max = 200;
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: capacity, strategy: strategy));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options(strategy: strategy));
        Task produce = Task.Factory.StartNew(() =>
        {
            byte[] buffer = new byte[Max];
            for (long i = 0; i < Count; i++)
            {
                int length = MessagePattern.Length(99, i, Max);
                MessagePattern.Fill(buffer.AsSpan(0, length), 99, i);
                if (!writer.TryWrite(buffer.AsSpan(0, length), MessagePattern.Type(i), Long))
                {
                    throw new TimeoutException($"write {i}");
                }
            }

            writer.Complete();
        }, TaskCreationOptions.LongRunning);

        long received = await Task.Factory.StartNew(() =>
        {
            byte[] buffer = new byte[Max];
            long n = 0;
            while (reader.Read(buffer, out RingMessage m, Long) == ReadStatus.Message)
            {
                string? error = MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, 99, n, Max);
                Assert.True(error is null, error);
                n++;
            }

            return n;
        }, TaskCreationOptions.LongRunning);

        await produce.WaitAsync(Long);
        Assert.Equal(Count, received);
    }

    [Fact]
    public async Task ZeroCopyPathKeepsEveryMessage()
    {
        const long Count = 2_000_000;
        const int Max = 120;
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 13));
        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        Task produce = Task.Factory.StartNew(() =>
        {
            var spin = new SpinWait();
            bool aborted = false;
            for (long i = 0; i < Count;)
            {
                int length = MessagePattern.Length(5, i, Max);
                if (!writer.TryClaim(length, MessagePattern.Type(i), out Span<byte> payload))
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }

                if (i % 97 == 0 && !aborted)
                {
                    // Abort now and then, with junk in the frame: the reader must never see an aborted claim.
                    payload.Fill(0xAB);
                    writer.Abort();
                    aborted = true;
                    continue;
                }

                MessagePattern.Fill(payload, 5, i);
                writer.Commit();
                aborted = false;
                i++;
            }

            writer.Complete();
        }, TaskCreationOptions.LongRunning);

        var verifier = new Verifier(Max);
        while (reader.Read(ref verifier, 64) > 0 || await reader.WaitToReadAsync().AsTask().WaitAsync(Long))
        {
        }

        await produce.WaitAsync(Long);
        Assert.Null(verifier.Error);
        Assert.Equal(Count, verifier.Next);
    }

    private struct Verifier(int max) : IFrameHandler
    {
        public long Next;
        public string? Error;

        public void OnFrame(int type, ReadOnlySpan<byte> payload)
        {
            Error ??= MessagePattern.Verify(payload, type, 5, Next, max);
            Next++;
        }
    }
}
