using System;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// The <c>ring</c> tool as a real process against real segments, each test in its own directory under /dev/shm
/// (<c>--dir</c>): output, exit codes (0 ok, 1 failure, 2 usage) and the messages that name the value.
/// </summary>
public class CliTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("list", "--help")]
    [InlineData("stat", "--help")]
    [InlineData("tail", "--help")]
    [InlineData("send", "--help")]
    [InlineData("recv", "--help")]
    [InlineData("rm", "--help")]
    [InlineData("bench", "--help")]
    public void EveryCommandHasHelp(params string[] args)
    {
        RingTool.Result r = RingTool.Expect(0, args);
        Assert.Contains("Usage:", r.StandardOutput);
        Assert.Contains(args.Length == 1 ? "Commands:" : "--dir", r.StandardOutput);
    }

    [Fact]
    public void UsageErrorsExitWithTwoAndNameTheValue()
    {
        Assert.Contains("'frobnicate'", RingTool.Expect(2, "frobnicate").StandardError);
        Assert.Contains("'--bogus'", RingTool.Expect(2, "list", "--bogus").StandardError);
        Assert.Contains("Segment name 'a/b' is invalid", RingTool.Expect(2, "stat", "a/b").StandardError);
        Assert.Contains("--interval 'soon' is invalid", RingTool.Expect(2, "stat", "x", "--watch", "--interval", "soon").StandardError);
        Assert.Contains("unknown transport 'carrier-pigeon'", RingTool.Expect(2, "bench", "-t", "carrier-pigeon").StandardError);
    }

    [Fact]
    public void ListShowsEverySegmentKindAndTheFilesThatAreNotSegments()
    {
        using var dir = new TestDirectory();
        Assert.Contains($"No Ring segments in {dir.Path}.", RingTool.Expect(0, "list", "--dir", dir.Path).StandardOutput);

        using var ring = OneToOneRing.Create("quotes", dir.Options(capacity: 8192));
        ring.TryWrite("hello"u8);
        using var mutex = SharedMutex.Create("lock", dir.Options());
        SegmentFiles.WriteSegment(dir.File("future"), kind: 42, headerLength: 4096, capacity: 0, maxMessageLength: 0, creatorPid: SegmentFiles.DeadProcessId);
        File.WriteAllText(dir.File("notes.txt"), "not a segment, but long enough to have a header-sized start ............................................................................");

        string output = RingTool.Expect(0, "list", "--dir", dir.Path).StandardOutput;
        string pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string quotes = Line(output, "quotes");
        Assert.Contains("OneToOne", quotes);
        Assert.Contains("8 KiB", quotes);
        Assert.Contains("16 B (0.2%)", quotes);
        Assert.Contains($"creator {pid} alive, writer {pid} alive", quotes);
        Assert.DoesNotContain("stale", quotes);
        Assert.Contains("Mutex", Line(output, "lock"));
        string future = Line(output, "future");
        Assert.Contains("kind 42 (unknown)", future);
        Assert.Contains($"creator {SegmentFiles.DeadProcessId} dead", future);
        Assert.Contains("stale", future);
        Assert.Contains("Not Ring segments (1):", output);
        Assert.Contains("is not a Ring segment: its magic is 0x", Line(output, "notes.txt"));
    }

    [Fact]
    public void ListAndStatOfAMissingDirectoryOrSegmentFail()
    {
        using var dir = new TestDirectory();
        string missing = dir.File("no-such-dir");
        Assert.Contains($"directory '{missing}' (--dir) does not exist", RingTool.Expect(1, "list", "--dir", missing).StandardError);
        Assert.Contains($"Segment 'ghost' does not exist at '{dir.File("ghost")}'", RingTool.Expect(1, "stat", "ghost", "--dir", dir.Path).StandardError);
        File.WriteAllBytes(dir.File("junk"), new byte[300]);
        Assert.Contains("has no published header (magic 0)", RingTool.Expect(1, "stat", "junk", "--dir", dir.Path).StandardError);
    }

    [Fact]
    public void StatShowsPartiesCountersAndRatesWhenWatching()
    {
        using var dir = new TestDirectory();
        using var ring = OneToOneRing.Create("q", dir.Options());
        ring.TryWrite("abc"u8);
        ring.TryWrite("abc"u8);
        ring.TryRead(new byte[16], out _);

        string output = RingTool.Expect(0, "stat", "q", "--dir", dir.Path).StandardOutput;
        Assert.Contains("OneToOne, layout version 1", output);
        Assert.Contains("capacity  4 KiB, messages up to 512 B", output);
        Assert.Contains("stale     no", output);
        Assert.Matches(@"reader\s+\d+\s+alive\s+\S+.*\s+16 B", Line(output, "reader "));
        Assert.Matches(@"ring\.messages\.written\s+2\s+message", output);
        Assert.Matches(@"ring\.messages\.read\s+1\s+message", output);
        Assert.Matches(@"ring\.sleeps\s+writer\s+0\s+sleep", output);
        Assert.DoesNotContain("PER SECOND", output);

        string watched = RingTool.Expect(0, "stat", "q", "--dir", dir.Path, "--watch", "--interval", "100ms", "--count", "2").StandardOutput;
        Assert.Equal(2, CountOf(watched, "segment   q"));
        Assert.Contains("PER SECOND", watched);
    }

    [Fact]
    public void SendFromArgumentsAndReceiveAsLines()
    {
        using var dir = new TestDirectory();
        using (OneToOneRing.Create("q", dir.Options()))
        {
        }

        RingTool.Expect(0, "send", "q", "one", "two words", "three", "--dir", dir.Path);
        Assert.Equal("one\ntwo words\nthree\n", RingTool.Expect(0, "recv", "q", "--count", "3", "--dir", dir.Path).StandardOutput);

        // Both tools detached: the roles are free again.
        using var ring = OneToOneRing.Open("q", dir.Options());
        Assert.Equal(0, ring.GetStatistics().WriterProcessId);
        Assert.Equal(0, ring.GetStatistics().ReaderProcessId);
    }

    [Fact]
    public void SendStdinLinesAndFilesWithATypeThenComplete()
    {
        using var dir = new TestDirectory();
        byte[] binary = [0, 1, 2, 0xFF, 0xFE];
        File.WriteAllBytes(dir.File("blob.bin"), binary);
        using var ring = OneToOneRing.Create("q", dir.Options());

        RingTool.Expect(0, ["send", "q", "--type", "5", "--dir", dir.Path], "alpha\nbeta\n");
        RingTool.Expect(0, "send", "q", "--file", dir.File("blob.bin"), "--type", "6", "--complete", "--dir", dir.Path);

        byte[] buffer = new byte[ring.MaxMessageLength];
        Assert.True(ring.TryRead(buffer, out RingMessage m));
        Assert.Equal((5, "alpha"), (m.Type, Encoding.UTF8.GetString(buffer, 0, m.Length)));
        Assert.True(ring.TryRead(buffer, out m));
        Assert.Equal((5, "beta"), (m.Type, Encoding.UTF8.GetString(buffer, 0, m.Length)));
        Assert.True(ring.TryRead(buffer, out m));
        Assert.Equal(6, m.Type);
        Assert.Equal(binary, buffer[..m.Length]);
        Assert.True(ring.IsWriterCompleted);
        Assert.Equal(ReadStatus.Completed, ring.Read(buffer, out _, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void SendRefusesWhatItCannotSend()
    {
        using var dir = new TestDirectory();
        Assert.Contains($"segment 'q' does not exist in '{dir.Path}' (--create makes it)", RingTool.Expect(1, "send", "q", "x", "--dir", dir.Path).StandardError);
        Assert.Contains("--type -1 is invalid", RingTool.Expect(2, "send", "q", "x", "--type", "-1", "--dir", dir.Path).StandardError);
        Assert.Contains("--capacity '1000' is invalid: Capacity 1000 is invalid: it must be a power of two",
            RingTool.Expect(2, "send", "q", "x", "--create", "--capacity", "1000", "--dir", dir.Path).StandardError);

        using var ring = OneToOneRing.Create("q", dir.Options());
        Assert.Contains("Message of 600 bytes is too long for ring 'q': its maximum message length is 512 bytes",
            RingTool.Expect(1, "send", "q", new string('x', 600), "--dir", dir.Path).StandardError);

        // A ring of 4 KiB holds seven 512-byte messages: the eighth waits for room, then fails.
        string[] many = ["send", "q", "--timeout", "200ms", "--dir", dir.Path, .. Enumerable.Repeat(new string('y', 512), 8)];
        Assert.Contains("ring 'q' stayed full for 0.2 s (--timeout): 7 message(s) were sent", RingTool.Expect(1, many).StandardError);

        // The role is this process's while it holds it: the tool is refused, naming it.
        ring.TryWrite("mine"u8);
        Assert.Contains($"process {Environment.ProcessId} is alive", RingTool.Expect(1, "send", "q", "x", "--dir", dir.Path).StandardError);
        using var mutex = SharedMutex.Create("m", dir.Options());
        Assert.Contains("segment 'm' is a Mutex", RingTool.Expect(1, "send", "m", "x", "--dir", dir.Path).StandardError);
    }

    [Fact]
    public void ManyToOneRingsAreCreatedListedFedAndDrained()
    {
        using var dir = new TestDirectory();
        RingTool.Expect(0, "send", "m2o", "first", "--create", "--kind", "many-to-one", "--capacity", "64K", "--dir", dir.Path);
        RingTool.Expect(0, "send", "m2o", "second", "--complete", "--dir", dir.Path);

        string listed = Line(RingTool.Expect(0, "list", "--dir", dir.Path).StandardOutput, "m2o");
        Assert.Contains("ManyToOne", listed);
        Assert.Contains("64 KiB", listed);
        Assert.Matches(@"ring\.messages\.written\s+2\s+message", RingTool.Expect(0, "stat", "m2o", "--dir", dir.Path).StandardOutput);
        Assert.Equal("first\nsecond\n", RingTool.Expect(0, "recv", "m2o", "--dir", dir.Path).StandardOutput);
        Assert.Contains("'tree'", RingTool.Expect(2, "send", "x", "--create", "--kind", "tree", "--dir", dir.Path).StandardError);
    }

    [Fact]
    public void ManyToManyRingsAreSentToReceivedAndTailedOnlyWhenConsuming()
    {
        using var dir = new TestDirectory();
        RingTool.Expect(0, "send", "m2m", "first", "second", "--create", "--kind", "many-to-many", "--capacity", "64K", "--dir", dir.Path);

        Assert.Contains("ManyToMany", Line(RingTool.Expect(0, "list", "--dir", dir.Path).StandardOutput, "m2m"));
        Assert.Matches(@"ring\.messages\.written\s+2\s+message", RingTool.Expect(0, "stat", "m2m", "--dir", dir.Path).StandardOutput);

        // A competing reader: recv takes what it reads.
        Assert.Equal("first\n", RingTool.Expect(0, "recv", "m2m", "--count", "1", "--dir", dir.Path).StandardOutput);

        RingTool.Result refused = RingTool.Expect(2, "tail", "m2m", "--dir", dir.Path);
        Assert.Contains("ring 'm2m' has competing readers, and each message goes to exactly one of them", refused.StandardError);
        Assert.Contains("--consume", refused.StandardError);

        RingTool.Expect(0, "send", "m2m", "third", "--complete", "--dir", dir.Path);
        RingTool.Result tailed = RingTool.Expect(0, "tail", "m2m", "--consume", "--dir", dir.Path);
        Assert.Contains("CONSUMES its messages: this process is now one of its competing readers", tailed.StandardError);
        Assert.Contains("ring 'm2m' completed: end of stream after 2 message(s).", tailed.StandardError);
        string[] lines = tailed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("type 0  6 B  second", lines[0]);
        Assert.EndsWith("type 0  5 B  third", lines[1]);

        RingSegmentInfo info = RingSegment.Inspect("m2m", dir.Path);
        Assert.Equal(3, info.Counters.First(c => c.Name == "ring.messages.read").Value);
    }

    [Fact]
    public void SlotRingsAreRefusedByTailRecvAndSendNamingTheKind()
    {
        using var dir = new TestDirectory();
        using (var ring = SlotRing<long>.Create("slots", 8, dir.Options()))
        {
            ring.TryWrite(42);
        }

        using (ManyToManySlotRing<long>.Create("shared", 8, dir.Options()))
        {
        }

        foreach (string[] args in new[] { new[] { "tail", "slots", "--consume" }, ["tail", "slots"], ["recv", "slots"] })
        {
            string error = RingTool.Expect(2, [.. args, "--dir", dir.Path]).StandardError;
            Assert.Contains("segment 'slots' is a SlotOneToOne ring: it carries typed values of a fixed size", error);
            Assert.Contains("cannot read it", error);
        }

        Assert.Contains("segment 'shared' is a SlotManyToMany ring: it carries typed values",
            RingTool.Expect(2, "recv", "shared", "--dir", dir.Path).StandardError);
        Assert.Contains("cannot send to it", RingTool.Expect(2, "send", "slots", "x", "--dir", dir.Path).StandardError);

        // Refused before anything attached: the value is still there.
        RingSegmentInfo info = RingSegment.Inspect("slots", dir.Path);
        Assert.Equal(1, info.Counters.First(c => c.Name == "ring.messages.pending").Value);
        Assert.Equal(["creator"], info.Parties.Select(p => p.Role));
    }

    [Fact]
    public void RecvEndsAtCompletionAtTimeoutAndRefusesWhatCarriesNoMessages()
    {
        using var dir = new TestDirectory();
        using (var ring = OneToOneRing.Create("q", dir.Options()))
        {
            ring.TryWrite("\x01\x02"u8);
            ring.Complete();
        }

        Assert.Equal("0102\n", RingTool.Expect(0, "recv", "q", "--format", "hex", "--dir", dir.Path).StandardOutput);

        using (OneToOneRing.Create("empty", dir.Options()))
        {
        }

        Assert.Contains("ring 'empty': no message within 0.2 s after 0 of 1 message(s)",
            RingTool.Expect(1, "recv", "empty", "--count", "1", "--timeout", "200ms", "--dir", dir.Path).StandardError);
        Assert.Equal(string.Empty, RingTool.Expect(0, "recv", "empty", "--timeout", "200ms", "--dir", dir.Path).StandardOutput);
        Assert.Contains("'xml'", RingTool.Expect(2, "recv", "empty", "--format", "xml", "--dir", dir.Path).StandardError);

        using var semaphore = SharedSemaphore.Create("s", 1, 1, dir.Options());
        Assert.Contains("segment 's' is a Semaphore: a synchronization primitive carries no messages", RingTool.Expect(1, "recv", "s", "--dir", dir.Path).StandardError);
        Assert.Contains("Segment 'ghost' does not exist", RingTool.Expect(1, "recv", "ghost", "--dir", dir.Path).StandardError);
    }

    [Fact]
    public void TailRefusesToConsumeUnlessToldAndThenSaysSo()
    {
        using var dir = new TestDirectory();
        using (var ring = OneToOneRing.Create("q", dir.Options()))
        {
            ring.TryWrite("hello"u8, type: 9);
            ring.TryWrite(new byte[] { 0, 0xFF }, type: 2);
            ring.Complete();
        }

        RingTool.Result refused = RingTool.Expect(2, "tail", "q", "--dir", dir.Path);
        Assert.Contains("ring 'q' has a single reader, which consumes what it reads", refused.StandardError);
        Assert.Contains("--consume", refused.StandardError);
        Assert.Equal(2, RingSegment.Inspect("q", dir.Path).Counters.First(c => c.Name == "ring.messages.written").Value - RingSegment.Inspect("q", dir.Path).Counters.First(c => c.Name == "ring.messages.read").Value);

        RingTool.Result tailed = RingTool.Expect(0, "tail", "q", "--consume", "--dir", dir.Path);
        Assert.Contains("CONSUMES", tailed.StandardError);
        Assert.Contains("ring 'q' completed: end of stream after 2 message(s).", tailed.StandardError);
        string[] lines = tailed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("type 9  5 B  hello", lines[0]);
        Assert.EndsWith("type 2  2 B  00ff", lines[1]);
    }

    [Fact]
    public void RemoveNamedAndStaleSegmentsOnly()
    {
        using var dir = new TestDirectory();

        // Made by the tool, which then exits: creator dead, no party attached, so stale.
        RingTool.Expect(0, "send", "made-by-tool", "x", "--create", "--capacity", "4K", "--dir", dir.Path);
        Assert.Contains("stale", Line(RingTool.Expect(0, "list", "--dir", dir.Path).StandardOutput, "made-by-tool"));
        using var live = OneToOneRing.Create("live", dir.Options());
        File.WriteAllBytes(dir.File("junk"), new byte[500]);

        Assert.Contains("would remove 'made-by-tool' (OneToOne, 4 KiB, 16 B unread; creator", RingTool.Expect(0, "rm", "--stale", "--dry-run", "--dir", dir.Path).StandardOutput);
        Assert.True(File.Exists(dir.File("made-by-tool")));
        string removed = RingTool.Expect(0, "rm", "--stale", "--dir", dir.Path).StandardOutput;
        Assert.Contains("removed 'made-by-tool'", removed);
        Assert.DoesNotContain("live", removed);
        Assert.False(File.Exists(dir.File("made-by-tool")));
        Assert.True(File.Exists(dir.File("live")));
        Assert.True(File.Exists(dir.File("junk")));
        Assert.Contains("No stale segments", RingTool.Expect(0, "rm", "--stale", "--dir", dir.Path).StandardOutput);

        Assert.Contains("'junk' is not a Ring segment, so it was not removed (--force removes it anyway)", RingTool.Expect(1, "rm", "junk", "--dir", dir.Path).StandardError);
        Assert.True(File.Exists(dir.File("junk")));
        RingTool.Expect(0, "rm", "junk", "--force", "--dir", dir.Path);
        Assert.False(File.Exists(dir.File("junk")));

        RingTool.Result named = RingTool.Expect(0, "rm", "live", "--dir", dir.Path);
        Assert.Contains($"segment 'live' still has live processes (creator {Environment.ProcessId})", named.StandardError);
        Assert.False(File.Exists(dir.File("live")));

        Assert.Contains($"segment 'live' does not exist in '{dir.Path}'", RingTool.Expect(1, "rm", "live", "--dir", dir.Path).StandardError);
        Assert.Contains("give either segment names or --stale, not both", RingTool.Expect(2, "rm", "x", "--stale", "--dir", dir.Path).StandardError);
        Assert.Contains("give the names of the segments to remove, or --stale", RingTool.Expect(2, "rm", "--dir", dir.Path).StandardError);
    }

    [Fact]
    public void BenchRunsACellThroughTheToolAndRendersTheChart()
    {
        using var dir = new TestDirectory();

        // One blocking ping-pong cell, as small as the harness makes it: the children are "ring bench --child ...".
        string json = dir.File("run.json");
        RingTool.Result run = RingTool.Expect(0, "bench", "-t", "ring-block", "-s", "pingpong", "--sizes", "32", "--quick", "--dir", dir.Path, "--json", json);
        Assert.Contains("| ring-block | pingpong | 32 B |", run.StandardOutput);
        Assert.Equal([json], Directory.GetFiles(dir.Path));

        string svg = dir.File("run.svg");
        RingTool.Expect(0, "bench", "--render-from", json, "--svg", svg);
        string chart = File.ReadAllText(svg);
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"", chart);
        Assert.Contains("pingpong, 32 B", chart);
        Assert.Contains("<polyline", chart);

        Assert.Contains("--render-from needs --svg FILE", RingTool.Expect(2, "bench", "--render-from", json).StandardError);
        File.WriteAllText(json, "{ nope");
        Assert.Contains("is not the JSON array --json writes", RingTool.Expect(1, "bench", "--render-from", json, "--svg", svg).StandardError);
    }

    [Fact]
    public void SoakRunsTheReliabilityHarnessesThroughTheTool()
    {
        // The harness's own options and help; its children are Ring.Soak, copied beside the tool.
        Assert.Contains("ring soak [soak|faults|fuzz] [options]", RingTool.Expect(0, "soak", "--help").StandardOutput);
        Assert.Contains("soak", RingTool.Expect(0, "--help").StandardOutput);
        RingTool.Result faults = RingTool.Expect(0, "soak", "faults", "--kills", "3", "--seed", "9");
        Assert.Contains("3 of 3 kills", faults.StandardOutput);
        Assert.Contains("--duration soon is invalid", RingTool.Expect(2, "soak", "--duration", "soon").StandardError);
    }

    private static string Line(string output, string start) =>
        output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith(start, StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException($"no line starts with '{start}' in:\n{output}");

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
