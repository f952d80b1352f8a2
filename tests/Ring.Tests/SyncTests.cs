using System;
using System.Buffers.Binary;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>The synchronization primitives: their contracts in one process, then across real processes.</summary>
public class SyncTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private static RingOptions Options(TestSegment seg) => new()
    {
        Directory = seg.Directory,
        OpenTimeout = TimeSpan.FromSeconds(5),
        LivenessCheckInterval = TimeSpan.FromMilliseconds(20),
    };

    [Fact]
    public void MutexExcludesAndChecksItsHolder()
    {
        using var seg = new TestSegment();
        using var a = SharedMutex.Create(seg.Name, Options(seg));
        using var b = SharedMutex.Open(seg.Name, Options(seg));
        Assert.True(a.TryAcquire());
        Assert.True(a.IsHeld);
        Assert.Equal(Environment.ProcessId, b.OwnerProcessId);
        Assert.False(b.TryAcquire());
        Assert.False(b.TryAcquire(TimeSpan.FromMilliseconds(30)));
        Assert.Contains("not re-entrant", Assert.Throws<LockRecursionException>(() => a.TryAcquire()).Message);
        Assert.Contains("is not held by this object", Assert.Throws<SynchronizationLockException>(b.Release).Message);
        a.Release();
        Assert.Equal(0, b.OwnerProcessId);
        Assert.True(b.TryAcquire());
        b.Release();
        Assert.Throws<SynchronizationLockException>(b.Release);
    }

    [Fact]
    public async Task MutexWaitersAreWokenAndCanBeCancelled()
    {
        using var seg = new TestSegment();
        RingOptions options = Options(seg);
        options.WaitStrategy = WaitStrategy.Blocking;
        using var a = SharedMutex.Create(seg.Name, options);
        using var b = SharedMutex.Open(seg.Name, options);
        a.Acquire();
        ValueTask<bool> waiting = b.TryAcquireAsync(Long);
        Assert.False(waiting.IsCompleted);
        await WaitUntil(() => Sleepers(seg) >= 1);
        a.Release();
        Assert.True(await waiting.AsTask().WaitAsync(Long));
        Assert.True(b.IsHeld);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        Assert.Throws<OperationCanceledException>(() => a.TryAcquire(Long, cts.Token));
        Assert.False(a.IsHeld);
        b.Release();
        Assert.True(a.TryAcquire(Long));
    }

    [Fact]
    public void UncontendedMutexMakesNoSystemCallAndAllocatesNothing()
    {
        using var seg = new TestSegment();
        using var m = SharedMutex.Create(seg.Name, Options(seg));
        void Run()
        {
            for (int i = 0; i < 10_000; i++)
            {
                m.Acquire();
                m.Release();
            }
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        byte[] file = File.ReadAllBytes(seg.Path);
        Assert.Equal(0, BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(SyncDescriptor.SleepsOffset)));
        Assert.Equal(0, BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(SyncDescriptor.WakeupsOffset)));
    }

    [Fact]
    public void DisposeReleasesAHeldMutex()
    {
        using var seg = new TestSegment();
        using var b = SharedMutex.Create(seg.Name, Options(seg));
        var a = SharedMutex.Open(seg.Name, Options(seg));
        a.Acquire();
        a.Dispose();
        Assert.True(b.TryAcquire());
    }

    [Fact]
    public void SemaphoreCountsExactlyAndRefusesToOverflow()
    {
        using var seg = new TestSegment();
        using var s = SharedSemaphore.Create(seg.Name, 1, 2, Options(seg));
        Assert.Equal(2, s.MaximumCount);
        Assert.True(s.TryAcquire());
        Assert.False(s.TryAcquire());
        Assert.False(s.TryAcquire(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(0, s.Release());
        Assert.Equal(1, s.Release());
        var e = Assert.Throws<SemaphoreFullException>(() => s.Release());
        Assert.Contains("Releasing 1 into SharedSemaphore", e.Message);
        Assert.Contains("with count 2 would exceed its maximum 2; nothing was released.", e.Message);
        Assert.Equal(2, s.CurrentCount);
        Assert.Throws<SemaphoreFullException>(() => s.Release(5));
        Assert.Equal(2, s.CurrentCount);
        Assert.Contains("Release count 0 is invalid", Assert.Throws<ArgumentOutOfRangeException>(() => s.Release(0)).Message);
    }

    [Fact]
    public async Task SemaphoreAsyncWaitCompletesOnRelease()
    {
        using var seg = new TestSegment();
        using var s = SharedSemaphore.Create(seg.Name, 0, 1, Options(seg));
        ValueTask<bool> waiting = s.TryAcquireAsync(Long);
        Assert.False(waiting.IsCompleted);
        s.Release();
        Assert.True(await waiting.AsTask().WaitAsync(Long));
        Assert.Equal(0, s.CurrentCount);
    }

    [Fact]
    public void EventsManualAndAuto()
    {
        using var seg = new TestSegment();
        using var manual = SharedEvent.Create(seg.Name, EventResetMode.ManualReset, false, Options(seg));
        Assert.False(manual.Wait(TimeSpan.FromMilliseconds(20)));
        manual.Set();
        Assert.True(manual.Wait(TimeSpan.Zero));
        Assert.True(manual.Wait(TimeSpan.Zero)); // stays set
        manual.Reset();
        Assert.False(manual.IsSet);

        using var seg2 = new TestSegment();
        using var auto = SharedEvent.Create(seg2.Name, EventResetMode.AutoReset, true, Options(seg2));
        using var other = SharedEvent.Open(seg2.Name, Options(seg2));
        Assert.Equal(EventResetMode.AutoReset, other.Mode);
        Assert.True(other.TryWait()); // consumes it
        Assert.False(auto.TryWait());
        Assert.False(auto.Wait(TimeSpan.Zero));
        Assert.False(auto.IsSet);
    }

    [Fact]
    public async Task BarrierPhasesWithdrawalAndParticipants()
    {
        using var seg = new TestSegment();
        using var one = SharedBarrier.Create(seg.Name, 2, Options(seg));
        using var two = SharedBarrier.Open(seg.Name, Options(seg));
        Assert.Contains("participant slots held by live processes", Assert.Throws<InvalidOperationException>(() => SharedBarrier.Open(seg.Name, Options(seg))).Message);

        // Alone at the barrier, a participant times out and its arrival is withdrawn.
        Assert.False(one.SignalAndWait(TimeSpan.FromMilliseconds(30)));
        Assert.Equal(0, one.CurrentPhaseNumber);

        Task<bool> first = Task.Factory.StartNew(() => one.SignalAndWait(Long), TaskCreationOptions.LongRunning);
        Assert.True(two.SignalAndWait(Long));
        Assert.True(await first.WaitAsync(Long));
        Assert.Equal(1, two.CurrentPhaseNumber);
    }

    [Fact]
    public void BadInputToThePrimitives()
    {
        using var seg = new TestSegment();
        Assert.Contains("Maximum count 0 is invalid: it must be at least 1.", Assert.Throws<ArgumentOutOfRangeException>(() => SharedSemaphore.Create(seg.Name, 0, 0, Options(seg))).Message);
        Assert.Contains("Initial count 3 is invalid: it must be between 0 and the maximum count 2.", Assert.Throws<ArgumentOutOfRangeException>(() => SharedSemaphore.Create(seg.Name, 3, 2, Options(seg))).Message);
        Assert.Contains("Initial count -1 is invalid", Assert.Throws<ArgumentOutOfRangeException>(() => SharedSemaphore.Create(seg.Name, -1, 2, Options(seg))).Message);
        Assert.Contains("Participant count 0 is invalid: it must be between 1 and 200.", Assert.Throws<ArgumentOutOfRangeException>(() => SharedBarrier.Create(seg.Name, 0, Options(seg))).Message);
        Assert.Contains("Participant count 201 is invalid", Assert.Throws<ArgumentOutOfRangeException>(() => SharedBarrier.Create(seg.Name, 201, Options(seg))).Message);
        Assert.Contains("Event mode 7 is not AutoReset or ManualReset.", Assert.Throws<ArgumentOutOfRangeException>(() => SharedEvent.Create(seg.Name, (EventResetMode)7, false, Options(seg))).Message);
        Assert.Throws<ArgumentException>(() => SharedMutex.Create("a/b"));
        Assert.False(File.Exists(seg.Path));

        using (SharedMutex.Create(seg.Name, Options(seg)))
        {
            var e = Assert.Throws<RingFormatException>(() => SharedSemaphore.Open(seg.Name, Options(seg)));
            Assert.Contains("holds a ring of kind Mutex (16), but kind Semaphore (17) was asked for.", e.Message);
            Assert.Throws<RingFormatException>(() => OneToOneRing.Open(seg.Name, Options(seg)));
        }

        using var seg2 = new TestSegment();
        using (SharedSemaphore.Create(seg2.Name, 1, 3, Options(seg2)))
        {
            var e = Assert.Throws<RingFormatException>(() => SharedSemaphore.CreateOrOpen(seg2.Name, 1, 4, Options(seg2)));
            Assert.Contains("exists with maximum 3, but maximum 4 was asked for.", e.Message);
        }
    }

    [Fact]
    public void ProcessesIncrementACounterUnderTheMutexExactly()
    {
        const int Peers = 3;
        const int Each = 20_000;
        using var seg = new TestSegment();
        using var counterFile = new TestSegment();
        using var mutex = SharedMutex.Create(seg.Name, Options(seg));
        var peers = new Peer[Peers];
        try
        {
            for (int i = 0; i < Peers; i++)
            {
                peers[i] = Peer.Start("mutex-increment", seg.Path, $"count={Each}", $"path={counterFile.Path}");
            }

            foreach (Peer p in peers)
            {
                p.AssertSuccess(TimeSpan.FromSeconds(120));
            }
        }
        finally
        {
            foreach (Peer? p in peers)
            {
                p?.Dispose();
            }
        }

        using var counters = SyncModes.Counters.Map(counterFile.Path);
        Assert.Equal(Peers * Each, counters.At(0));
        Assert.Equal(0, mutex.OwnerProcessId);
    }

    [Fact]
    public async Task AKilledOwnersMutexGoesToTheNextAcquirerWithTheAbandonedSignal()
    {
        using var seg = new TestSegment();
        using var mutex = SharedMutex.Create(seg.Name, Options(seg));
        using var owner = Peer.Start("mutex-hold", seg.Path);
        owner.WaitForLine("acquired", Long);
        Assert.Equal(owner.ProcessId, mutex.OwnerProcessId);

        // A waiter is already asleep when the owner dies.
        Task<bool> waiter = Task.Factory.StartNew(() => mutex.TryAcquire(Long), TaskCreationOptions.LongRunning);
        await WaitUntil(() => Sleepers(seg) >= 1);
        owner.Kill();
        var e = await Assert.ThrowsAsync<AbandonedMutexException>(() => waiter.WaitAsync(Long));
        Assert.Contains($"its owner, process {owner.ProcessId}, died holding it", e.Message);
        Assert.True(mutex.IsHeld);
        Assert.Equal(Environment.ProcessId, mutex.OwnerProcessId);
        Assert.Equal(1, mutex.AbandonmentCount);
        mutex.Release();

        // Without a waiter: the next TryAcquire finds the dead owner itself.
        using var second = Peer.Start("mutex-hold", seg.Path);
        second.WaitForLine("acquired", Long);
        second.Kill();
        Assert.Throws<AbandonedMutexException>(() => mutex.TryAcquire());
        Assert.True(mutex.IsHeld);
        Assert.Equal(2, mutex.AbandonmentCount);
    }

    [Fact]
    public void TheSemaphoreBoundsHoldAcrossProcesses()
    {
        using var seg = new TestSegment();
        using var counterFile = new TestSegment();
        using var semaphore = SharedSemaphore.Create(seg.Name, 2, 2, Options(seg));
        using var a = Peer.Start("semaphore-use", seg.Path, "count=5000", $"path={counterFile.Path}");
        using var b = Peer.Start("semaphore-use", seg.Path, "count=5000", $"path={counterFile.Path}");
        using var c = Peer.Start("semaphore-use", seg.Path, "count=5000", $"path={counterFile.Path}");
        a.AssertSuccess(TimeSpan.FromSeconds(120));
        b.AssertSuccess(TimeSpan.FromSeconds(120));
        c.AssertSuccess(TimeSpan.FromSeconds(120));
        Assert.Equal(2, semaphore.CurrentCount);
    }

    [Fact]
    public async Task AManualEventWakesAllWaitersAndAnAutoEventExactlyOne()
    {
        using var seg = new TestSegment();
        using (var manual = SharedEvent.Create(seg.Name, EventResetMode.ManualReset, false, Options(seg)))
        {
            using var w1 = Peer.Start("event-wait", seg.Path);
            using var w2 = Peer.Start("event-wait", seg.Path);
            using var w3 = Peer.Start("event-wait", seg.Path);
            await WaitUntil(() => Sleepers(seg) >= 3);
            manual.Set();
            w1.AssertSuccess(Long);
            w2.AssertSuccess(Long);
            w3.AssertSuccess(Long);
        }

        using var seg2 = new TestSegment();
        using var auto = SharedEvent.Create(seg2.Name, EventResetMode.AutoReset, false, Options(seg2));
        using var a = Peer.Start("event-wait", seg2.Path);
        using var b = Peer.Start("event-wait", seg2.Path);
        await WaitUntil(() => Sleepers(seg2) >= 2);
        auto.Set();
        Task<string> first = Task.Run(() => WhoWakes(a, b));
        string winner = await first.WaitAsync(Long);

        // Exactly one passed: the set was consumed and the other still waits (it cannot pass without another set).
        Assert.False(auto.IsSet);
        Peer loser = winner == "a" ? b : a;
        await WaitUntil(() => Sleepers(seg2) == 1);
        auto.Set();
        loser.AssertSuccess(Long);
        (winner == "a" ? a : b).AssertSuccess(Long);
    }

    [Fact]
    public void BarrierPhasesAcrossProcesses()
    {
        const int Phases = 50;
        using var seg = new TestSegment();
        using var barrier = SharedBarrier.Create(seg.Name, 3, Options(seg));
        using var a = Peer.Start("barrier-phases", seg.Path, $"count={Phases}");
        using var b = Peer.Start("barrier-phases", seg.Path, $"count={Phases}");
        for (int phase = 0; phase < Phases; phase++)
        {
            Assert.True(barrier.SignalAndWait(Long));
        }

        a.AssertSuccess(Long);
        b.AssertSuccess(Long);
        Assert.Equal(Phases, barrier.CurrentPhaseNumber);
    }

    [Fact]
    public void ADeadParticipantBreaksTheBarrierInsteadOfHangingTheOthers()
    {
        using var seg = new TestSegment();
        using var barrier = SharedBarrier.Create(seg.Name, 2, Options(seg));
        using var other = Peer.Start("barrier-join-hang", seg.Path);
        other.WaitForLine("joined", Long);
        other.Kill();
        var e = Assert.Throws<SharedBarrierBrokenException>(() => barrier.SignalAndWait(Long));
        Assert.Equal(other.ProcessId, e.ProcessId);
        Assert.Contains($"participant process {other.ProcessId} died before it arrived", e.Message);
        Assert.True(barrier.IsBroken);
        Assert.Throws<SharedBarrierBrokenException>(() => barrier.SignalAndWait(TimeSpan.Zero));
    }

    private static string WhoWakes(Peer a, Peer b)
    {
        while (true)
        {
            if (a.TryTakeLine("woken"))
            {
                return "a";
            }

            if (b.TryTakeLine("woken"))
            {
                return "b";
            }

            Thread.Sleep(1);
        }
    }

    private static int Sleepers(TestSegment seg)
    {
        using var stream = new FileStream(seg.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        byte[] word = new byte[4];
        stream.Position = SyncDescriptor.SleepersOffset;
        stream.ReadExactly(word);
        return BinaryPrimitives.ReadInt32LittleEndian(word);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Long, "the condition did not hold within the timeout");
            await Task.Delay(1);
        }
    }
}
