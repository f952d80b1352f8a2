using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// ManyToManyRing in one process: the layout's numbers, the stamps after each protocol step, the taker query, recovery
/// of claims whose party is dead (an entry given the identity of a process that does not exist) or stuck, corruption,
/// and allocation. Several ring objects in one process are separate parties with their own entries.
/// </summary>
public class ManyToManyTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    // A pid above the kernel's maximum (4194304): never alive.
    private static readonly long DeadIdentity = ProcessLiveness.Identity(5_000_000, 12345);

    private const int W = ManyToManyRingDescriptor.Writing;
    private const int C = ManyToManyRingDescriptor.Committed;
    private const int R = ManyToManyRingDescriptor.Reading;

    [Fact]
    public void LayoutOffsetsAndSizeRules()
    {
        Assert.Equal(4, (int)RingKind.ManyToMany);
        Assert.Equal(128, ManyToManyRingDescriptor.EnqueueOffset);
        Assert.Equal(136, ManyToManyRingDescriptor.CompletedByOffset);
        Assert.Equal(256, ManyToManyRingDescriptor.DequeueOffset);
        Assert.Equal(384, ManyToManyRingDescriptor.DataSignalOffset);
        Assert.Equal(388, ManyToManyRingDescriptor.ReaderSleepersOffset);
        Assert.Equal(392, ManyToManyRingDescriptor.ReaderSleepsOffset);
        Assert.Equal(400, ManyToManyRingDescriptor.ReaderWakeupsOffset);
        Assert.Equal(512, ManyToManyRingDescriptor.SpaceSignalOffset);
        Assert.Equal(516, ManyToManyRingDescriptor.WriterSleepersOffset);
        Assert.Equal(520, ManyToManyRingDescriptor.WriterSleepsOffset);
        Assert.Equal(528, ManyToManyRingDescriptor.WriterWakeupsOffset);
        Assert.Equal(640, ManyToManyRingDescriptor.TornClaimsOffset);
        Assert.Equal(648, ManyToManyRingDescriptor.RevokedClaimsOffset);
        Assert.Equal(656, ManyToManyRingDescriptor.LostMessagesOffset);
        Assert.Equal(664, ManyToManyRingDescriptor.RetiredMessagesWrittenOffset);
        Assert.Equal(672, ManyToManyRingDescriptor.RetiredMessagesReadOffset);
        Assert.Equal(680, ManyToManyRingDescriptor.RetiredFullStallsOffset);
        Assert.Equal(1024, ManyToManyRingDescriptor.WriterTableOffset);
        Assert.Equal(8192, ManyToManyRingDescriptor.ReaderTableOffset);
        Assert.Equal(16384, ManyToManyRingDescriptor.DataOffset);
        Assert.True(ManyToManyRingDescriptor.ReaderTableOffset + (ManyToManyRingDescriptor.MaxReaders * 128) <= ManyToManyRingDescriptor.DataOffset);

        // n slots of 64 bytes plus n stamps rounded up to 64 fill at most the capacity.
        Assert.Equal(0, ManyToManyRingDescriptor.SlotCountFor(64));
        Assert.Equal(1, ManyToManyRingDescriptor.SlotCountFor(128));
        Assert.Equal(3, ManyToManyRingDescriptor.SlotCountFor(256));
        Assert.Equal(14, ManyToManyRingDescriptor.SlotCountFor(1024));
        Assert.Equal(56, ManyToManyRingDescriptor.SlotCountFor(4096));
        Assert.Equal(64, ManyToManyRingDescriptor.SlotsOffsetFor(3));
        Assert.Equal(128, ManyToManyRingDescriptor.SlotsOffsetFor(14));
        Assert.Equal(1, ManyToManyRingDescriptor.SlotsFor(0));
        Assert.Equal(1, ManyToManyRingDescriptor.SlotsFor(48));
        Assert.Equal(2, ManyToManyRingDescriptor.SlotsFor(49));
        Assert.Equal(2, ManyToManyRingDescriptor.SlotsFor(100));

        Assert.Equal(0x2000_0000_0000_0007, ManyToManyRing.MakeStamp(C, 0, 7));
        long reading = ManyToManyRing.MakeStamp(R, 64 + 5, 123456789);
        Assert.Equal(R, ManyToManyRing.StateOf(reading));
        Assert.Equal(69, ManyToManyRing.PartyOf(reading));
        Assert.Equal(123456789, ManyToManyRing.PositionOf(reading));
    }

    [Theory]
    [InlineData(128)]
    [InlineData(256)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    [InlineData(1 << 30)]
    public void SlotIndexWithoutDivisionMatchesTheRemainder(long capacity)
    {
        using var seg = new TestSegment();
        using var ring = ManyToManyRing.Create(seg.Name, seg.Options(capacity: 128 * 1024, maxMessageLength: 40));
        long n = ManyToManyRingDescriptor.SlotCountFor(capacity);
        ulong reciprocal = ulong.MaxValue / (ulong)n;
        var random = new Random((int)capacity);
        long max = ManyToManyRingDescriptor.PositionMask;
        foreach (long p in new[] { 0L, 1, n - 1, n, n + 1, (2 * n) - 1, max, max - 1, max - n })
        {
            Assert.Equal(p % n, Index(p));
        }

        for (int i = 0; i < 100_000; i++)
        {
            long p = random.NextInt64(max + 1);
            Assert.Equal(p % n, Index(p));
        }

        // The ring's own method, for its slot count.
        for (long p = max - 1000; p <= max; p++)
        {
            Assert.Equal(p % ring.SlotCount, ring.IndexOf(p));
        }

        long Index(long position)
        {
            ulong quotient = Math.BigMul((ulong)position, reciprocal, out _);
            long index = position - ((long)quotient * n);
            return index >= n ? index - n : index;
        }
    }

    [Fact]
    public void SizesThatCannotHoldTheLargestMessageAreRefused()
    {
        using var seg = new TestSegment();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ManyToManyRing.Create(seg.Name, seg.Options(capacity: 128, maxMessageLength: 56)));
        Assert.Contains("MaxMessageLength 56", e.Message);
        Assert.Contains("holds 1 slots", e.Message);
        Assert.False(RingSegment.Exists(seg.Name, seg.Directory));
    }

    [Fact]
    public void StampsAfterEachStepOfClaimCommitTakeFreeAndWrap()
    {
        using var seg = new TestSegment();
        using var writer = ManyToManyRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 200));
        using var reader = ManyToManyRing.Open(seg.Name, seg.Options());
        Assert.Equal(14, writer.SlotCount);
        for (long p = 0; p < 14; p++)
        {
            Assert.Equal(p, writer.StampAt(p)); // free for its own position
        }

        // A 100-byte message takes 2 slots: the head stamp names the writer; the interior stays "free for 1".
        Assert.True(writer.TryClaim(100, 7, out Span<byte> payload));
        payload.Fill(9);
        Assert.Equal(ManyToManyRing.MakeStamp(W, writer.WriterIndex, 0), writer.StampAt(0));
        Assert.Equal(1, writer.StampAt(1));
        Assert.Equal(2, Enqueue(writer));
        writer.Commit();
        Assert.Equal(ManyToManyRing.MakeStamp(C, 0, 0), writer.StampAt(0));
        Assert.Equal(MessageTakerStatus.NotYetTaken, writer.TryGetTaker(0, out _));

        byte[] buffer = new byte[200];
        Assert.True(reader.TryRead(buffer, out RingMessage m));
        Assert.Equal(new RingMessage(100, 7), m);
        Assert.Equal(9, buffer[99]);
        Assert.Equal(14, writer.StampAt(0)); // free for the next lap
        Assert.Equal(15, writer.StampAt(1));
        Assert.Equal(2, Dequeue(writer));
        Assert.Equal(MessageTakerStatus.Taken, writer.TryGetTaker(0, out int taker));
        Assert.Equal(reader.ReaderIndex, taker);

        // Eleven 1-slot messages move both cursors to 13; a 2-slot message then does not fit before the end: padding
        // fills slot 13 and the message goes to slot 0, at position 14.
        for (int i = 0; i < 11; i++)
        {
            Assert.True(writer.TryWrite([(byte)i], i));
            Assert.True(reader.TryRead(buffer, out _));
        }

        Assert.Equal(13, Enqueue(writer));
        Assert.True(writer.TryWrite(new byte[60], 3, out long sequence));
        Assert.Equal(14, sequence);
        Assert.Equal(16, Enqueue(writer));
        Assert.Equal(ManyToManyRing.MakeStamp(C, 0, 13), writer.StampAt(13));
        Assert.Equal(ManyToManyRing.MakeStamp(C, 0, 14), writer.StampAt(14));
        Assert.Equal(15, writer.StampAt(15));
        Assert.True(reader.TryRead(buffer, out m));
        Assert.Equal(new RingMessage(60, 3), m);
        Assert.Equal(27, writer.StampAt(13));
        Assert.Equal(28, writer.StampAt(14));
        Assert.Equal(29, writer.StampAt(15));
        Assert.Equal(16, Dequeue(writer));
        Assert.False(reader.TryRead(buffer, out _));
    }

    [Fact]
    public void TheWriterLearnsWhichReaderTookEachMessage()
    {
        using var seg = new TestSegment();
        using var writer = ManyToManyRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 40));
        using var a = ManyToManyRing.Open(seg.Name, seg.Options());
        using var b = ManyToManyRing.Open(seg.Name, seg.Options());
        Assert.Equal(MessageTakerStatus.Unknown, writer.TryGetTaker(5, out _)); // never written
        Assert.True(writer.TryWrite([1], 0, out long first));
        Assert.True(writer.TryWrite([2], 0, out long second));
        Assert.True(writer.TryWrite([3], 0, out long third));
        byte[] buffer = new byte[40];
        Assert.True(a.TryRead(buffer, out _));
        Assert.True(b.TryRead(buffer, out _));
        Assert.NotEqual(a.ReaderIndex, b.ReaderIndex);
        Assert.Equal(MessageTakerStatus.Taken, writer.TryGetTaker(first, out int r1));
        Assert.Equal(a.ReaderIndex, r1);
        Assert.Equal(MessageTakerStatus.Taken, writer.TryGetTaker(second, out int r2));
        Assert.Equal(b.ReaderIndex, r2);
        Assert.Equal(MessageTakerStatus.NotYetTaken, writer.TryGetTaker(third, out _));
        Assert.Equal(third, writer.LastSequence);

        // A lap later the head slot of the first message has been reused: no longer known.
        for (int i = 0; i < 14; i++)
        {
            Assert.True(a.TryRead(buffer, out _) || i > 0);
            Assert.True(writer.TryWrite([4]));
        }

        Assert.Equal(MessageTakerStatus.Unknown, writer.TryGetTaker(first, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.TryGetTaker(-1, out _));
    }

    [Fact]
    public void ADeadWritersClaimBecomesPaddingAndLaterMessagesAreDelivered()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024, maxMessageLength: 200);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(5);
        using var writer = ManyToManyRing.Create(seg.Name, options);
        using var reader = ManyToManyRing.Open(seg.Name, options);
        writer.TryWrite([1], 1);

        // A dead writer in entry 5 claimed 2 slots at position 1 and died before committing.
        FakeDeadClaim(writer, table: ManyToManyRingDescriptor.WriterTableOffset, index: 5, party: 5, position: 1, slots: 2, state: W);
        SharedMemory m = writer.Segment.Memory;
        m.WriteInt64Release(ManyToManyRingDescriptor.EnqueueOffset, 3);
        writer.TryWrite([2], 2);

        byte[] buffer = new byte[200];
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage first, Long));
        Assert.Equal(1, first.Type);
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage second, Long));
        Assert.Equal(2, second.Type);
        ManyToManyRingStatistics s = reader.GetStatistics();
        Assert.Equal(1, s.TornClaims);
        Assert.Equal(4, s.DequeuePosition);
        Assert.Equal(1 + 14, writer.StampAt(1)); // freed for the next lap
        Assert.Equal(2 + 14, writer.StampAt(2));
    }

    [Fact]
    public void ADeadReadersMessageIsFreedAndCountedLost()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 256, maxMessageLength: 16);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(5);
        using var writer = ManyToManyRing.Create(seg.Name, options);
        using var reader = ManyToManyRing.Open(seg.Name, options);
        Assert.Equal(3, writer.SlotCount);
        Assert.True(writer.TryWrite([1], 0, out long lost));
        Assert.True(writer.TryWrite([2]));
        Assert.True(writer.TryWrite([3]));
        Assert.False(writer.TryWrite([4]));

        // A dead reader in entry 9 took the first message and died before moving the dequeue cursor.
        FakeDeadClaim(writer, table: ManyToManyRingDescriptor.ReaderTableOffset, index: 9, party: 64 + 9, position: 0, slots: 1, state: R);
        byte[] buffer = new byte[16];
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out _, Long)); // helps the cursor past it
        Assert.Equal(2, buffer[0]);

        // The writer, waiting for room, frees the dead reader's slot.
        Assert.True(writer.TryWrite([4], 0, Long));
        Assert.True(writer.TryWrite([5], 0, Long));
        Assert.Equal(MessageTakerStatus.Unknown, writer.TryGetTaker(lost, out _)); // its slot holds position 3 now
        Assert.Equal(1, writer.GetStatistics().LostMessages);
        var seen = new List<byte>();
        while (reader.TryRead(buffer, out _))
        {
            seen.Add(buffer[0]);
        }

        Assert.Equal(new byte[] { 3, 4, 5 }, seen);
    }

    [Fact]
    public void AWaitingReaderFreesADeadReadersMessageAndTheTakerSaysLost()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024, maxMessageLength: 16);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(5);
        using var writer = ManyToManyRing.Create(seg.Name, options);
        using var reader = ManyToManyRing.Open(seg.Name, options);
        Assert.True(writer.TryWrite([1], 0, out long lost));
        FakeDeadClaim(writer, table: ManyToManyRingDescriptor.ReaderTableOffset, index: 9, party: 64 + 9, position: 0, slots: 1, state: R);
        Assert.Equal(MessageTakerStatus.Taken, writer.TryGetTaker(lost, out int holder)); // being read by the dead reader
        Assert.Equal(9, holder);
        Assert.Equal(ReadStatus.TimedOut, reader.Read(new byte[16], out _, TimeSpan.FromMilliseconds(100)));
        Assert.Equal(MessageTakerStatus.Lost, writer.TryGetTaker(lost, out int deadReader));
        Assert.Equal(9, deadReader);
        Assert.Equal(14, writer.StampAt(0));
        Assert.Equal(1, writer.GetStatistics().LostMessages);
    }

    [Fact]
    public void AStuckClaimIsRevokedAndItsCommitThrows()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024, maxMessageLength: 200);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(2);
        options.StuckWriterTimeout = TimeSpan.FromMilliseconds(20);
        using var stuck = ManyToManyRing.Create(seg.Name, options);
        using var other = ManyToManyRing.Open(seg.Name, options);
        using var reader = ManyToManyRing.Open(seg.Name, options);
        Assert.True(stuck.TryClaim(100, 1, out _));
        Assert.True(other.TryWrite([2], 2));
        byte[] buffer = new byte[200];
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage m, Long)); // passes the revoked claim
        Assert.Equal(2, m.Type);
        Assert.Equal(1, reader.GetStatistics().RevokedClaims);
        Assert.Equal(ManyToManyRing.MakeStamp(ManyToManyRingDescriptor.Revoked, stuck.WriterIndex, 0), stuck.StampAt(0));
        var e = Assert.Throws<InvalidOperationException>(stuck.Commit);
        Assert.Contains("revoked", e.Message);
        Assert.Equal(14, stuck.StampAt(0)); // the writer freed its slots when it noticed
        Assert.Equal(15, stuck.StampAt(1));
        Assert.True(stuck.TryWrite([3], 3));
        Assert.True(reader.TryRead(buffer, out m));
        Assert.Equal(3, m.Type);
    }

    [Fact]
    public void BlockedReaderReportsWriterDiedWhenEveryWriterIsDeadAndDrained()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024, maxMessageLength: 40);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(5);
        using var reader = ManyToManyRing.Create(seg.Name, options);
        reader.Segment.Memory.WriteInt64Release(ManyToManyRingDescriptor.WriterTableOffset, DeadIdentity);
        Assert.Equal(ReadStatus.WriterDied, reader.Read(new byte[40], out _, Long));
    }

    [Fact]
    public void GarbageInACommittedHeaderIsReportedAsCorruption()
    {
        using var seg = new TestSegment();
        using var writer = ManyToManyRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 40));
        using var reader = ManyToManyRing.Open(seg.Name, seg.Options());
        writer.TryWrite([1]);
        SharedMemory m = writer.Segment.Memory;
        long slot0 = ManyToManyRingDescriptor.DataOffset + ManyToManyRingDescriptor.SlotsOffsetFor(writer.SlotCount);
        m.WriteInt32Plain(slot0, 1_000_000);
        var e = Assert.Throws<RingCorruptedException>(() => reader.TryRead(new byte[40], out _));
        Assert.Contains("length 1000000", e.Message);
        m.WriteInt32Plain(slot0, 1);
        m.WriteInt64Release(ManyToManyRingDescriptor.DataOffset, ManyToManyRing.MakeStamp(7, 0, 0));
        Assert.Throws<RingCorruptedException>(() => reader.TryRead(new byte[40], out _));

        // A claim at the cursor naming a party no table has: a writer that would help it along refuses instead of spinning.
        m.WriteInt64Release(ManyToManyRingDescriptor.DataOffset + 8, ManyToManyRing.MakeStamp(W, 60, 1));
        var bad = Assert.Throws<RingCorruptedException>(() => writer.TryWrite([2]));
        Assert.Contains("names party 60", bad.Message);
    }

    [Fact]
    public async Task TwoWriterAndTwoReaderThreadsDeliverEveryMessageExactlyOnce()
    {
        const int PerWriter = 50_000;
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 4096, maxMessageLength: 100);
        using var w0 = ManyToManyRing.Create(seg.Name, options);
        using var w1 = ManyToManyRing.Open(seg.Name, options);
        using var r0 = ManyToManyRing.Open(seg.Name, options);
        using var r1 = ManyToManyRing.Open(seg.Name, options);
        var seen = new int[2, PerWriter];
        Task Writer(ManyToManyRing w, int id) => Task.Factory.StartNew(() =>
        {
            byte[] message = new byte[100];
            for (int i = 0; i < PerWriter; i++)
            {
                BitConverter.TryWriteBytes(message, i);
                Assert.True(w.TryWrite(message.AsSpan(0, 4 + (i % 97)), id, Long));
            }
        }, TaskCreationOptions.LongRunning);
        int total = 0;
        Task Reader(ManyToManyRing r) => Task.Factory.StartNew(() =>
        {
            byte[] buffer = new byte[100];
            while (Volatile.Read(ref total) < 2 * PerWriter)
            {
                if (r.Read(buffer, out RingMessage m, TimeSpan.FromMilliseconds(50)) == ReadStatus.Message)
                {
                    int i = BitConverter.ToInt32(buffer);
                    Assert.Equal(4 + (i % 97), m.Length);
                    Interlocked.Increment(ref seen[m.Type, i]);
                    Interlocked.Increment(ref total);
                }
            }
        }, TaskCreationOptions.LongRunning);
        await Task.WhenAll(Writer(w0, 0), Writer(w1, 1), Reader(r0), Reader(r1)).WaitAsync(TimeSpan.FromMinutes(2));
        for (int w = 0; w < 2; w++)
        {
            for (int i = 0; i < PerWriter; i++)
            {
                Assert.Equal(1, seen[w, i]);
            }
        }

        ManyToManyRingStatistics s = w0.GetStatistics();
        Assert.Equal(2L * PerWriter, s.MessagesWritten);
        Assert.Equal(2L * PerWriter, s.MessagesRead);
    }

    [Fact]
    public async Task CompletionRacingAWriterLosesNoAcceptedMessageAndEndsTheStream()
    {
        for (int round = 0; round < 200; round++)
        {
            using var seg = new TestSegment();
            using var writer = ManyToManyRing.Create(seg.Name, seg.Options(capacity: 1 << 14, maxMessageLength: 40));
            using var completer = ManyToManyRing.Open(seg.Name, seg.Options());
            using var reader = ManyToManyRing.Open(seg.Name, seg.Options());
            Task<int> writing = Task.Factory.StartNew(() =>
            {
                int accepted = 0;
                try
                {
                    while (writer.TryWrite([1], 0, TimeSpan.FromSeconds(10)))
                    {
                        accepted++;
                    }
                }
                catch (InvalidOperationException)
                {
                    // completed: this write and every later one are refused
                }

                return accepted;
            }, TaskCreationOptions.LongRunning);
            Thread.SpinWait(round * 50);
            completer.Complete();
            int accepted = await writing.WaitAsync(Long);
            int read = 0;
            byte[] buffer = new byte[40];
            ReadStatus status;
            while ((status = reader.Read(buffer, out _, Long)) == ReadStatus.Message)
            {
                read++;
            }

            Assert.Equal(ReadStatus.Completed, status);
            Assert.Equal(accepted, read);
        }
    }

    [Fact]
    public void SynchronousPathsAllocateNothing()
    {
        using var seg = new TestSegment();
        using var writer = ManyToManyRing.Create(seg.Name, seg.Options(capacity: 1 << 16, maxMessageLength: 200));
        using var reader = ManyToManyRing.Open(seg.Name, seg.Options());
        byte[] message = new byte[32];
        byte[] buffer = new byte[200];
        var handler = new SumHandler();
        void Run()
        {
            for (int i = 0; i < 10_000; i++)
            {
                writer.TryWrite(message, 1);
                writer.TryWrite(message, 2, out long sequence);
                writer.TryClaim(100, 3, out Span<byte> payload);
                payload[0] = 1;
                writer.Commit();
                reader.TryRead(buffer, out _);
                reader.Read(ref handler);
                writer.TryGetTaker(sequence, out _);
                writer.TryWrite(message, 4, TimeSpan.FromSeconds(5));
                reader.Read(buffer, out _, TimeSpan.FromSeconds(5));
            }
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(handler.Sum > 0);
    }

    private static long Enqueue(ManyToManyRing ring) => ring.Segment.Memory.ReadInt64Acquire(ManyToManyRingDescriptor.EnqueueOffset);

    private static long Dequeue(ManyToManyRing ring) => ring.Segment.Memory.ReadInt64Acquire(ManyToManyRingDescriptor.DequeueOffset);

    /// <summary>Puts a dead party in a table entry with a claim in progress: its intent, then its number in the stamp.</summary>
    private static void FakeDeadClaim(ManyToManyRing ring, int table, int index, int party, long position, long slots, int state)
    {
        SharedMemory m = ring.Segment.Memory;
        long entry = table + (index * ManyToManyRingDescriptor.EntryLength);
        m.WriteInt64Release(entry, DeadIdentity);
        m.WriteInt64Release(entry + ManyToManyRingDescriptor.IntentSlotsField, slots);
        m.WriteInt64Release(entry + ManyToManyRingDescriptor.IntentPositionField, position);
        long slotCount = ManyToManyRingDescriptor.SlotCountFor(ring.Capacity);
        m.WriteInt64Release(ManyToManyRingDescriptor.DataOffset + ((position % slotCount) * 8), ManyToManyRing.MakeStamp(state, party, position));
    }

    private struct SumHandler : IFrameHandler
    {
        public long Sum;

        public void OnFrame(int type, ReadOnlySpan<byte> payload) => Sum += payload[0] + type;
    }
}
