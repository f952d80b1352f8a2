using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Ring.Soak;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// The reliability harnesses (bench/Ring.Soak) run as real processes with CI-sized settings: a 60-second soak, 170
/// SIGKILLs, 120,000 corruptions of live segments. Then the harnesses' own checks, shown able to fail.
/// </summary>
public class ReliabilityTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    [Fact]
    public void ASixtySecondSoakLosesRepeatsAndDamagesNothingAndTheHeapStaysFlat()
    {
        string report = Path.Join(Path.GetTempPath(), $"ring-soak-test-{Environment.ProcessId}");
        try
        {
            (int code, string output) = SoakProcess.Run(Limit, "--duration", "60s", "--topology", "one-to-one", "--report", report);
            Assert.True(code == 0, $"soak failed ({code}):\n{output}");
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(report + ".json"));
            JsonElement root = json.RootElement;
            Assert.Equal("pass", root.GetProperty("verdict").GetString());
            JsonElement topology = root.GetProperty("topologies")[0];
            long sent = topology.GetProperty("sent").GetInt64();
            Assert.True(sent > 0, "messages were sent");
            Assert.Equal(sent, topology.GetProperty("received").GetInt64());
            Assert.Equal(0, topology.GetProperty("lost").GetInt64());
            Assert.Equal(0, topology.GetProperty("duplicated").GetInt64());
            Assert.Equal(0, topology.GetProperty("corrupt").GetInt64());
            Assert.True(topology.GetProperty("latency_ns").GetProperty("p99").GetInt64() > 0);
            foreach (JsonElement process in root.GetProperty("processes").EnumerateArray())
            {
                // Watched over EventPipe all along, and judged on its live heap after full GCs at the warm-up's end and the end.
                Assert.True(process.GetProperty("samples").GetArrayLength() >= 30, $"{process}");
                Assert.Equal(JsonValueKind.Number, process.GetProperty("heap_growth_mb").ValueKind);
                Assert.True(process.GetProperty("live_heap_at_end_bytes").GetInt64() > 0, $"{process}");
            }

            Assert.Contains("# Ring soak report", File.ReadAllText(report + ".md"));
        }
        finally
        {
            File.Delete(report + ".json");
            File.Delete(report + ".md");
        }
    }

    [Fact]
    public void EveryOtherTopologyCarriesEveryMessageOnceAcrossProcesses()
    {
        // At once, paced so that no process spins on the 2 cores: the synchronization primitives' bounded queue
        // (SharedMutex and two SharedSemaphores, 2 writers, 2 competing readers), a many-to-one ring (2 writers), a gated
        // broadcast ring (2 readers, each gets everything) and a many-to-many ring (2 writers, 2 competing readers).
        string report = Path.Join(Path.GetTempPath(), $"ring-soak-topologies-test-{Environment.ProcessId}");
        try
        {
            (int code, string output) = SoakProcess.Run(Limit, "--duration", "8s", "--topology", "semaphore-queue,many-to-one,broadcast,many-to-many",
                "--rate", "2000", "--no-monitor", "--report", report);
            Assert.True(code == 0, $"soak failed ({code}):\n{output}");
            foreach (string topology in new[] { "semaphore-queue", "many-to-one", "broadcast", "many-to-many" })
            {
                Assert.Matches($"{topology}: sent [1-9][0-9]*, received [1-9][0-9]*, lost 0, duplicated 0, corrupt 0", output);
            }
        }
        finally
        {
            File.Delete(report + ".json");
            File.Delete(report + ".md");
        }
    }

    [Fact]
    public void AHundredKillsOfOneToOneRingProcessesLoseNoCommittedMessageAndHangNobody()
    {
        (int code, string output) = SoakProcess.Run(Limit, "faults", "--topology", "one-to-one", "--kills", "100");
        Assert.True(code == 0, $"fault injection failed ({code}):\n{output}");
        Assert.Contains("100 of 100 kills", output);
        Assert.Contains("writer Held", output);
        Assert.Contains("reader reading", output);
    }

    [Fact]
    public void ThirtyKillsOfManyToOneRingProcessesLoseNoCommittedMessageAndHangNobody()
    {
        // Two writer processes and one reader: a killed writer's uncommitted claim is skipped while the other writes on.
        (int code, string output) = SoakProcess.Run(Limit, "faults", "--topology", "many-to-one", "--kills", "30");
        Assert.True(code == 0, $"fault injection failed ({code}):\n{output}");
        Assert.Contains("30 of 30 kills", output);
    }

    [Fact]
    public void FortyKillsOfMutexUsersAreEachSignalledOnceWhenTheOwnerDied()
    {
        (int code, string output) = SoakProcess.Run(Limit, "faults", "--topology", "mutex", "--kills", "40");
        Assert.True(code == 0, $"fault injection failed ({code}):\n{output}");
        Assert.Contains("40 of 40 kills", output);
    }

    [Fact]
    public void AHundredThousandCorruptionsOfALiveSegmentNeitherCrashNorHangTheReaders()
    {
        (int code, string output) = SoakProcess.Run(Limit, "fuzz", "--mutations", "100000", "--both");
        Assert.True(code == 0, $"fuzzing failed ({code}):\n{output}");
        Assert.Contains("100000 mutations in", output);
        Assert.Contains("Detected", output);
        (code, output) = SoakProcess.Run(Limit, "fuzz", "--topology", "many-to-one", "--mutations", "20000", "--checksums", "false");
        Assert.True(code == 0, $"fuzzing the many-to-one ring failed ({code}):\n{output}");
        Assert.Contains("20000 mutations in", output);
    }

    [Fact]
    public void TheHarnessRefusesABadCommandLineNamingTheOptionAndTheRule()
    {
        (int code, string output) = SoakProcess.Run(TimeSpan.FromMinutes(1), "--duration", "soon");
        Assert.Equal(SoakProgram.UsageError, code);
        Assert.Contains("--duration soon is invalid: it must be a duration such as 500ms, 60s, 10m or 1h", output);
        (code, output) = SoakProcess.Run(TimeSpan.FromMinutes(1), "--topology", "one-to-one", "--writers", "2");
        Assert.Equal(SoakProgram.UsageError, code);
        Assert.Contains("a one-to-one ring has exactly 1 writer and 1 reader, not 2 and 1", output);
    }

    [Fact]
    public void TheEntryPointRunsInsideAnotherProgramAsTheRingToolWillCallIt()
    {
        // The `ring` tool calls SoakProgram.Run with the arguments after "soak"; the children are still this assembly.
        Assert.Equal(SoakProgram.Passed, SoakProgram.Run(["faults", "--kills", "3", "--seed", "5"]));
        Assert.Equal(SoakProgram.UsageError, SoakProgram.Run(["fuzz", "--mutations", "-1"]));
    }

    [Fact]
    public void TheVerifierCountsALossARepeatAndADamagedMessage()
    {
        var verifier = new MessageVerifier(writers: 2, inOrder: true);
        byte[] m = new byte[40];
        void Send(int writer, long sequence)
        {
            SoakMessage.Fill(m, writer, sequence, System.Diagnostics.Stopwatch.GetTimestamp());
            verifier.OnMessage(m);
        }

        Send(0, 0);
        Send(1, 0);
        Send(0, 1);
        Assert.Equal(0, verifier.Lost + verifier.Duplicated + verifier.Corrupt);
        Send(0, 3);
        Assert.Equal(1, verifier.Lost);
        Assert.Contains("writer 0: message 3 arrived where message 2 was due (1 lost)", verifier.FirstError);
        Send(1, 0);
        Assert.Equal(1, verifier.Duplicated);
        SoakMessage.Fill(m, 1, 1, 0);
        m[30] ^= 1;
        verifier.OnMessage(m);
        Assert.Equal(1, verifier.Corrupt);
    }

    [Fact]
    public void TheSumsOfHashedSequencesTellADifferentSetOfTheSameSize()
    {
        // What the parent compares for competing readers: {0, 1, 2} against {0, 2, 2}.
        long expected = SoakMessage.ExpectedHashSum(3);
        Assert.Equal(expected, SoakMessage.Hash(0) + SoakMessage.Hash(1) + SoakMessage.Hash(2));
        Assert.NotEqual(expected, SoakMessage.Hash(0) + SoakMessage.Hash(2) + SoakMessage.Hash(2));
    }

    [Theory]
    [InlineData((int)WriterPhase.Idle, 10, 10, 0, true)]
    [InlineData((int)WriterPhase.Idle, 10, 9, 0, false)]
    [InlineData((int)WriterPhase.Idle, 10, 10, 1, false)]
    [InlineData((int)WriterPhase.Claiming, 10, 10, 1, true)]
    [InlineData((int)WriterPhase.Claiming, 10, 11, 0, false)]
    [InlineData((int)WriterPhase.Claimed, 10, 11, 0, true)]
    [InlineData((int)WriterPhase.Claimed, 10, 10, 1, true)]
    [InlineData((int)WriterPhase.Claimed, 10, 10, 0, false)]
    [InlineData((int)WriterPhase.Claimed, 10, 11, 1, false)]
    [InlineData((int)WriterPhase.Held, 10, 10, 1, true)]
    [InlineData((int)WriterPhase.Held, 10, 10, 2, false)]
    [InlineData((int)WriterPhase.Recording, 10, 10, 0, true)]
    [InlineData((int)WriterPhase.Recording, 10, 11, 0, true)]
    [InlineData((int)WriterPhase.Recording, 10, 10, 1, false)]
    [InlineData((int)WriterPhase.Writing, 10, 11, 0, true)]
    [InlineData((int)WriterPhase.Writing, 10, 12, 0, false)]
    public void TheKillRulesAcceptExactlyWhatTheWritersPhaseAllows(int phase, long reported, long read, long torn, bool ok)
    {
        string? failure = RingFaultScenario.CheckWriterKill((WriterPhase)phase, reported, read, torn);
        Assert.Equal(ok, failure is null);
        if (read < reported)
        {
            Assert.Contains("committed messages lost", failure);
        }
    }

    [Fact]
    public void LatencyBucketsBoundTheirValues()
    {
        foreach (long ns in new long[] { 0, 1, 15, 16, 17, 100, 1000, 123_456, 10_000_000_000 })
        {
            int bucket = LatencyHistogram.Bucket(ns);
            Assert.True(LatencyHistogram.UpperBound(bucket) >= ns, $"{ns} in bucket {bucket}");
            Assert.True(bucket == 0 || LatencyHistogram.UpperBound(bucket - 1) < ns, $"{ns} in bucket {bucket}");
        }

        long[] counts = new long[LatencyHistogram.Buckets];
        counts[LatencyHistogram.Bucket(100)] = 99;
        counts[LatencyHistogram.Bucket(1_000_000)] = 1;
        Assert.True(LatencyHistogram.Percentile(counts, 0.5) is >= 100 and < 110);
        Assert.True(LatencyHistogram.Percentile(counts, 1.0) >= 1_000_000);
        int last = LatencyHistogram.Bucket(long.MaxValue);
        Assert.True(Enumerable.Range(1, last).All(b => LatencyHistogram.UpperBound(b) > LatencyHistogram.UpperBound(b - 1)));
    }
}
