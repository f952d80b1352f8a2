using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Ring.Tests;

/// <summary>The operating-system layer: futex on a shared mapping, errno in exceptions, liveness by pid and start time.</summary>
public class InteropTests
{
    [Fact]
    public unsafe void FutexWaitReturnsAtOnceWhenTheValueDiffers()
    {
        int* word = (int*)NativeMemory.AllocZeroed(4);
        try
        {
            *word = 5;
            Assert.Equal(Interop.Sys.FutexWaitResult.ValueChanged, Interop.Sys.FutexWait(word, 4, 1_000_000_000));
            Assert.Equal(Interop.Sys.FutexWaitResult.TimedOut, Interop.Sys.FutexWait(word, 5, 1_000_000));
            Assert.Equal(0, Interop.Sys.FutexWake(word, int.MaxValue));
        }
        finally
        {
            NativeMemory.Free(word);
        }
    }

    [Fact]
    public async Task FutexWakeWakesASleeperOnASharedMapping()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options());
        using var other = OneToOneRing.Open(seg.Name, seg.Options());
        // Two separate mappings of the same file: the futex is keyed by the page, not the address.
        nint a = SignalAddress(ring);
        nint b = SignalAddress(other);
        Assert.NotEqual(a, b);
        Task<Interop.Sys.FutexWaitResult> sleeper = Task.Factory.StartNew(() => Wait(a), TaskCreationOptions.LongRunning);
        int woken = 0;
        for (int i = 0; i < 3000 && woken == 0; i++)
        {
            woken = Wake(b);
            Thread.Sleep(1);
        }

        Assert.Equal(1, woken);
        Assert.Equal(Interop.Sys.FutexWaitResult.Woken, await sleeper.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public unsafe void ErrnoBecomesAnExceptionNamingTheCallAndTheError()
    {
        var e = Assert.Throws<IOException>(() => Interop.Sys.FutexWait((int*)8, 0, 1000));
        Assert.Equal("futex(FUTEX_WAIT) failed: EFAULT (14): Bad address", e.Message);
        Assert.Equal("ENOSPC", Interop.Errors.Name(28));
        Assert.Contains("posix_fallocate('/x', 5 bytes) failed: ENOSPC (28)", Interop.Errors.Exception("posix_fallocate('/x', 5 bytes)", 28).Message);
    }

    [Fact]
    public void LivenessNeedsThePidAndTheStartTime()
    {
        Assert.True(Interop.Procfs.TryGetProcessStartTime(Environment.ProcessId, out long start));
        Assert.Equal(start, ProcessLiveness.CurrentStartTime);
        Assert.True(ProcessLiveness.IsAlive(Environment.ProcessId, start));
        Assert.False(ProcessLiveness.IsAlive(Environment.ProcessId, start + 1), "same pid, other start time: a reused pid");
        Assert.False(ProcessLiveness.IsAlive(0, 0));
        Assert.False(ProcessLiveness.IsAlive(int.MaxValue, 0));
    }

    [Fact]
    public void AKilledProcessIsDead()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options());
        using var peer = Peer.Start("attach-writer", seg.Name);
        peer.WaitForLine("attached", TimeSpan.FromSeconds(60));
        Assert.True(Interop.Procfs.TryGetProcessStartTime(peer.ProcessId, out long start));
        Assert.True(ProcessLiveness.IsAlive(peer.ProcessId, start));
        peer.Kill();
        Assert.False(ProcessLiveness.IsAlive(peer.ProcessId, start));
    }

    [Theory]
    [InlineData("1234 (dotnet) S 1 1234 1234 0 -1 4194304 100 0 0 0 5 3 0 0 20 0 9 0 777 1000 10", 'S', 777)]
    [InlineData("42 (a) b) (c) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 98765 1 2", 'R', 98765)]
    public void StatParsingSurvivesOddCommandNames(string stat, char state, long startTime)
    {
        Assert.True(Interop.Procfs.TryParseStat(stat, out char s, out long t));
        Assert.Equal(state, s);
        Assert.Equal(startTime, t);
        Assert.False(Interop.Procfs.TryParseStat("garbage", out _, out _));
        Assert.False(Interop.Procfs.TryParseStat("1 (x) S 1 2", out _, out _));
    }

    [Fact]
    public void ALivenessCheckReadsProcWithoutAllocating()
    {
        long start = ProcessLiveness.CurrentStartTime;
        Assert.True(ProcessLiveness.IsAlive(Environment.ProcessId, start));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Assert.True(ProcessLiveness.IsAlive(Environment.ProcessId, start));
            Assert.False(ProcessLiveness.IsAlive(Environment.ProcessId, start + 1));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(Interop.Procfs.TryReadStat(Environment.ProcessId, out char state, out long startTime));
        Assert.Contains(state, "RSDT"); // the main thread's state: running, or asleep in a wait
        Assert.Equal(start, startTime);
        Assert.False(Interop.Procfs.TryReadStat(0, out _, out _));
        Assert.False(Interop.Procfs.TryReadStat(int.MaxValue, out _, out _));
    }

    private static unsafe nint SignalAddress(OneToOneRing ring) =>
        (nint)ring.Segment.Memory.Int32At(Ring.Layout.OneToOneRingDescriptor.DataSignalOffset);

    private static unsafe Interop.Sys.FutexWaitResult Wait(nint address) => Interop.Sys.FutexWait((int*)address, 0, 30_000_000_000);

    private static unsafe int Wake(nint address) => Interop.Sys.FutexWake((int*)address, 1);
}
