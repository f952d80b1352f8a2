using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Ring.Channels;
using Ring.Layout;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// LaneMailbox: exact receive order by priority, receive-by-type, the starvation policy, completion, the doorbell
/// (the receiver sleeps and is woken: read from its counters, never from timing), dead senders and receivers across
/// processes, bad input, and no allocation per message.
/// </summary>
public class LaneMailboxTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private const int Max = 200;

    [Fact]
    public void CreateMakesOneSegmentPerLaneAndADoorbellAndRemoveDeletesThem()
    {
        using var names = new MailboxNames();
        using (var mailbox = LaneMailbox.Create(names.Name, 3, names.Options()))
        {
            Assert.Equal(3, mailbox.LaneCount);
            Assert.Equal(names.Name, mailbox.Name);
            Assert.True(RingSegment.Exists(LaneMailboxDescriptor.BellName(names.Name), names.Directory));
            for (int lane = 0; lane < 3; lane++)
            {
                Assert.True(RingSegment.Exists(LaneMailboxDescriptor.LaneName(names.Name, lane), names.Directory));
            }

            Assert.False(RingSegment.Exists(LaneMailboxDescriptor.LaneName(names.Name, 3), names.Directory));
            Assert.Equal(RingKind.Event, RingSegment.Inspect(LaneMailboxDescriptor.BellName(names.Name), names.Directory).Kind);
            using var opened = LaneMailbox.Open(names.Name, names.Options());
            Assert.Equal(3, opened.LaneCount);
            Assert.Equal(Max, opened.MaxMessageLength);
        }

        Assert.True(LaneMailbox.Remove(names.Name, names.Directory));
        Assert.Empty(names.Files());
        Assert.False(LaneMailbox.Remove(names.Name, names.Directory));
    }

    [Fact]
    public void TheDoorbellRecordsTheLaneCountAfterTheSyncPart()
    {
        Assert.Equal(384, LaneMailboxDescriptor.MagicOffset);
        Assert.Equal(SyncDescriptor.ExtensionOffset, LaneMailboxDescriptor.MagicOffset);
        Assert.Equal(388, LaneMailboxDescriptor.VersionOffset);
        Assert.Equal(392, LaneMailboxDescriptor.LaneCountOffset);
        Assert.Equal("LANE"u8.ToArray(), BitConverter.GetBytes(LaneMailboxDescriptor.Magic));
        Assert.Equal("m.lane12", LaneMailboxDescriptor.LaneName("m", 12));
        Assert.Equal("m.bell", LaneMailboxDescriptor.BellName("m"));

        using var names = new MailboxNames();
        using var mailbox = LaneMailbox.Create(names.Name, 5, names.Options());
        byte[] bell = File.ReadAllBytes(Path.Join(names.Directory, LaneMailboxDescriptor.BellName(names.Name)));
        Assert.Equal(SyncDescriptor.SegmentLength, bell.Length);
        Assert.Equal(LaneMailboxDescriptor.Magic, BitConverter.ToInt32(bell, 384));
        Assert.Equal(1, BitConverter.ToInt32(bell, 388));
        Assert.Equal(5, BitConverter.ToInt32(bell, 392));
        Assert.Equal(0, BitConverter.ToInt32(bell, SharedEventDescriptor.StateOffset));
        Assert.Equal(0, BitConverter.ToInt32(bell, SharedEventDescriptor.ModeOffset));
    }

    [Fact]
    public void ReceiveTakesTheMostUrgentLaneFirstAndEachLaneInOrder()
    {
        using var names = new MailboxNames();
        using var rx = LaneMailbox.Create(names.Name, 4, names.Options());
        using var tx = LaneMailbox.Open(names.Name, names.Options());
        Send(tx, 3, "d0", "d1");
        Send(tx, 1, "b0", "b1", "b2");
        Send(tx, 0, "a0", "a1");
        Send(tx, 2, "c0");

        Assert.Equal(["a0", "a1", "b0", "b1", "b2", "c0", "d0", "d1"], ReceiveAll(rx));
    }

    [Fact]
    public void MessagesCarryTheirLaneAndType()
    {
        using var names = new MailboxNames();
        using var rx = LaneMailbox.Create(names.Name, 2, names.Options());
        using var tx = LaneMailbox.Open(names.Name, names.Options());
        Assert.True(tx.TrySend(1, "x"u8, type: 77));
        Assert.True(tx.TrySend(0, "yy"u8, type: int.MaxValue));
        byte[] buffer = new byte[Max];
        Assert.True(rx.TryReceive(buffer, out LaneMessage m));
        Assert.Equal(new LaneMessage(0, 2, int.MaxValue), m);
        Assert.True(rx.TryReceive(buffer, out m));
        Assert.Equal(new LaneMessage(1, 1, 77), m);
        Assert.Equal((byte)'x', buffer[0]);
    }

    [Fact]
    public void ReceiveByTypeTakesOnlyThatLaneAndUpToTakesTheMostUrgentOfTheLanesUpToIt()
    {
        using var names = new MailboxNames();
        using var rx = LaneMailbox.Create(names.Name, 4, names.Options());
        using var tx = LaneMailbox.Open(names.Name, names.Options());
        Send(tx, 0, "a0", "a1");
        Send(tx, 1, "b0");
        Send(tx, 2, "c0", "c1");
        Send(tx, 3, "d0");
        byte[] buffer = new byte[Max];

        // msgtyp > 0: the head of that lane, whatever the more urgent lanes hold.
        Assert.Equal("c0", ReceiveText(rx, r => r.TryReceive(2, buffer, out LaneMessage m) ? (m, buffer) : default));
        Assert.Equal("c1", ReceiveText(rx, r => r.TryReceive(2, buffer, out LaneMessage m) ? (m, buffer) : default));
        Assert.False(rx.TryReceive(2, buffer, out _));

        // msgtyp < 0: the most urgent message of lanes 0 to 1; lane 3 is left alone.
        Assert.Equal("a0", ReceiveText(rx, r => r.TryReceiveUpTo(1, buffer, out LaneMessage m) ? (m, buffer) : default));
        Assert.Equal("a1", ReceiveText(rx, r => r.TryReceiveUpTo(1, buffer, out LaneMessage m) ? (m, buffer) : default));
        Assert.Equal("b0", ReceiveText(rx, r => r.TryReceiveUpTo(1, buffer, out LaneMessage m) ? (m, buffer) : default));
        Assert.False(rx.TryReceiveUpTo(2, buffer, out _));
        Assert.Equal(["d0"], ReceiveAll(rx));

        // The blocking forms: a lane-specific receive does not take a message from another lane.
        Send(tx, 0, "a2");
        Assert.Equal(ReadStatus.TimedOut, rx.Receive(3, buffer, out _, TimeSpan.FromMilliseconds(30)));
        Assert.Equal(ReadStatus.Message, rx.ReceiveUpTo(0, buffer, out LaneMessage got, TimeSpan.Zero));
        Assert.Equal(0, got.Lane);
        Assert.Equal(ReadStatus.TimedOut, rx.Receive(0, buffer, out _, TimeSpan.Zero));
    }

    [Fact]
    public void StrictPriorityStarvesLessUrgentLanesWhileTheUrgentOneHoldsMessages()
    {
        using var names = new MailboxNames();
        using var rx = LaneMailbox.Create(names.Name, 3, names.Options());
        using var tx = LaneMailbox.Open(names.Name, names.Options());
        Assert.Equal(0, rx.StarvationLimit);
        FillForStarvation(tx);
        Assert.Equal(["a0", "a1", "a2", "a3", "a4", "a5", "b0", "b1", "c0", "c1"], ReceiveAll(rx));
    }

    [Fact]
    public void StarvationLimitServesTheLongestWaitingLaneAfterNPriorityMessages()
    {
        using var names = new MailboxNames();
        using var tx = LaneMailbox.Create(names.Name, 3, names.Options());
        using var rx = LaneMailbox.Open(names.Name, names.Options(starvationLimit: 2));
        Assert.Equal(2, rx.StarvationLimit);
        FillForStarvation(tx);

        // Lanes 1 and 2 both start waiting at the first receive. After two from lane 0, the longest waiting is served
        // (lane 1 on the tie); lane 1 then waits again from the fourth receive, so lane 2 (waiting since the first) is
        // next, then lane 1 again; once lane 0 is empty, priority alone decides.
        Assert.Equal(["a0", "a1", "b0", "a2", "a3", "c0", "a4", "a5", "b1", "c1"], ReceiveAll(rx));
    }

    [Fact]
    public void StarvationLimitOfOneAlternatesAndCountsOnlyWhileALessUrgentLaneWaits()
    {
        using var names = new MailboxNames();
        using var tx = LaneMailbox.Create(names.Name, 2, names.Options());
        using var rx = LaneMailbox.Open(names.Name, names.Options(starvationLimit: 1));
        Send(tx, 0, "a0", "a1");
        byte[] buffer = new byte[Max];

        // Nothing waits behind lane 0: no streak builds up.
        Assert.Equal(["a0", "a1"], ReceiveAll(rx));
        Send(tx, 0, "a2", "a3", "a4");
        Send(tx, 1, "b0", "b1");
        Assert.Equal(["a2", "b0", "a3", "b1", "a4"], ReceiveAll(rx));
    }

    [Fact]
    public void AFullLaneBlocksOnlyItsOwnSenders()
    {
        using var names = new MailboxNames();
        using var rx = LaneMailbox.Create(names.Name, 2, names.Options(capacity: 1024));
        using var tx = LaneMailbox.Open(names.Name, names.Options(capacity: 1024));
        byte[] message = new byte[100];
        int sent = 0;
        while (tx.TrySend(0, message))
        {
            sent++;
            Assert.True(sent < 100, "lane 0 never filled");
        }

        Assert.False(tx.TrySend(0, message, 0, TimeSpan.FromMilliseconds(20)));
        Assert.True(tx.TrySend(1, message, 5));
        Assert.True(tx.TrySend(1, message, 5, TimeSpan.Zero));
        byte[] buffer = new byte[Max];
        Assert.True(rx.TryReceive(buffer, out LaneMessage m));
        Assert.Equal(0, m.Lane);
        Assert.True(rx.TryReceive(0, buffer, out m));

        // Room again (two frames: the next one may not fit before the wrap): a blocked sender of lane 0 goes on.
        Assert.True(tx.TrySend(0, message, 0, Long));
    }

    [Fact]
    public async Task BlockingReceiveSleepsOnTheDoorbellAndASendOnAnyLaneWakesIt()
    {
        using var names = new MailboxNames();

        // A sleep ends at a wake-up or at the liveness interval: the longest interval, so that a periodic check does not
        // hide a lost wake-up (the wake-up counter would not move either).
        LaneOptions options = names.Options();
        options.Ring.LivenessCheckInterval = TimeSpan.FromSeconds(10);
        using var rx = LaneMailbox.Create(names.Name, 3, options);
        using var tx = LaneMailbox.Open(names.Name, names.Options());
        byte[] buffer = new byte[Max];
        for (int round = 0; round < 3; round++)
        {
            long sleeps = rx.GetStatistics().ReceiverSleeps;
            long wakeups = rx.GetStatistics().ReceiverWakeups;
            int lane = 2 - round;
            Task<(ReadStatus, LaneMessage)> receiving = Task.Factory.StartNew(
                () => (rx.Receive(buffer, out LaneMessage m, Long), m), TaskCreationOptions.LongRunning);
            WaitUntil(() => rx.GetStatistics() is { IsReceiverSleeping: true } s && s.ReceiverSleeps > sleeps, "the receiver never slept");
            Assert.True(tx.TrySend(lane, "wake"u8, round));
            (ReadStatus status, LaneMessage message) = await receiving.WaitAsync(Long);
            Assert.Equal(ReadStatus.Message, status);
            Assert.Equal(new LaneMessage(lane, 4, round), message);
            Assert.True(rx.GetStatistics().ReceiverWakeups > wakeups);
        }
    }

    [Fact]
    public void ASendWhileTheReceiverIsAwakeIssuesNoWakeup()
    {
        using var names = new MailboxNames();
        using var rx = LaneMailbox.Create(names.Name, 2, names.Options());
        using var tx = LaneMailbox.Open(names.Name, names.Options());
        for (int i = 0; i < 100; i++)
        {
            Assert.True(tx.TrySend(i % 2, "m"u8));
        }

        Assert.Equal(100, ReceiveAll(rx).Count);
        LaneMailboxStatistics s = rx.GetStatistics();
        Assert.Equal(0, s.ReceiverWakeups);
        Assert.Equal(0, s.ReceiverSleeps);
        Assert.Equal(50, s.Lanes[0].MessagesRead);
        Assert.Equal(50, s.Lanes[1].MessagesWritten);
        Assert.All(s.Lanes, l => Assert.Equal(0, l.ReaderWakeups));
    }

    [Fact]
    public void ReceiveTimesOutWhenNothingArrives()
    {
        using var names = new MailboxNames();
        using var rx = LaneMailbox.Create(names.Name, 2, names.Options());
        byte[] buffer = new byte[Max];
        Assert.Equal(ReadStatus.TimedOut, rx.Receive(buffer, out _, TimeSpan.Zero));
        Assert.Equal(ReadStatus.TimedOut, rx.Receive(buffer, out _, TimeSpan.FromMilliseconds(30)));
        Assert.Equal(ReadStatus.TimedOut, rx.ReceiveUpTo(1, buffer, out _, TimeSpan.FromMilliseconds(30)));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(30));
        Assert.ThrowsAny<OperationCanceledException>(() => rx.Receive(buffer, out _, Long, cts.Token));
    }

    [Fact]
    public async Task CompleteEndsTheMailboxOnceEveryLaneIsDrained()
    {
        using var names = new MailboxNames();
        using var rx = LaneMailbox.Create(names.Name, 3, names.Options());
        using var tx = LaneMailbox.Open(names.Name, names.Options());
        Send(tx, 2, "c0");
        Send(tx, 0, "a0");
        tx.Complete();
        tx.Complete(); // idempotent
        Assert.True(rx.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => tx.TrySend(1, "late"u8));
        byte[] buffer = new byte[Max];

        // Completed only once drained: the messages sent before come first, by priority.
        Assert.Equal(ReadStatus.Message, rx.Receive(buffer, out LaneMessage m, Long));
        Assert.Equal(0, m.Lane);
        Assert.Equal(ReadStatus.Completed, rx.Receive(0, buffer, out _, Long));
        Assert.Equal(ReadStatus.Message, rx.Receive(buffer, out m, Long));
        Assert.Equal(2, m.Lane);
        Assert.Equal(ReadStatus.Completed, rx.Receive(buffer, out _, Long));
        Assert.False(await rx.WaitToReceiveAsync());
        await Assert.ThrowsAsync<RingCompletedException>(async () => await rx.ReceiveAsync(buffer));
        await Assert.ThrowsAsync<RingCompletedException>(async () => await rx.ReceiveAsync(1, buffer));
        Assert.True(rx.GetStatistics().IsCompleted);
    }

    [Fact]
    public async Task CompleteWakesASleepingReceiver()
    {
        using var names = new MailboxNames();
        LaneOptions options = names.Options();
        options.Ring.LivenessCheckInterval = TimeSpan.FromSeconds(10);
        using var rx = LaneMailbox.Create(names.Name, 2, options);
        using var tx = LaneMailbox.Open(names.Name, names.Options());
        byte[] buffer = new byte[Max];
        Task<ReadStatus> receiving = Task.Factory.StartNew(() => rx.Receive(buffer, out _, Long), TaskCreationOptions.LongRunning);
        WaitUntil(() => rx.GetStatistics().IsReceiverSleeping, "the receiver never slept");
        tx.Complete();
        Assert.Equal(ReadStatus.Completed, await receiving.WaitAsync(Long));
    }

    [Fact]
    public async Task AsyncReceiveWaitsForItsLaneAndAsyncSendDelivers()
    {
        using var names = new MailboxNames();
        using var rx = LaneMailbox.Create(names.Name, 3, names.Options());
        using var tx = LaneMailbox.Open(names.Name, names.Options());
        byte[] buffer = new byte[Max];
        ValueTask<LaneMessage> lane2 = rx.ReceiveAsync(2, buffer);
        Assert.False(lane2.IsCompleted);
        await tx.SendAsync(0, "a0"u8.ToArray());
        await tx.SendAsync(2, "c0"u8.ToArray(), type: 9);
        LaneMessage m = await lane2.AsTask().WaitAsync(Long);
        Assert.Equal(new LaneMessage(2, 2, 9), m);
        Assert.Equal("c0", Encoding.ASCII.GetString(buffer, 0, m.Length));

        // The any-lane form takes lane 0's message, which the lane 2 receive left in place.
        m = await rx.ReceiveAsync(buffer).AsTask().WaitAsync(Long);
        Assert.Equal(0, m.Lane);
        ValueTask<LaneMessage> upTo1 = rx.ReceiveUpToAsync(1, buffer);
        await tx.SendAsync(2, "c1"u8.ToArray());
        await tx.SendAsync(1, "b0"u8.ToArray());
        m = await upTo1.AsTask().WaitAsync(Long);
        Assert.Equal(1, m.Lane);
        Assert.True(await rx.WaitToReceiveAsync().AsTask().WaitAsync(Long));
    }

    [Fact]
    public async Task DisposeEndsAPendingReceive()
    {
        // Several times: the waiting thread completes the wait when disposal interrupts it, and must then not complete
        // it a second time when it is stopped (that crashed the process before the fix in DedicatedAsyncWaiter).
        for (int i = 0; i < 10; i++)
        {
            using var names = new MailboxNames();
            var rx = LaneMailbox.Create(names.Name, 2, names.Options());
            byte[] buffer = new byte[Max];
            ValueTask<LaneMessage> pending = rx.ReceiveAsync(buffer);
            rx.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending.AsTask().WaitAsync(Long));
            Assert.Throws<ObjectDisposedException>(() => rx.TryReceive(buffer, out _));
            Assert.Throws<ObjectDisposedException>(() => rx.TrySend(0, buffer));
            Assert.Throws<ObjectDisposedException>(() => rx.IsCompleted);
            rx.Dispose();
        }
    }

    [Fact]
    public async Task DisposingARingWithAPendingAsyncWaitEndsItWithoutCrashingTheProcess()
    {
        for (int i = 0; i < 10; i++)
        {
            using var seg = new TestSegment();
            var ring = ManyToOneRing.Create(seg.Name, seg.Options());
            ValueTask<bool> pending = ring.WaitToReadAsync();
            ring.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending.AsTask().WaitAsync(Long));
        }
    }

    [Fact]
    public void BadInputIsRefusedWithTheValueAndTheRule()
    {
        using var names = new MailboxNames();
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => LaneMailbox.Create(names.Name, 0, names.Options()));
        Assert.Equal("lanes", zero.ParamName);
        Assert.Contains("1 to 16", zero.Message, StringComparison.Ordinal);
        Assert.Equal("lanes", Assert.Throws<ArgumentOutOfRangeException>(() => LaneMailbox.Create(names.Name, 17, names.Options())).ParamName);
        Assert.Empty(names.Files());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LaneOptions { StarvationLimit = -1 });
        Assert.Throws<ArgumentNullException>(() => new LaneOptions { Ring = null! });
        Assert.Throws<ArgumentNullException>(() => LaneMailbox.Create(null!, 2));
        Assert.Throws<ArgumentException>(() => LaneMailbox.Create("a/b", 2, names.Options()));

        using var rx = LaneMailbox.Create(names.Name, 3, names.Options());
        using var tx = LaneMailbox.Open(names.Name, names.Options());
        byte[] buffer = new byte[Max];
        foreach (int lane in new[] { -1, 3, int.MaxValue })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => tx.TrySend(lane, "x"u8));
            Assert.Equal("lane", e.ParamName);
            Assert.Contains("lanes 0 to 2", e.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentOutOfRangeException>(() => rx.TryReceive(lane, buffer, out _));
            Assert.Throws<ArgumentOutOfRangeException>(() => rx.TryReceiveUpTo(lane, buffer, out _));
            Assert.Throws<ArgumentOutOfRangeException>(() => rx.Receive(lane, buffer, out _, TimeSpan.Zero));
            Assert.Throws<ArgumentOutOfRangeException>(() => { _ = rx.ReceiveAsync(lane, buffer).AsTask(); });
            Assert.Throws<ArgumentOutOfRangeException>(() => { _ = tx.SendAsync(lane, buffer).AsTask(); });
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => tx.TrySend(0, new byte[Max + 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tx.TrySend(0, "x"u8, -5));
        Assert.Throws<ArgumentOutOfRangeException>(() => rx.Receive(buffer, out _, TimeSpan.FromMilliseconds(-2)));

        // A destination too small consumes nothing.
        Assert.True(tx.TrySend(1, new byte[50]));
        Assert.Throws<ArgumentException>(() => rx.TryReceive(new byte[10], out _));
        Assert.True(rx.TryReceive(buffer, out LaneMessage m));
        Assert.Equal(50, m.Length);

        // One receiver at a time; Create is exclusive.
        var second = Assert.Throws<InvalidOperationException>(() => tx.TryReceive(buffer, out _));
        Assert.Contains(names.Name, second.Message, StringComparison.Ordinal);
        Assert.Throws<IOException>(() => LaneMailbox.Create(names.Name, 3, names.Options()));
    }

    [Fact]
    public void CreateRemovesWhatItMadeWhenALaneExistsAndOpenRefusesAForeignDoorbell()
    {
        using var names = new MailboxNames();
        using (ManyToOneRing.Create(LaneMailboxDescriptor.LaneName(names.Name, 1), names.Options().Ring))
        {
            Assert.Throws<IOException>(() => LaneMailbox.Create(names.Name, 3, names.Options()));
            Assert.Equal([LaneMailboxDescriptor.LaneName(names.Name, 1)], names.Files());
        }

        RingSegment.Remove(LaneMailboxDescriptor.LaneName(names.Name, 1), names.Directory);
        using (SharedEvent.Create(LaneMailboxDescriptor.BellName(names.Name), EventResetMode.AutoReset, options: names.Options().Ring))
        {
            var e = Assert.Throws<RingFormatException>(() => LaneMailbox.Open(names.Name, names.Options()));
            Assert.Contains("magic", e.Message, StringComparison.Ordinal);
        }

        RingSegment.Remove(LaneMailboxDescriptor.BellName(names.Name), names.Directory);
        var missing = Assert.Throws<FileNotFoundException>(() => LaneMailbox.Open(names.Name, names.Options()));
        Assert.Contains(LaneMailboxDescriptor.BellName(names.Name), missing.Message, StringComparison.Ordinal);
        Assert.Empty(names.Files());
    }

    [Fact]
    public void TrySendAndTryReceiveAllocateNothing()
    {
        foreach (int limit in new[] { 0, 3 })
        {
            using var names = new MailboxNames();
            using var rx = LaneMailbox.Create(names.Name, 4, names.Options(capacity: 1 << 16, starvationLimit: limit));
            using var tx = LaneMailbox.Open(names.Name, names.Options(capacity: 1 << 16));
            byte[] message = new byte[100];
            byte[] buffer = new byte[Max];
            int received = 0;
            void Run()
            {
                for (int i = 0; i < 5_000; i++)
                {
                    tx.TrySend(i & 3, message, i);
                    tx.TrySend(0, message, i);
                    received += rx.TryReceive(buffer, out _) ? 1 : 0;
                    received += rx.TryReceive(i & 3, buffer, out _) ? 1 : 0;
                    received += rx.Receive(buffer, out _, TimeSpan.Zero) == ReadStatus.Message ? 1 : 0;
                    tx.TrySend(1, message, 1, TimeSpan.Zero);
                    received += rx.TryReceiveUpTo(2, buffer, out _) ? 1 : 0;
                }
            }

            Run(); // warm up: tiering, attach, statics
            long before = GC.GetAllocatedBytesForCurrentThread();
            Run();
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.True(received > 0);
        }
    }

    [Fact]
    public void TwoSenderProcessesOnDifferentLanesWakeTheSleepingReceiverAndKeepTheirOrder()
    {
        const int PerSender = 5_000;
        using var names = new MailboxNames();

        // The longest liveness interval: the receiver's sleep then ends only when a sender wakes it (or after 10 s),
        // so the senders, which start once it sleeps, find it sleeping.
        LaneOptions options = names.Options(capacity: 4096);
        options.Ring.LivenessCheckInterval = TimeSpan.FromSeconds(10);
        using var rx = LaneMailbox.Create(names.Name, 3, options);
        using var s0 = Peer.Start("lane-send", names.Name, "id=0", "lane=0", $"count={PerSender}", $"max={Max}", "wait-sleep");
        using var s1 = Peer.Start("lane-send", names.Name, "id=1", "lane=2", $"count={PerSender}", $"max={Max}", "wait-sleep");
        byte[] buffer = new byte[Max];
        long[] next = new long[3];
        int total = 0;
        while (total < 2 * PerSender)
        {
            ReadStatus status = rx.Receive(buffer, out LaneMessage m, Long);
            Assert.True(status == ReadStatus.Message, $"after {total} messages ({next[0]} from lane 0, {next[2]} from lane 2): {status}; {Describe(rx, s0, s1)}");
            Assert.True(m.Lane is 0 or 2, $"lane {m.Lane}");
            ulong seed = m.Lane == 0 ? 1UL : 2UL;
            string? error = MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, seed, next[m.Lane], Max);
            Assert.True(error is null, $"lane {m.Lane}: {error}");
            next[m.Lane]++;
            total++;
        }

        s0.AssertSuccess(Long);
        s1.AssertSuccess(Long);
        Assert.Equal(PerSender, next[0]);
        Assert.Equal(PerSender, next[2]);
        Assert.False(rx.TryReceive(buffer, out _));

        // The senders started only once the receiver slept on the doorbell: a send woke it.
        LaneMailboxStatistics s = rx.GetStatistics();
        Assert.True(s.ReceiverSleeps >= 1, $"sleeps {s.ReceiverSleeps}");
        Assert.True(s.ReceiverWakeups >= 1, $"wake-ups {s.ReceiverWakeups}; {Describe(rx, s0, s1)}");
        Assert.Equal(PerSender, s.Lanes[0].MessagesRead);
        Assert.Equal(PerSender, s.Lanes[2].MessagesRead);
    }

    [Fact]
    public void ReceiveEndsWithWriterDiedOnceEverySenderDiedAndEveryLaneIsDrained()
    {
        using var names = new MailboxNames();
        LaneOptions options = names.Options();
        options.Ring.LivenessCheckInterval = TimeSpan.FromMilliseconds(10);
        using var rx = LaneMailbox.Create(names.Name, 3, options);
        using var sender = Peer.Start("lane-send-hang", names.Name, "id=0", "lane=1", "count=10", $"max={Max}");
        sender.WaitForLine("sent", Long);
        sender.Kill();
        byte[] buffer = new byte[Max];

        // Every message it committed arrives first; then the receive ends instead of waiting for the timeout. Senders
        // attach to every lane, so a receive of a lane it never used ends too.
        for (long i = 0; i < 10; i++)
        {
            Assert.Equal(ReadStatus.Message, rx.Receive(buffer, out LaneMessage m, Long));
            Assert.Null(MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, 1, i, Max));
        }

        Assert.Equal(ReadStatus.WriterDied, rx.Receive(buffer, out _, Long));
        Assert.Equal(ReadStatus.WriterDied, rx.Receive(2, buffer, out _, Long));
        Assert.Equal(ReadStatus.WriterDied, rx.ReceiveUpTo(0, buffer, out _, Long));
    }

    [Fact]
    public async Task SendersKilledAtArbitraryMomentsNeverBlockTheReceiverNorBreakAnyLanesOrder()
    {
        const int Kills = 6;
        using var names = new MailboxNames();
        LaneOptions options = names.Options(capacity: 4096);
        options.Ring.LivenessCheckInterval = TimeSpan.FromMilliseconds(10);
        using var rx = LaneMailbox.Create(names.Name, Kills + 1, options);
        long[] next = new long[Kills + 1];
        using var stop = new CancellationTokenSource();

        // Sender k sends on lane k: its messages are told apart by lane, and each lane must hold a gap-free prefix of
        // its sender's stream. Between kills every sender may be dead: WriterDied then, and the receiver goes on.
        Task<ReadStatus> receiving = Task.Factory.StartNew(() =>
        {
            byte[] buffer = new byte[Max];
            while (true)
            {
                ReadStatus status = rx.Receive(buffer, out LaneMessage m, Long, stop.Token);
                if (status == ReadStatus.WriterDied)
                {
                    Thread.Sleep(1);
                    continue;
                }

                if (status != ReadStatus.Message)
                {
                    return status;
                }

                string? error = MessagePattern.Verify(buffer.AsSpan(0, m.Length), m.Type, (ulong)m.Lane + 1, next[m.Lane], Max);
                if (error is not null)
                {
                    throw new InvalidOperationException($"lane {m.Lane}: {error}");
                }

                next[m.Lane]++;
            }
        }, TaskCreationOptions.LongRunning);

        var random = new Random(11);
        for (int id = 0; id < Kills; id++)
        {
            using var sender = Peer.Start("lane-send-forever", names.Name, $"id={id}", $"lane={id}", $"max={Max}");
            sender.WaitForLine("attached", Long);
            Thread.Sleep(random.Next(5, 40));
            sender.Kill();
            Assert.False(receiving.IsCompleted, $"the receiver stopped: {receiving.Status} {receiving.Exception}");
        }

        using (var last = Peer.Start("lane-send", names.Name, $"id={Kills}", $"lane={Kills}", "count=100", $"max={Max}", "complete"))
        {
            last.AssertSuccess(Long);
        }

        // Completed is reached only once every lane is drained, torn claims of the killed senders recovered included.
        Assert.Equal(ReadStatus.Completed, await receiving.WaitAsync(Long));
        Assert.Equal(100, next[Kills]);
        LaneMailboxStatistics s = rx.GetStatistics();
        for (int lane = 0; lane < Kills; lane++)
        {
            // A sender killed between publishing a frame and counting it has one more delivered than counted.
            Assert.InRange(next[lane], s.Lanes[lane].MessagesWritten, s.Lanes[lane].MessagesWritten + 1);
            Assert.Equal(next[lane], s.Lanes[lane].MessagesRead);
        }
    }

    [Fact]
    public async Task AsyncReceiveThrowsOnceEverySenderDied()
    {
        using var names = new MailboxNames();
        LaneOptions options = names.Options();
        options.Ring.LivenessCheckInterval = TimeSpan.FromMilliseconds(10);
        using var rx = LaneMailbox.Create(names.Name, 2, options);
        using var sender = Peer.Start("lane-send-hang", names.Name, "id=0", "lane=1", "count=3", $"max={Max}");
        sender.WaitForLine("sent", Long);
        byte[] buffer = new byte[Max];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(1, (await rx.ReceiveAsync(buffer).AsTask().WaitAsync(Long)).Lane);
        }

        // Pending before the kill; the peer is the only sender (an object that opened the mailbox but never sent is none).
        ValueTask<LaneMessage> pending = rx.ReceiveAsync(buffer);
        Assert.False(pending.IsCompleted);
        sender.Kill();
        await Assert.ThrowsAsync<RingPeerDeadException>(async () => await pending.AsTask().WaitAsync(Long));
    }

    [Fact]
    public void ASendToAFullLaneEndsWhenTheReceiverDies()
    {
        using var names = new MailboxNames();
        LaneOptions options = names.Options(capacity: 1024);
        options.Ring.LivenessCheckInterval = TimeSpan.FromMilliseconds(10);
        using var tx = LaneMailbox.Create(names.Name, 2, options);
        using var receiver = Peer.Start("lane-receive-hang", names.Name);
        receiver.WaitForLine("attached", Long);
        byte[] message = new byte[100];
        while (tx.TrySend(1, message))
        {
        }

        receiver.Kill();
        var e = Assert.Throws<RingPeerDeadException>(() => tx.TrySend(1, message, 0, Long));
        Assert.Equal(receiver.ProcessId, e.ProcessId);

        // A lane with room still takes the message: it stays in the segment for the next receiver.
        Assert.True(tx.TrySend(0, message));
    }

    private static void FillForStarvation(LaneMailbox tx)
    {
        Send(tx, 0, "a0", "a1", "a2", "a3", "a4", "a5");
        Send(tx, 1, "b0", "b1");
        Send(tx, 2, "c0", "c1");
    }

    private static void Send(LaneMailbox tx, int lane, params string[] messages)
    {
        foreach (string text in messages)
        {
            Assert.True(tx.TrySend(lane, Encoding.ASCII.GetBytes(text), lane * 100), $"lane {lane} is full");
        }
    }

    /// <summary>Receives until nothing is left, checking that each message's type says its lane.</summary>
    private static List<string> ReceiveAll(LaneMailbox rx)
    {
        var texts = new List<string>();
        byte[] buffer = new byte[Max];
        while (rx.TryReceive(buffer, out LaneMessage m))
        {
            Assert.True(m.Type == m.Lane * 100 || m.Length == 1, $"lane {m.Lane} type {m.Type}");
            texts.Add(Encoding.ASCII.GetString(buffer, 0, m.Length));
            Assert.True(texts.Count < 10_000);
        }

        return texts;
    }

    private static string ReceiveText(LaneMailbox rx, Func<LaneMailbox, (LaneMessage Message, byte[]? Buffer)> receive)
    {
        (LaneMessage m, byte[]? buffer) = receive(rx);
        Assert.NotNull(buffer);
        return Encoding.ASCII.GetString(buffer, 0, m.Length);
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Long, what);
            Thread.Sleep(1);
        }
    }

    private static string Describe(LaneMailbox rx, Peer a, Peer b)
    {
        LaneMailboxStatistics s = rx.GetStatistics();
        return $"sleeps {s.ReceiverSleeps}, wake-ups {s.ReceiverWakeups}, written {string.Join('/', s.Lanes.Select(l => l.MessagesWritten))}; " +
            $"peer stderr: {a.StandardError} {b.StandardError}";
    }

    /// <summary>A unique mailbox name whose segment files (doorbell and every lane) are removed on dispose, whatever the test did.</summary>
    private sealed class MailboxNames : IDisposable
    {
        private readonly TestSegment _segment = new();

        public string Name => _segment.Name;

        public string Directory => _segment.Directory;

        public LaneOptions Options(long capacity = 4096, int starvationLimit = 0) => new()
        {
            Ring = _segment.Options(capacity: capacity, maxMessageLength: Max),
            StarvationLimit = starvationLimit,
        };

        /// <summary>The files of this mailbox's name that exist.</summary>
        public List<string> Files() =>
            System.IO.Directory.GetFiles(Directory, Name + ".*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

        public void Dispose()
        {
            LaneMailbox.Remove(Name, Directory);
            _segment.Dispose();
        }
    }
}
