using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>Tier 5: real child processes (Ring.TestPeer), exit codes as verdicts, timeouts everywhere.</summary>
public class CrossProcessTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Fact]
    public void TenMillionMessagesOfRandomSizesArriveIntactAndInOrder()
    {
        const long Count = 10_000_000;
        const int Max = 256;
        const ulong Seed = 20261121;
        using var seg = new TestSegment();
        using var reader = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 20));
        using var writer = Peer.Start("write", seg.Name, $"count={Count}", $"seed={Seed}", $"max={Max}", "complete=true");
        VerifyStream(reader, Count, Seed, Max);
        writer.AssertSuccess(Long);
        OneToOneRingStatistics stats = reader.GetStatistics();
        Assert.Equal(Count, stats.MessagesWritten);
        Assert.Equal(Count, stats.MessagesRead);
    }

    [Theory]
    [InlineData(WaitStrategy.Polling, false)]
    [InlineData(WaitStrategy.Blocking, true)]
    [InlineData(WaitStrategy.Hybrid, true)]
    public void FallbacksMoveAMillionMessages(WaitStrategy strategy, bool fenceFallback)
    {
        // Polling needs no futex (the portable path); RING_NO_MEMBARRIER=1 makes the peer's fast path use full fences.
        const long Count = 1_000_000;
        using var seg = new TestSegment();
        using var reader = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 14, strategy: strategy));
        var env = new Dictionary<string, string> { ["RING_NO_MEMBARRIER"] = fenceFallback ? "1" : "0" };
        using var writer = Peer.Start(env, "write", seg.Name, $"count={Count}", "seed=7", "max=128", "complete=true", $"strategy={strategy}");
        VerifyStream(reader, Count, 7, 128);
        writer.AssertSuccess(Long);
    }

    [Fact]
    public void SleepingReaderIsWokenByAnotherProcess()
    {
        using var seg = new TestSegment();
        // A long liveness interval: the reader stays asleep (it does not wake to check on the writer) until woken.
        RingOptions options = seg.Options(strategy: WaitStrategy.Blocking);
        options.LivenessCheckInterval = TimeSpan.FromSeconds(10);
        using var reader = OneToOneRing.Create(seg.Name, options);
        reader.TryRead(new byte[256], out _);
        using var writer = Peer.Start("write", seg.Name, "count=1", "seed=3", "after-reader-sleeps=true");
        byte[] buffer = new byte[256];
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
        Assert.Null(MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, 3, 0, 256));
        writer.AssertSuccess(Long);
        OneToOneRingStatistics stats = reader.GetStatistics();
        Assert.True(stats.ReaderSleeps >= 1, "the reader slept on the futex");
        Assert.True(stats.ReaderWakeups >= 1, "the writer process woke it");
    }

    [Fact]
    public void SleepingWriterIsWokenByAnotherProcess()
    {
        const int Count = 20_000;
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 4096, strategy: WaitStrategy.Blocking));
        using var reader = Peer.Start("read", seg.Name, $"count={Count}", "seed=5", "max=200", "complete=true", "delay=0");
        byte[] buffer = new byte[200];
        for (long i = 0; i < Count; i++)
        {
            int length = MessagePattern.Length(5, i, 200);
            MessagePattern.Fill(buffer.AsSpan(0, length), 5, i);
            Assert.True(writer.TryWrite(buffer.AsSpan(0, length), MessagePattern.Type(i), Long));
        }

        writer.Complete();
        reader.AssertSuccess(Long);
        OneToOneRingStatistics stats = writer.GetStatistics();
        Assert.True(stats.WriterSleeps >= 1, "the writer slept on a full ring");
        Assert.True(stats.WriterWakeups >= 1, "the reader process woke it");
    }

    [Fact]
    public void WriterKilledBetweenClaimAndCommitLosesNoCommittedMessage()
    {
        const int Count = 1000;
        using var seg = new TestSegment();
        using var reader = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 18));
        using var writer = Peer.Start("write-then-hang", seg.Name, $"count={Count}", "seed=11", "max=200");
        writer.WaitForLine("claimed", Long);
        writer.Kill();

        byte[] buffer = new byte[200];
        for (long i = 0; i < Count; i++)
        {
            Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
            Assert.Null(MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, 11, i, 200));
        }

        Assert.Equal(ReadStatus.WriterDied, reader.Read(buffer, out _, Long));
        Assert.Equal(1, reader.GetStatistics().TornClaims);
        Assert.Equal(ReadStatus.WriterDied, reader.Read(buffer, out _, TimeSpan.Zero.Add(TimeSpan.FromMilliseconds(300))));
    }

    [Fact]
    public async Task WriterKilledAtAnArbitraryMomentLosesNoCommittedMessage()
    {
        using var seg = new TestSegment();
        using var reader = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16));
        using var writer = Peer.Start("write-forever", seg.Name, "seed=13", "max=300");
        Task killer = Task.Run(() =>
        {
            writer.WaitForLine("progress 40960", Long);
            writer.Kill();
        });

        byte[] buffer = new byte[300];
        long received = 0;
        ReadStatus status;
        while ((status = reader.Read(buffer, out RingMessage m, Long)) == ReadStatus.Message)
        {
            Assert.Null(MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, 13, received, 300));
            received++;
        }

        await killer.WaitAsync(Long);
        Assert.Equal(ReadStatus.WriterDied, status);
        Assert.True(received > 40960);
        Assert.Equal(reader.GetStatistics().MessagesWritten, received);
    }

    [Fact]
    public void ALiveWriterProcessKeepsTheRoleAndADeadOneLosesIt()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options());
        using var other = Peer.Start("attach-writer", seg.Name);
        other.WaitForLine("attached", Long);
        var e = Assert.Throws<InvalidOperationException>(() => ring.TryWrite([1]));
        Assert.Contains($"process {other.ProcessId} is alive", e.Message);
        other.Kill();
        Assert.True(ring.TryWrite([2])); // takes over from the dead writer
        Assert.Equal(Environment.ProcessId, ring.GetStatistics().WriterProcessId);
    }

    [Fact]
    public void ANewWriterRepairsTheDeadWritersTornClaimAndRefusesGarbage()
    {
        using var seg = new TestSegment();
        using var reader = OneToOneRing.Create(seg.Name, seg.Options(capacity: 4096));
        using (var dead = Peer.Start("write-then-hang", seg.Name, "count=3", "seed=1", "max=64"))
        {
            dead.WaitForLine("claimed", Long);
            dead.Kill();
        }

        // Taking over, the new writer turns the dead writer's claim into padding: the reader gets the 3 committed
        // messages, then the new writer's message, and the torn claim is counted.
        using (var writer = OneToOneRing.Open(seg.Name, seg.Options()))
        {
            Assert.True(writer.TryWrite([42], 5));
        }

        byte[] buffer = new byte[64];
        for (long i = 0; i < 3; i++)
        {
            Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
            Assert.Null(MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, 1, i, 64));
        }

        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage last, Long));
        Assert.Equal(new RingMessage(1, 5), last);
        Assert.Equal(1, reader.GetStatistics().TornClaims);

        // A writer that takes over a ring whose unread frame holds garbage refuses it instead of walking off.
        using (var dead = Peer.Start("write-then-hang", seg.Name, "count=0", "seed=1", "max=64"))
        {
            dead.WaitForLine("claimed", Long);
            dead.Kill();
        }

        long head = reader.GetStatistics().Head;
        using (var fs = new System.IO.FileStream(seg.Path, System.IO.FileMode.Open, System.IO.FileAccess.Write, System.IO.FileShare.ReadWrite))
        {
            fs.Position = Ring.Layout.OneToOneRingDescriptor.DataOffset + (head & 4095);
            fs.Write(BitConverter.GetBytes(-int.MaxValue));
        }

        using var next = OneToOneRing.Open(seg.Name, seg.Options());
        var e = Assert.Throws<RingCorruptedException>(() => next.TryWrite([1]));
        Assert.Contains($"the frame at position {head} has length {-int.MaxValue}", e.Message);
    }

    [Fact]
    public void AWriterThatDiedBetweenTheTailAndThePaddingOfAWrapIsRepairedByItsSuccessor()
    {
        // TryClaim of a wrapping frame stores the tail, then the padding's length: a writer killed in between leaves a
        // zero length under the tail, then its claim at offset 0. The state is forged here (the window is a few
        // instructions wide); the dead writer is a real process killed with SIGKILL.
        using var seg = new TestSegment();
        using (var creator = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024)))
        using (var dead = Peer.Start("attach-writer", seg.Name))
        {
            dead.WaitForLine("attached", Long);
            dead.Kill();
            Assert.True(creator.TryRead(new byte[64], out _)); // the peer's one message
        }

        using (var fs = new System.IO.FileStream(seg.Path, System.IO.FileMode.Open, System.IO.FileAccess.ReadWrite, System.IO.FileShare.ReadWrite))
        {
            void Put(long offset, long value, int size)
            {
                fs.Position = offset;
                fs.Write(size == 8 ? BitConverter.GetBytes(value) : BitConverter.GetBytes((int)value));
            }

            const int Data = Ring.Layout.OneToOneRingDescriptor.DataOffset;
            Put(Ring.Layout.OneToOneRingDescriptor.HeadOffset, 1000, 8);
            Put(Ring.Layout.OneToOneRingDescriptor.TailOffset, 1000 + 24 + 32, 8);
            Put(Data + 0, -28, 4);     // the claim at offset 0: 20 payload bytes, in progress
            Put(Data + 4, 5, 4);
            Put(Data + 32, 0, 4);      // its zero word
            Put(Data + 1000, 0, 4);    // the padding to the end: type stored, length not
            Put(Data + 1004, -1, 4);
        }

        using (var successor = OneToOneRing.Open(seg.Name, seg.Options()))
        {
            Assert.True(successor.TryWrite([42], 7));
        }

        using var reader = OneToOneRing.Open(seg.Name, seg.Options());
        byte[] buffer = new byte[64];
        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(1, 7), m);
        Assert.Equal(42, buffer[0]);
        OneToOneRingStatistics stats = reader.GetStatistics();
        Assert.Equal(1, stats.TornClaims);
        Assert.Equal(stats.Tail, stats.Head);
    }

    [Fact]
    public void WriterBlockedOnAFullRingLearnsThatTheReaderDied()
    {
        using var seg = new TestSegment();
        using var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: 64, maxMessageLength: 16, strategy: WaitStrategy.Blocking));
        using var reader = Peer.Start("attach-reader", seg.Name);
        reader.WaitForLine("attached", Long);
        Assert.True(writer.TryWrite(new byte[16]));
        Assert.True(writer.TryWrite(new byte[16]));
        Task.Run(() =>
        {
            System.Threading.Thread.Sleep(200);
            reader.Kill();
        });
        var e = Assert.Throws<RingPeerDeadException>(() => writer.TryWrite(new byte[16], 0, Long));
        Assert.Equal(reader.ProcessId, e.ProcessId);
    }

    private static void VerifyStream(OneToOneRing reader, long count, ulong seed, int max)
    {
        byte[] buffer = new byte[max];
        for (long i = 0; i < count; i++)
        {
            ReadStatus status = reader.Read(buffer, out RingMessage m, Long);
            if (status != ReadStatus.Message)
            {
                Assert.Fail($"message {i}: {status}");
            }

            string? error = MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, seed, i, max);
            if (error is not null)
            {
                Assert.Fail(error);
            }
        }

        Assert.Equal(ReadStatus.Completed, reader.Read(buffer, out _, Long));
    }
}
