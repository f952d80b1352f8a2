using System;
using System.Linq;
using Xunit;

namespace Ring.Tests;

/// <summary>The broadcast ring through <see cref="RingSegment.Inspect"/> and the <c>ring</c> tool, as a real process.</summary>
public class BroadcastToolTests
{
    [Fact]
    public void InspectionShowsTheWriterEachReaderWithItsLagAndTheCounters()
    {
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: 4096));
        using var fast = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        using var slow = BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options());
        ring.TryWrite("hello"u8, type: 3);
        ring.TryWrite("world"u8, type: 3);
        Assert.True(fast.TryRead(new byte[64], out _));
        Assert.True(fast.TryRead(new byte[64], out _));

        RingSegmentInfo info = RingSegment.Inspect(seg.Name);
        Assert.Equal(RingKind.Broadcast, info.Kind);
        Assert.True(info.CanInspectKind);
        Assert.Equal(4096 + 12288, info.Length);
        Assert.Equal(64, info.BytesPending); // the slow reader has two 32-byte frames to read
        Assert.Equal(["creator", "writer", "reader", "reader"], info.Parties.Select(p => p.Role));
        Assert.All(info.Parties, p => Assert.True(p.IsAlive));
        Assert.Equal(new long?[] { 0, 64 }, info.Parties.Where(p => p.Role == "reader").Select(p => p.Lag));
        Assert.Equal(2, Counter(info, "ring.messages.written"));
        Assert.Equal(2, Counter(info, "ring.messages.read"));
        Assert.Equal(2, Counter(info, "ring.readers"));
        Assert.Equal(64, Counter(info, "ring.bytes.written"));
        Assert.Equal(0, Counter(info, "ring.completed"));
    }

    [Fact]
    public void TheToolSendsToAndReadsFromABroadcastRingWithoutTakingMessagesFromItsReaders()
    {
        using var dir = new TestDirectory();
        RingTool.Expect(0, "send", "fan", "first", "--create", "--kind", "broadcast-lossy", "--capacity", "64K", "--dir", dir.Path);
        using var reader = BroadcastReader.Open("fan", BroadcastStart.Oldest, dir.Options());
        RingTool.Expect(0, "send", "fan", "second", "--complete", "--dir", dir.Path);
        Assert.Contains("Broadcast", RingTool.Expect(0, "list", "--dir", dir.Path).StandardOutput);

        // tail needs no --consume: it is one more reader.
        RingTool.Result tailed = RingTool.Expect(0, "tail", "fan", "--dir", dir.Path);
        Assert.DoesNotContain("CONSUMES", tailed.StandardError);
        Assert.Equal(2, tailed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal("first\nsecond\n", RingTool.Expect(0, "recv", "fan", "--dir", dir.Path).StandardOutput);

        // And the reader that was there all along still gets both.
        byte[] buffer = new byte[64];
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out _, TimeSpan.FromSeconds(10)));
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, TimeSpan.FromSeconds(10)));
        Assert.Equal("second", System.Text.Encoding.UTF8.GetString(buffer, 0, m.Length));
        Assert.Equal(ReadStatus.Completed, reader.Read(buffer, out _, TimeSpan.FromSeconds(10)));
    }

    private static long Counter(RingSegmentInfo info, string name) => info.Counters.Single(c => c.Name == name).Value;
}
