using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Ring.Channels;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// Fragmentation and reassembly (<see cref="FragmentingWriter"/>, <see cref="ReassemblingReader"/>): exact bytes around
/// the frame boundary, messages larger than the ring, interleaved writers, every way a partial is discarded and
/// counted, bad input, allocation, and writer processes on a many-to-one ring (one killed mid-message).
/// </summary>
public class FragmentationTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    // A 64 KiB ring: frames of at most 8 KiB (capacity / 8), so 8160 message bytes per fragment.
    private const long Capacity = 64 * 1024;
    private const int Frame = 8192;
    private const int Data = Frame - FragmentDescriptor.HeaderLength;

    public static TheoryData<string> Kinds => new() { "1:1", "n:1" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MessagesAroundTheFrameBoundaryArriveWholeWithTheirType(string kind)
    {
        using var seg = new TestSegment();
        using var rings = Rings.Create(kind, seg, Capacity);
        using var writer = new FragmentingWriter(rings.Writer, leaveOpen: true);
        using var reader = new ReassemblingReader(rings.Reader, leaveOpen: true);
        Assert.Equal(Frame, writer.MaxSingleFrameLength);
        Assert.Equal(Data, writer.FragmentDataLength);
        byte[] buffer = new byte[64 * 1024];
        int[] sizes = [0, 1, Frame - 1, Frame, Frame + 1, Data, 2 * Data, (2 * Data) + 1, (5 * Data) + 7, 40_000];
        for (int i = 0; i < sizes.Length; i++)
        {
            byte[] message = Pattern(sizes[i], i);
            writer.Write(message, type: 100 + i);
            Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
            Assert.Equal(sizes[i], m.Length);
            Assert.Equal(100 + i, m.Type);
            Assert.True(message.AsSpan().SequenceEqual(buffer.AsSpan(0, m.Length)), $"message of {sizes[i]} bytes differs");
        }

        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal(sizes.Length, reader.MessagesRead);
        Assert.Equal(0, reader.AbandonedMessages);
        Assert.Equal(0, reader.MessagesInFlight);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task MessagesLargerThanTheRingGoThroughEveryWriteAndReadForm(string kind)
    {
        using var seg = new TestSegment();
        using var rings = Rings.Create(kind, seg, Capacity);
        using var writer = new FragmentingWriter(rings.Writer, new FragmentationOptions { MaxMessageSize = 2 << 20 }, leaveOpen: true);
        using var reader = new ReassemblingReader(rings.Reader, new FragmentationOptions { MaxMessageSize = 2 << 20 }, leaveOpen: true);
        byte[] first = Pattern(1 << 20, 1);
        byte[] second = Pattern(300_000, 2);
        byte[] third = Pattern(200_001, 3);
        Task writing = Task.Factory.StartNew(
            async () =>
            {
                writer.Write(first, 1);
                await writer.WriteAsync(second, 2);
                Assert.True(writer.TryWrite(third, 3, Long));
            },
            TaskCreationOptions.LongRunning).Unwrap();

        byte[] buffer = new byte[2 << 20];
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
        Assert.Equal(new RingMessage(first.Length, 1), m);
        Assert.True(first.AsSpan().SequenceEqual(buffer.AsSpan(0, m.Length)));

        var grown = new ArrayBufferWriter<byte>();
        Assert.Equal(ReadStatus.Message, reader.Read(grown, out m, Long));
        Assert.Equal(new RingMessage(second.Length, 2), m);
        Assert.True(second.AsSpan().SequenceEqual(grown.WrittenSpan));

        m = await reader.ReadAsync(buffer.AsMemory()).AsTask().WaitAsync(Long);
        Assert.Equal(new RingMessage(third.Length, 3), m);
        Assert.True(third.AsSpan().SequenceEqual(buffer.AsSpan(0, m.Length)));
        await writing.WaitAsync(Long);
        Assert.Equal(0, reader.AbandonedMessages);
    }

    [Fact]
    public void EveryReaderOfAGatedBroadcastRingGetsEveryMessageWhole()
    {
        using var seg = new TestSegment();
        using var ring = BroadcastRing.Create(seg.Name, BroadcastMode.Gated, seg.Options(capacity: Capacity));
        using var first = new ReassemblingReader(BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options()));
        using var second = new ReassemblingReader(BroadcastReader.Open(seg.Name, BroadcastStart.Oldest, seg.Options()));
        using var writer = new FragmentingWriter(ring, leaveOpen: true);
        byte[][] messages = [Pattern(5, 1), Pattern(3 * Data, 2), Pattern(Frame + 1, 3)];
        byte[] buffer = new byte[3 * Data];
        for (int i = 0; i < messages.Length; i++)
        {
            writer.Write(messages[i], i);
            foreach (ReassemblingReader reader in new[] { first, second })
            {
                Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
                Assert.Equal(new RingMessage(messages[i].Length, i), m);
                Assert.True(messages[i].AsSpan().SequenceEqual(buffer.AsSpan(0, m.Length)));
            }
        }

        Assert.Equal(0, first.AbandonedMessages + second.AbandonedMessages);
    }

    [Fact]
    public void InterleavedFragmentsOfTwoWritersAreReassembledApart()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        long me = ProcessLiveness.CurrentIdentity;
        byte[] a = Pattern(300, 1);
        byte[] b = Pattern(250, 2);
        byte[] buffer = new byte[1000];

        // Writer A (instance 1): 100 + 100 + 100 bytes; writer B (instance 2): 200 + 50; interleaved A B A B A.
        Fragment(ring, me, 1, 7, 0, a.Length, 0, a.AsSpan(0, 100));
        Fragment(ring, me, 2, 8, 0, b.Length, 0, b.AsSpan(0, 200));
        Fragment(ring, me, 1, 7, 0, a.Length, 100, a.AsSpan(100, 100));
        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal(2, reader.MessagesInFlight);
        Fragment(ring, me, 2, 8, 0, b.Length, 200, b.AsSpan(200, 50));
        Fragment(ring, me, 1, 7, 0, a.Length, 200, a.AsSpan(200, 100));

        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(b.Length, 8), m);
        Assert.True(b.AsSpan().SequenceEqual(buffer.AsSpan(0, m.Length)));
        Assert.True(reader.TryRead(buffer, out m));
        Assert.Equal(new RingMessage(a.Length, 7), m);
        Assert.True(a.AsSpan().SequenceEqual(buffer.AsSpan(0, m.Length)));
        Assert.Equal(0, reader.MessagesInFlight);
        Assert.Equal(0, reader.AbandonedMessages);
    }

    [Fact]
    public async Task AMessageReassembledInTheCallersBufferSurvivesOtherMessagesTimeoutsAndCancels()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        long me = ProcessLiveness.CurrentIdentity;
        byte[] a = Pattern(300, 13);
        byte[] b = Pattern(40, 14);
        byte[] buffer = new byte[1000];

        // A starts in the caller's buffer; B, a single frame, is handed out first: A moves aside and is not overwritten.
        Fragment(ring, me, 1, 1, 0, a.Length, 0, a.AsSpan(0, 100));
        ring.TryWrite(b, 2);
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
        Assert.Equal(new RingMessage(b.Length, 2), m);
        Assert.True(b.AsSpan().SequenceEqual(buffer.AsSpan(0, b.Length)));
        Fragment(ring, me, 1, 1, 0, a.Length, 100, a.AsSpan(100, 200));
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out m, Long));
        Assert.Equal(new RingMessage(a.Length, 1), m);
        Assert.True(a.AsSpan().SequenceEqual(buffer.AsSpan(0, a.Length)));

        // A read that times out mid-message gives the buffer back; the next read, into another buffer, completes it.
        Fragment(ring, me, 1, 1, 1, a.Length, 0, a.AsSpan(0, 150));
        Assert.Equal(ReadStatus.TimedOut, reader.Read(buffer, out _, TimeSpan.FromMilliseconds(50)));
        buffer.AsSpan().Clear();
        Fragment(ring, me, 1, 1, 1, a.Length, 150, a.AsSpan(150, 150));
        byte[] other = new byte[300];
        Assert.Equal(ReadStatus.Message, reader.Read(other, out m, Long));
        Assert.True(a.AsSpan().SequenceEqual(other));

        // Cancelled while in the caller's buffer, then a new message of the same writer arrives whole.
        Fragment(ring, me, 1, 1, 2, a.Length, 0, a.AsSpan(0, 100));
        Fragment(ring, me, 1, 1, 2, a.Length, 0, default, FragmentDescriptor.CancelFlags);
        Fragment(ring, me, 1, 1, 3, b.Length, 0, b.AsSpan(0, 20));
        Fragment(ring, me, 1, 1, 3, b.Length, 20, b.AsSpan(20, 20));
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out m, Long));
        Assert.Equal(new RingMessage(b.Length, 1), m);
        Assert.True(b.AsSpan().SequenceEqual(buffer.AsSpan(0, b.Length)));

        // Asynchronously: reassembled in the destination across the wait.
        Fragment(ring, me, 1, 1, 4, a.Length, 0, a.AsSpan(0, 100));
        ValueTask<RingMessage> pending = reader.ReadAsync(other);
        Assert.False(pending.IsCompleted);
        Fragment(ring, me, 1, 1, 4, a.Length, 100, a.AsSpan(100, 200));
        m = await pending.AsTask().WaitAsync(Long);
        Assert.Equal(new RingMessage(a.Length, 1), m);
        Assert.True(a.AsSpan().SequenceEqual(other));
        Assert.Equal(1, reader.AbandonedMessages);
        Assert.Equal(0, reader.MessagesInFlight);
    }

    [Fact]
    public void SupersededCancelledOutOfSequenceAndOversizedMessagesAreDiscardedAndCounted()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, new FragmentationOptions { MaxMessageSize = 1000 }, leaveOpen: true);
        long me = ProcessLiveness.CurrentIdentity;
        byte[] data = Pattern(1000, 3);
        byte[] buffer = new byte[1000];

        // Superseded: message 0 gets 100 of 300 bytes, then message 1 starts and completes.
        Fragment(ring, me, 1, 5, 0, 300, 0, data.AsSpan(0, 100));
        Fragment(ring, me, 1, 5, 1, 200, 0, data.AsSpan(0, 120));
        Fragment(ring, me, 1, 5, 1, 200, 120, data.AsSpan(120, 80));
        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(200, 5), m);
        Assert.Equal((1, 100), (reader.AbandonedMessages, reader.AbandonedBytes));

        // Cancelled: message 2 gets 64 bytes, then a cancel.
        Fragment(ring, me, 1, 5, 2, 300, 0, data.AsSpan(0, 64));
        Fragment(ring, me, 1, 5, 2, 300, 0, default, FragmentDescriptor.CancelFlags);
        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal((2, 164), (reader.AbandonedMessages, reader.AbandonedBytes));

        // Out of sequence: a continuation whose beginning never came, then its last fragment (dropped, not counted again).
        Fragment(ring, me, 1, 5, 3, 300, 100, data.AsSpan(100, 100));
        Fragment(ring, me, 1, 5, 3, 300, 200, data.AsSpan(200, 100));
        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal((3, 364), (reader.AbandonedMessages, reader.AbandonedBytes));

        // Oversized: 2000 bytes announced to a reader whose maximum is 1000.
        Fragment(ring, me, 1, 5, 4, 2000, 0, data.AsSpan(0, 1000));
        Fragment(ring, me, 1, 5, 4, 2000, 1000, data.AsSpan(0, 1000));
        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal((4, 2364), (reader.AbandonedMessages, reader.AbandonedBytes));

        // The writer goes on: its next message arrives whole.
        Fragment(ring, me, 1, 5, 5, 150, 0, data.AsSpan(0, 100));
        Fragment(ring, me, 1, 5, 5, 150, 100, data.AsSpan(100, 50));
        Assert.True(reader.TryRead(buffer, out m));
        Assert.Equal(new RingMessage(150, 5), m);
        Assert.True(data.AsSpan(0, 150).SequenceEqual(buffer.AsSpan(0, 150)));
        Assert.Equal(2, reader.MessagesRead);
        Assert.Equal(0, reader.MessagesInFlight);
    }

    [Fact]
    public void ASingleFrameMessageLongerThanTheReadersMaximumIsDiscardedAndCountedNotKeptForever()
    {
        // A plain writer (or a fragmenting one configured with a larger maximum) sends one frame longer than the
        // reader's MaxMessageSize: no destination of MaxMessageSize bytes could ever take it, so keeping it for the next
        // read would block the reader for good. It is dropped and counted, as an oversized fragmented message is.
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, new FragmentationOptions { MaxMessageSize = 1000 }, leaveOpen: true);
        byte[] small = Pattern(10, 8);
        Assert.True(ring.TryWrite(new byte[2000], 3));
        Assert.True(ring.TryWrite(small, 4));
        Assert.True(ring.TryWrite(new byte[1001], 3));
        Assert.True(ring.TryWrite(small, 5));
        byte[] buffer = new byte[reader.MaxMessageSize];
        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(10, 4), m);
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out m, Long));
        Assert.Equal(new RingMessage(10, 5), m);
        Assert.True(small.AsSpan().SequenceEqual(buffer.AsSpan(0, 10)));
        Assert.Equal((2, 3001), (reader.AbandonedMessages, reader.AbandonedBytes));
        Assert.Equal(2, reader.MessagesRead);
    }

    [Fact]
    public void AWriteThatTimesOutMidMessageIsGivenUpAndNeverHandedOut()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var writer = new FragmentingWriter(ring, leaveOpen: true);
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        byte[] big = Pattern(200_000, 4);

        // Nobody reads: a first message of 8120 bytes of frame and 7 fragments of 8200 fill the ring to 16 bytes of
        // its end (room is kept for the 8 bytes after a frame), so neither the eighth fragment nor the cancel fits.
        writer.Write(new byte[8112], 9);
        Assert.False(writer.TryWrite(big, 1, TimeSpan.FromMilliseconds(200)));
        byte[] buffer = new byte[200_000];
        Assert.True(reader.TryRead(buffer, out RingMessage first));
        Assert.Equal(new RingMessage(8112, 9), first);
        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal(1, reader.MessagesInFlight);
        Assert.Equal(0, reader.AbandonedMessages);

        // The next write sends the pending cancel first, so the reader drops the partial before the new message.
        byte[] small = Pattern(10, 5);
        writer.Write(small, 2);
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
        Assert.Equal(new RingMessage(10, 2), m);
        Assert.Equal(1, reader.AbandonedMessages);
        Assert.Equal(0, reader.MessagesInFlight);

        // Cancellation gives up the message the same way.
        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.ThrowsAny<OperationCanceledException>(() => writer.Write(big, 1, cancelled.Token));
        Assert.False(reader.TryRead(buffer, out _));
        writer.Write(small, 2);
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out m, Long));
        Assert.Equal(new RingMessage(10, 2), m);
        Assert.Equal(2, reader.AbandonedMessages);
    }

    [Fact]
    public void DisposingAWriterWithAPendingCancelSendsItSoTheReaderDropsThePartial()
    {
        // The writer's process lives on, so only the cancel can free the reader's slot (and its buffer) before the end
        // of the stream: a disposed writer has no next message to send it before.
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        byte[] buffer = new byte[200_000];
        using (var writer = new FragmentingWriter(ring, leaveOpen: true))
        {
            // As in AWriteThatTimesOutMidMessageIsGivenUpAndNeverHandedOut: neither the eighth fragment nor the cancel fits.
            writer.Write(new byte[8112], 9);
            Assert.False(writer.TryWrite(Pattern(200_000, 4), 1, TimeSpan.FromMilliseconds(200)));
            Assert.True(reader.TryRead(buffer, out RingMessage first));
            Assert.Equal(new RingMessage(8112, 9), first);
            Assert.False(reader.TryRead(buffer, out _));
            Assert.Equal(1, reader.MessagesInFlight);
        }

        // The ring has room now: the dispose sent the cancel.
        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal(0, reader.MessagesInFlight);
        Assert.Equal(1, reader.AbandonedMessages);
    }

    [Fact]
    public void ADestinationTooSmallNamesBothSizesAndKeepsTheMessage()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var writer = new FragmentingWriter(ring, leaveOpen: true);
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        byte[] single = Pattern(100, 6);
        byte[] fragmented = Pattern(20_000, 7);
        writer.Write(single, 1);
        writer.Write(fragmented, 2);
        byte[] small = new byte[50];
        var e = Assert.Throws<ArgumentException>(() => reader.TryRead(small, out _));
        Assert.Contains("50 bytes", e.Message);
        Assert.Contains("100 bytes", e.Message);
        byte[] buffer = new byte[20_000];
        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(100, 1), m);
        Assert.True(single.AsSpan().SequenceEqual(buffer.AsSpan(0, 100)));

        e = Assert.Throws<ArgumentException>(() => reader.Read(small, out _, Long));
        Assert.Contains("20000 bytes", e.Message);
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out m, Long));
        Assert.Equal(new RingMessage(20_000, 2), m);
        Assert.True(fragmented.AsSpan().SequenceEqual(buffer));
        Assert.Equal(0, reader.AbandonedMessages);
    }

    [Fact]
    public void TheEndOfTheStreamDiscardsAnUnfinishedPartial()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        Fragment(ring, ProcessLiveness.CurrentIdentity, 1, 0, 0, 500, 0, new byte[200]);
        ring.TryWrite([1, 2, 3], 9);
        ring.Complete();
        byte[] buffer = new byte[500];
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
        Assert.Equal(new RingMessage(3, 9), m);
        Assert.Equal(ReadStatus.Completed, reader.Read(buffer, out _, Long));
        Assert.Equal((1, 200), (reader.AbandonedMessages, reader.AbandonedBytes));
        Assert.Equal(0, reader.MessagesInFlight);
    }

    [Fact]
    public async Task AsyncReadAtTheEndOfTheStreamThrowsCompletedAndDiscardsThePartial()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        Fragment(ring, ProcessLiveness.CurrentIdentity, 1, 0, 0, 500, 0, new byte[200]);
        ring.Complete();
        await Assert.ThrowsAsync<RingCompletedException>(() => reader.ReadAsync(new byte[500]).AsTask().WaitAsync(Long));
        Assert.Equal(1, reader.AbandonedMessages);
    }

    [Fact]
    public void APartialOfADeadWriterIsDiscardedWhenTheReaderWaits()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, leaveOpen: true);

        // No process has this pid (above any pid_max): the identity of a dead writer. Ours stays alive.
        long dead = ProcessLiveness.Identity(0x3FFF_FFF0, 12345);
        Fragment(ring, dead, 1, 0, 0, 500, 0, new byte[200]);
        Fragment(ring, ProcessLiveness.CurrentIdentity, 1, 0, 0, 500, 0, new byte[300]);
        byte[] buffer = new byte[500];
        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal(2, reader.MessagesInFlight);
        Assert.Equal(ReadStatus.TimedOut, reader.Read(buffer, out _, TimeSpan.FromMilliseconds(300)));
        Assert.Equal((1, 200), (reader.AbandonedMessages, reader.AbandonedBytes));
        Assert.Equal(1, reader.MessagesInFlight);
        Assert.Equal(0, reader.DiscardDeadWriters());
    }

    [Fact]
    public void WhenEveryReassemblySlotIsTakenTheLeastRecentPartialIsGivenUp()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, new FragmentationOptions { MaxWritersInFlight = 2 }, leaveOpen: true);
        long me = ProcessLiveness.CurrentIdentity;
        byte[] data = Pattern(200, 8);
        Fragment(ring, me, 1, 1, 0, 200, 0, data.AsSpan(0, 100));
        Fragment(ring, me, 2, 2, 0, 200, 0, data.AsSpan(0, 100));
        Fragment(ring, me, 1, 1, 0, 200, 100, data.AsSpan(100, 50));
        Fragment(ring, me, 3, 3, 0, 200, 0, data.AsSpan(0, 100));
        Fragment(ring, me, 1, 1, 0, 200, 150, data.AsSpan(150, 50));
        Fragment(ring, me, 3, 3, 0, 200, 100, data.AsSpan(100, 100));
        byte[] buffer = new byte[200];
        var types = new List<int>();
        while (reader.TryRead(buffer, out RingMessage m))
        {
            Assert.True(data.AsSpan().SequenceEqual(buffer));
            types.Add(m.Type);
        }

        Assert.Equal(new[] { 1, 3 }, types);
        Assert.Equal((1, 100), (reader.AbandonedMessages, reader.AbandonedBytes));
    }

    [Fact]
    public void AContinuationWithoutASlotNeverEvictsAnotherWritersLivePartial()
    {
        // Found in review: writer 1's oversized message loses its discarding slot to writer 3; its next fragment then
        // took the least recent slot, writer 2's live partial, and writer 2's message was lost (and 1 counted twice).
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, new FragmentationOptions { MaxWritersInFlight = 2, MaxMessageSize = 1000 }, leaveOpen: true);
        long me = ProcessLiveness.CurrentIdentity;
        byte[] data = Pattern(200, 9);
        Fragment(ring, me, 1, 1, 0, 5000, 0, data.AsSpan(0, 100));
        Fragment(ring, me, 2, 2, 0, 200, 0, data.AsSpan(0, 100));
        Fragment(ring, me, 3, 3, 0, 200, 0, data.AsSpan(0, 100));
        Fragment(ring, me, 1, 1, 0, 5000, 100, data.AsSpan(0, 100));
        Fragment(ring, me, 2, 2, 0, 200, 100, data.AsSpan(100, 100));
        Fragment(ring, me, 3, 3, 0, 200, 100, data.AsSpan(100, 100));
        byte[] buffer = new byte[200];
        var types = new List<int>();
        while (reader.TryRead(buffer, out RingMessage m))
        {
            Assert.True(data.AsSpan().SequenceEqual(buffer));
            types.Add(m.Type);
        }

        Assert.Equal(new[] { 2, 3 }, types);
        Assert.Equal((1, 200), (reader.AbandonedMessages, reader.AbandonedBytes));
    }

    [Fact]
    public void BatchReadHandsOutWholeMessagesInPlace()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var writer = new FragmentingWriter(ring, leaveOpen: true);
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        byte[] a = Pattern(20_000, 9);
        byte[] b = Pattern(30, 10);
        writer.Write(a, 1);
        writer.Write(b, 2);
        var handler = new CollectingHandler { Messages = new List<(int, byte[])>() };
        Assert.Equal(2, reader.Read(ref handler));
        Assert.Equal(1, handler.Messages[0].Item1);
        Assert.Equal(a, handler.Messages[0].Item2);
        Assert.Equal(2, handler.Messages[1].Item1);
        Assert.Equal(b, handler.Messages[1].Item2);
        Assert.Equal(0, reader.Read(ref handler, 1));

        // The blocking form waits for one whole message.
        Assert.Equal(ReadStatus.TimedOut, reader.Read(ref handler, TimeSpan.FromMilliseconds(50)));
        writer.Write(a, 3);
        Assert.Equal(ReadStatus.Message, reader.Read(ref handler, Long));
        Assert.Equal(3, handler.Messages[2].Item1);
        Assert.Equal(a, handler.Messages[2].Item2);
    }

    [Fact]
    public void BadInputIsRefusedWithTheValueAndTheRule()
    {
        var options = new FragmentationOptions();
        Assert.Contains("0", Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxMessageSize = 0).Message);
        Assert.Contains("-5", Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxMessageSize = -5).Message);
        Assert.Contains(Array.MaxLength.ToString(CultureInfo.InvariantCulture), Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxMessageSize = int.MaxValue).Message);
        Assert.Contains("1025", Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxWritersInFlight = 1025).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxWritersInFlight = 0);

        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var writer = new FragmentingWriter(ring, new FragmentationOptions { MaxMessageSize = 50_000 }, leaveOpen: true);
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        Assert.Throws<ArgumentNullException>(() => new FragmentingWriter(null!));
        Assert.Throws<ArgumentNullException>(() => new ReassemblingReader(null!));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[50_001]));
        Assert.Contains("50001", e.Message);
        Assert.Contains("50000", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.TryWrite(new byte[50_001], 0, Long));
        Assert.Throws<ArgumentOutOfRangeException>(() => { ValueTask pending = writer.WriteAsync(new byte[50_001]); return pending.IsCompleted; });
        Assert.Contains("-1", Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[1], -1)).Message);
        Assert.Contains(FragmentDescriptor.ReservedTypeMin.ToString(CultureInfo.InvariantCulture), Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[1], FragmentDescriptor.ReservedTypeMin)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[20_000], int.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.TryWrite(new byte[1], 0, TimeSpan.FromSeconds(-2)));

        // The non-blocking TryWrite cannot send a multi-fragment message atomically.
        var multi = Assert.Throws<ArgumentException>(() => writer.TryWrite(new byte[Frame + 1]));
        Assert.Contains($"{Frame + 1} bytes", multi.Message);
        Assert.Contains($"{Frame} bytes", multi.Message);
        var counting = new CountingHandler();
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.Read(ref counting, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.Read(new byte[1], out _, TimeSpan.FromSeconds(-2)));

        // Nothing was sent by any refused call.
        Assert.False(reader.TryRead(new byte[100_000], out _));
        Assert.Equal(0, reader.MessagesInFlight);

        using var seg2 = new TestSegment();
        using var m2m = ManyToManyRing.Create(seg2.Name, seg2.Options(capacity: Capacity));
        Assert.Contains("ManyToManyRing", Assert.Throws<ArgumentException>(() => new FragmentingWriter(m2m)).Message);
        Assert.Contains("ManyToManyRing", Assert.Throws<ArgumentException>(() => new ReassemblingReader(m2m)).Message);

        using var seg3 = new TestSegment();
        using var tiny = ManyToOneRing.Create(seg3.Name, seg3.Options(capacity: 1024, maxMessageLength: 32));
        Assert.Contains("32", Assert.Throws<ArgumentException>(() => new FragmentingWriter(tiny)).Message);
    }

    [Fact]
    public void AMalformedFragmentHeaderIsReportedAsCorruption()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        byte[] buffer = new byte[1000];
        Assert.True(ring.TryWrite(new byte[10], FragmentDescriptor.FrameType));
        Assert.Throws<RingCorruptedException>(() => reader.TryRead(buffer, out _));

        // Offset + data beyond the total length.
        Fragment(ring, ProcessLiveness.CurrentIdentity, 1, 0, 0, 100, 50, new byte[60]);
        Assert.Contains("total length 100", Assert.Throws<RingCorruptedException>(() => reader.TryRead(buffer, out _)).Message);

        // Unknown flags.
        Fragment(ring, ProcessLiveness.CurrentIdentity, 1, 0, 0, 100, 0, new byte[60], flags: 7);
        Assert.Throws<RingCorruptedException>(() => reader.TryRead(buffer, out _));
    }

    [Fact]
    public void SteadySingleFrameAndMultiFragmentLoopsAllocateNothing()
    {
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: Capacity));
        using var writer = new FragmentingWriter(ring, leaveOpen: true);
        using var reader = new ReassemblingReader(ring, leaveOpen: true);
        byte[] single = Pattern(100, 11);
        byte[] multi = Pattern(20_000, 12);
        byte[] buffer = new byte[20_000];
        var handler = new CountingHandler();
        void Run()
        {
            for (int i = 0; i < 2000; i++)
            {
                writer.Write(single, 1);
                reader.TryRead(buffer, out _);
                writer.TryWrite(multi, 2, Long);
                reader.Read(buffer, out _, Long);
                writer.Write(multi, 3);
                reader.Read(ref handler);
            }
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2 * 2000 * 3, reader.MessagesRead);
        Assert.Equal(2L * 2000 * 20_000, handler.Bytes);
    }

    [Fact]
    public void ThreeWriterProcessesInterleaveBigMessagesAndEachArrivesWholeExactlyOnce()
    {
        const int Writers = 3;
        const int PerWriter = 8;
        const int Min = 100 * 1024;
        const int Max = 2 << 20;
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 20));
        using var reader = new ReassemblingReader(ring, new FragmentationOptions { MaxMessageSize = Max }, leaveOpen: true);
        var peers = Enumerable.Range(0, Writers)
            .Select(w => Peer.Start("frag-write", seg.Name, $"id={w}", $"count={PerWriter}", $"min={Min}", $"max={Max}"))
            .ToList();
        try
        {
            long[] next = new long[Writers];
            byte[] buffer = new byte[Max];
            byte[] expected = new byte[Max];
            for (int total = 0; total < Writers * PerWriter; total++)
            {
                Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
                Verify(m, buffer, expected, next, Min, Max);
            }

            peers.ForEach(p => p.AssertSuccess(Long));
            Assert.All(next, n => Assert.Equal(PerWriter, n));
            // The writers detached as they exited: nothing more comes, and nothing was left half done.
            Assert.Equal(ReadStatus.TimedOut, reader.Read(buffer, out _, TimeSpan.FromMilliseconds(500)));
            Assert.Equal(0, reader.AbandonedMessages);
            Assert.Equal(0, reader.MessagesInFlight);
        }
        finally
        {
            peers.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public void AWriterKilledMidMessageIsDiscardedAndCountedWhileTheOtherDeliversEverything()
    {
        const int Count = 12;
        const int Min = 100 * 1024;
        const int Max = 1 << 20;
        using var seg = new TestSegment();
        using var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 20));
        using var reader = new ReassemblingReader(ring, new FragmentationOptions { MaxMessageSize = 4 << 20 }, leaveOpen: true);

        // Writer 0 sends everything and stays alive; writer 1 sends 4 messages, then dies after 3 fragments of a fifth.
        using var survivor = Peer.Start("frag-write", seg.Name, "id=0", $"count={Count}", $"min={Min}", $"max={Max}", "linger=60000");
        using var victim = Peer.Start("frag-write-mid", seg.Name, "id=1", "count=4", $"min={Min}", $"max={Max}", "mid=3");
        long[] next = new long[2];
        byte[] buffer = new byte[4 << 20];
        byte[] expected = new byte[Max];
        for (int total = 0; total < Count + 4; total++)
        {
            Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long));
            Verify(m, buffer, expected, next, Min, Max);
        }

        victim.WaitForLine("mid", Long);
        victim.Kill();
        survivor.WaitForLine("done", Long);

        // The partial's fragments are read, then the wait finds its writer dead. The survivor lives on: a timeout.
        Assert.Equal(ReadStatus.TimedOut, reader.Read(buffer, out _, TimeSpan.FromSeconds(3)));
        Assert.Equal(1, reader.AbandonedMessages);
        Assert.Equal(3L * ring.MaxMessageLength - (3L * FragmentDescriptor.HeaderLength), reader.AbandonedBytes);
        Assert.Equal(0, reader.MessagesInFlight);
        Assert.Equal(new long[] { Count, 4 }, next);
        survivor.Kill();
    }

    private static void Verify(RingMessage m, byte[] buffer, byte[] expected, long[] next, int min, int max)
    {
        int id = m.Type;
        Assert.InRange(id, 0, next.Length - 1);
        long sequence = next[id]++;
        int length = FragmentModes.Length(id, sequence, min, max);
        Assert.Equal(length, m.Length);
        FragmentModes.Fill(expected.AsSpan(0, length), id, sequence);
        Assert.True(expected.AsSpan(0, length).SequenceEqual(buffer.AsSpan(0, length)), $"writer {id} message {sequence} differs");
    }

    private static byte[] Pattern(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes one fragment frame by hand (protocol tests).</summary>
    private static void Fragment(IMessageWriter ring, long identity, int instance, int type, int number, int total, int offset, ReadOnlySpan<byte> data, int flags = 0)
    {
        byte[] frame = new byte[FragmentDescriptor.HeaderLength + data.Length];
        FragmentDescriptor.Write(frame, new FragmentDescriptor.Header(identity, instance, type, number, total, offset, flags));
        data.CopyTo(frame.AsSpan(FragmentDescriptor.HeaderLength));
        Assert.True(ring.TryWrite(frame, FragmentDescriptor.FrameType));
    }

    private struct CollectingHandler : IFrameHandler
    {
        public List<(int, byte[])> Messages;

        public void OnFrame(int type, ReadOnlySpan<byte> payload) => Messages.Add((type, payload.ToArray()));
    }

    private struct CountingHandler : IFrameHandler
    {
        public long Bytes;

        public void OnFrame(int type, ReadOnlySpan<byte> payload) => Bytes += payload.Length;
    }

    /// <summary>A writer side and a reader side of one ring kind (the same object for a many-to-one ring).</summary>
    private sealed class Rings : IDisposable
    {
        private readonly IDisposable[] _owned;

        private Rings(IMessageWriter writer, IMessageReader reader, params IDisposable[] owned)
        {
            Writer = writer;
            Reader = reader;
            _owned = owned;
        }

        public IMessageWriter Writer { get; }

        public IMessageReader Reader { get; }

        public static Rings Create(string kind, TestSegment seg, long capacity)
        {
            if (kind == "1:1")
            {
                var writer = OneToOneRing.Create(seg.Name, seg.Options(capacity: capacity));
                var reader = OneToOneRing.Open(seg.Name, seg.Options());
                return new Rings(writer, reader, reader, writer);
            }

            var ring = ManyToOneRing.Create(seg.Name, seg.Options(capacity: capacity));
            return new Rings(ring, ring, ring);
        }

        public void Dispose()
        {
            foreach (IDisposable d in _owned)
            {
                d.Dispose();
            }
        }
    }
}
