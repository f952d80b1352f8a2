using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Ring.Layout;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// ManyToOneRing in one process: the layout's numbers, the bytes after each protocol step, and recovery from claims
/// whose writer is dead (an entry given the identity of a process that does not exist) or stuck.
/// </summary>
public class ManyToOneTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    // A pid above the kernel's maximum (4194304): never alive.
    private static readonly long DeadIdentity = ProcessLiveness.Identity(5_000_000, 12345);

    [Fact]
    public void LayoutOffsets()
    {
        Assert.Equal(2, (int)RingKind.ManyToOne);
        Assert.Equal(128, ManyToOneRingDescriptor.TailOffset);
        Assert.Equal(136, ManyToOneRingDescriptor.CompletedByOffset);
        Assert.Equal(256, ManyToOneRingDescriptor.HeadOffset);
        Assert.Equal(264, ManyToOneRingDescriptor.FreeOffset);
        Assert.Equal(272, ManyToOneRingDescriptor.FreeTargetOffset);
        Assert.Equal(280, ManyToOneRingDescriptor.MessagesReadOffset);
        Assert.Equal(288, ManyToOneRingDescriptor.TornClaimsOffset);
        Assert.Equal(296, ManyToOneRingDescriptor.RevokedClaimsOffset);
        Assert.Equal(384, ManyToOneRingDescriptor.DataSignalOffset);
        Assert.Equal(388, ManyToOneRingDescriptor.ReaderSleepersOffset);
        Assert.Equal(392, ManyToOneRingDescriptor.ReaderSleepsOffset);
        Assert.Equal(400, ManyToOneRingDescriptor.ReaderWakeupsOffset);
        Assert.Equal(512, ManyToOneRingDescriptor.SpaceSignalOffset);
        Assert.Equal(516, ManyToOneRingDescriptor.WriterSleepersOffset);
        Assert.Equal(520, ManyToOneRingDescriptor.WriterSleepsOffset);
        Assert.Equal(528, ManyToOneRingDescriptor.WriterWakeupsOffset);
        Assert.Equal(640, ManyToOneRingDescriptor.RetiredMessagesWrittenOffset);
        Assert.Equal(648, ManyToOneRingDescriptor.RetiredFullStallsOffset);
        Assert.Equal(768, ManyToOneRingDescriptor.ReaderEntryOffset);
        Assert.Equal(1024, ManyToOneRingDescriptor.WriterTableOffset);
        Assert.Equal(128, ManyToOneRingDescriptor.WriterEntryLength);
        Assert.Equal(56, ManyToOneRingDescriptor.MaxWriters);
        Assert.Equal(8, ManyToOneRingDescriptor.IntentPositionField);
        Assert.Equal(16, ManyToOneRingDescriptor.IntentLengthField);
        Assert.Equal(24, ManyToOneRingDescriptor.MessagesWrittenField);
        Assert.Equal(32, ManyToOneRingDescriptor.FullStallsField);
        Assert.Equal(8192, ManyToOneRingDescriptor.DataOffset);
        Assert.Equal(0, ManyToOneRingDescriptor.DataOffset % 4096);

        // The shared tail, the reader's line and the two futex lines never share a 128-byte slot.
        int[] lines = [ManyToOneRingDescriptor.TailOffset, ManyToOneRingDescriptor.HeadOffset, ManyToOneRingDescriptor.DataSignalOffset, ManyToOneRingDescriptor.SpaceSignalOffset, ManyToOneRingDescriptor.ReaderEntryOffset, ManyToOneRingDescriptor.WriterTableOffset];
        Assert.Equal(lines.Length, new HashSet<int>(Array.ConvertAll(lines, o => o / 128)).Count);
    }

    [Fact]
    public unsafe void WriteRecordsTheIntentAndPublishesOneHeaderWord()
    {
        using var seg = new TestSegment();
        using var writer = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 1024));
        Assert.True(writer.TryWrite([1, 2, 3], 7));
        SharedMemory m = writer.Segment.Memory;
        long data = ManyToOneRingDescriptor.DataOffset;
        Assert.Equal(11, m.ReadInt32Plain(data));
        Assert.Equal(7, m.ReadInt32Plain(data + 4));
        Assert.Equal(new byte[] { 1, 2, 3, 0, 0, 0, 0, 0 }, new ReadOnlySpan<byte>(m.At(data + 8, 8), 8).ToArray());
        Assert.Equal(16, m.ReadInt64Plain(ManyToOneRingDescriptor.TailOffset));
        long entry = ManyToOneRingDescriptor.WriterTableOffset;
        Assert.Equal(ProcessLiveness.CurrentIdentity, m.ReadInt64Plain(entry));
        Assert.Equal(0, m.ReadInt64Plain(entry + ManyToOneRingDescriptor.IntentPositionField));
        Assert.Equal(16, m.ReadInt64Plain(entry + ManyToOneRingDescriptor.IntentLengthField));
        Assert.Equal(1, m.ReadInt64Plain(entry + ManyToOneRingDescriptor.MessagesWrittenField));

        // A claim is negative until committed.
        Assert.True(writer.TryClaim(5, 9, out Span<byte> payload));
        Assert.Equal(-13, m.ReadInt32Plain(data + 16));
        Assert.Equal(9, m.ReadInt32Plain(data + 20));
        payload.Fill(4);
        writer.Commit();
        Assert.Equal(13, m.ReadInt32Plain(data + 16));
    }

    [Fact]
    public unsafe void ReaderZeroesWhatItReadBeforeFreeingIt()
    {
        using var seg = new TestSegment();
        using var writer = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 1024));
        using var reader = ManyToOneRing.Open(seg.Name, seg.Options());
        writer.TryWrite([1, 2, 3, 4, 5, 6, 7, 8, 9], 1);
        writer.TryWrite([1], 2);
        Assert.True(reader.TryRead(new byte[16], out _));
        SharedMemory m = writer.Segment.Memory;
        long data = ManyToOneRingDescriptor.DataOffset;
        Assert.All(new ReadOnlySpan<byte>(m.At(data, 24), 24).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(9, m.ReadInt32Plain(data + 24)); // the next frame is untouched
        ManyToOneRingStatistics s = reader.GetStatistics();
        Assert.Equal((24, 24, 40), (s.Head, s.Free, s.Tail));
        Assert.Equal(24, m.ReadInt64Plain(ManyToOneRingDescriptor.FreeTargetOffset));
    }

    [Fact]
    public void AFrameThatDoesNotFitAtTheEndIsPrecededByPaddingFromTheSameClaim()
    {
        using var seg = new TestSegment();
        using var writer = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 256, maxMessageLength: 64));
        using var reader = ManyToOneRing.Open(seg.Name, seg.Options());
        byte[] buffer = new byte[64];
        for (int i = 0; i < 3; i++)
        {
            Assert.True(writer.TryWrite(new byte[56], i)); // 3 x 64 bytes
            Assert.True(reader.TryRead(buffer, out _));
        }

        // 64 bytes are left before the end; a 72-byte frame goes to 0 behind 64 bytes of padding, in one claim.
        Assert.True(writer.TryWrite(new byte[64], 9));
        SharedMemory m = writer.Segment.Memory;
        long data = ManyToOneRingDescriptor.DataOffset;
        Assert.Equal(64, m.ReadInt32Plain(data + 192));
        Assert.Equal(FrameDescriptor.PaddingType, m.ReadInt32Plain(data + 196));
        Assert.Equal(72, m.ReadInt32Plain(data));
        Assert.Equal(192 + 64 + 72, m.ReadInt64Plain(ManyToOneRingDescriptor.TailOffset));
        Assert.Equal(64 + 72, m.ReadInt64Plain(ManyToOneRingDescriptor.WriterTableOffset + ManyToOneRingDescriptor.IntentLengthField));
        Assert.True(reader.TryRead(buffer, out RingMessage message));
        Assert.Equal(new RingMessage(64, 9), message);
    }

    [Fact]
    public void WritersInOneProcessTakeOneEntryEachAndTheTableHasALimit()
    {
        using var seg = new TestSegment();
        using var reader = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16));
        var writers = new List<ManyToOneRing>();
        try
        {
            for (int i = 0; i < ManyToOneRingDescriptor.MaxWriters; i++)
            {
                var w = ManyToOneRing.Open(seg.Name, seg.Options());
                writers.Add(w);
                Assert.True(w.TryWrite([(byte)i], i));
            }

            using var extra = ManyToOneRing.Open(seg.Name, seg.Options());
            var e = Assert.Throws<InvalidOperationException>(() => extra.TryWrite([1]));
            Assert.Contains("56 writers attached", e.Message);

            ManyToOneRingStatistics s = reader.GetStatistics();
            Assert.Equal(ManyToOneRingDescriptor.MaxWriters, s.Writers.Count);
            Assert.All(s.Writers, w => Assert.Equal(1, w.MessagesWritten));

            // One detaches: its entry is free for the extra writer, and its count is kept in the retired total.
            writers[0].Dispose();
            Assert.True(extra.TryWrite([2], 0));
            Assert.Equal(ManyToOneRingDescriptor.MaxWriters + 1, reader.GetStatistics().MessagesWritten);
        }
        finally
        {
            writers.ForEach(w => w.Dispose());
        }

        byte[] buffer = new byte[8];
        for (int i = 0; i < ManyToOneRingDescriptor.MaxWriters; i++)
        {
            Assert.True(reader.TryRead(buffer, out RingMessage m));
            Assert.Equal(i, m.Type); // claim order
        }
    }

    [Fact]
    public void CompletionIsABitInTheTailThatEndsEveryWriter()
    {
        using var seg = new TestSegment();
        using var a = ManyToOneRing.Create(seg.Name, seg.Options());
        using var b = ManyToOneRing.Open(seg.Name, seg.Options());
        using var reader = ManyToOneRing.Open(seg.Name, seg.Options());
        Assert.True(a.TryWrite([1]));
        Assert.True(b.TryWrite([2]));
        a.Complete();
        Assert.True(a.Segment.Memory.ReadInt64Plain(ManyToOneRingDescriptor.TailOffset) < 0);
        Assert.Equal(Environment.ProcessId, a.Segment.Memory.ReadInt32Plain(ManyToOneRingDescriptor.CompletedByOffset));
        Assert.Throws<InvalidOperationException>(() => b.TryWrite([3]));
        Assert.True(reader.IsWriterCompleted);
        byte[] buffer = new byte[8];
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out _, Long));
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out _, Long));
        Assert.Equal(ReadStatus.Completed, reader.Read(buffer, out _, Long));
    }

    [Fact]
    public void AClaimWhoseWriterDiedBeforeWritingAByteIsPaddedAndTheRestDelivered()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(5);
        using var writer = ManyToOneRing.Create(seg.Name, options);
        using var reader = ManyToOneRing.Open(seg.Name, options);
        Assert.True(writer.TryWrite([1], 1));

        // A dead writer recorded its intent and won the tail for 40 bytes, then died: nothing written there.
        SharedMemory m = writer.Segment.Memory;
        long entry = ManyToOneRingDescriptor.WriterTableOffset + ManyToOneRingDescriptor.WriterEntryLength;
        m.WriteInt64Plain(entry, DeadIdentity);
        m.WriteInt64Plain(entry + ManyToOneRingDescriptor.IntentLengthField, 40);
        m.WriteInt64Plain(entry + ManyToOneRingDescriptor.IntentPositionField, 16);
        Assert.Equal(16, m.CompareExchangeInt64(ManyToOneRingDescriptor.TailOffset, 56, 16));
        Assert.True(writer.TryWrite([3], 3)); // behind the torn claim

        byte[] buffer = new byte[8];
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage first, Long));
        Assert.Equal(1, first.Type);
        Assert.Equal(ReadStatus.Message, reader.Read(buffer, out RingMessage second, Long));
        Assert.Equal(3, second.Type);
        ManyToOneRingStatistics s = reader.GetStatistics();
        Assert.Equal(1, s.TornClaims);
        Assert.Equal(2, s.MessagesRead);
        Assert.Equal(s.Tail, s.Free);
    }

    [Fact]
    public void AZeroCopyClaimOfADeadWriterIsPadded()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(5);
        using var writer = ManyToOneRing.Create(seg.Name, options);
        using var reader = ManyToOneRing.Open(seg.Name, options);

        // This process claims, then its entry is made to look dead: the frame is negative forever.
        Assert.True(writer.TryClaim(20, 5, out Span<byte> payload));
        payload.Fill(1);
        writer.Segment.Memory.WriteInt64Plain(ManyToOneRingDescriptor.WriterTableOffset, DeadIdentity);
        using var other = ManyToOneRing.Open(seg.Name, options);
        Assert.True(other.TryWrite([6], 6));
        Assert.Equal(ReadStatus.Message, reader.Read(new byte[8], out RingMessage m, Long));
        Assert.Equal(6, m.Type);
        Assert.Equal(1, reader.GetStatistics().TornClaims);
    }

    [Fact]
    public void AClaimHeldPastTheStuckTimeoutIsRevokedAndItsSpaceKeptUntilTheWriterNotices()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1024);
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(5);
        options.StuckWriterTimeout = TimeSpan.FromMilliseconds(20);
        using var stuck = ManyToOneRing.Create(seg.Name, options);
        using var other = ManyToOneRing.Open(seg.Name, options);
        using var reader = ManyToOneRing.Open(seg.Name, options);
        Assert.True(stuck.TryClaim(8, 1, out Span<byte> payload));
        Assert.True(other.TryWrite([2], 2));

        // The reader waits at the live claim, revokes it after the timeout, and reads what follows.
        Assert.Equal(ReadStatus.Message, reader.Read(new byte[8], out RingMessage m, Long));
        Assert.Equal(2, m.Type);
        ManyToOneRingStatistics s = reader.GetStatistics();
        Assert.Equal(1, s.RevokedClaims);
        Assert.Equal(0, s.Free); // the revoked frame's space is not reused while its writer may still write there
        Assert.Equal(s.Tail, s.Head);

        payload.Fill(7); // still our memory
        var e = Assert.Throws<InvalidOperationException>(stuck.Commit);
        Assert.Contains("revoked", e.Message);

        // The failed commit acknowledged: the next read frees the space.
        Assert.True(other.TryWrite([3], 3));
        Assert.True(reader.TryRead(new byte[8], out _));
        s = reader.GetStatistics();
        Assert.Equal(s.Head, s.Free);
    }

    [Fact]
    public void ANewReaderFinishesTheZeroingADeadReaderLeft()
    {
        using var seg = new TestSegment();
        using var writer = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 1024));
        writer.TryWrite(new byte[8], 1);
        writer.TryWrite(new byte[8], 2);
        SharedMemory m = writer.Segment.Memory;

        // A reader read the first frame (head 16), recorded the target, and died before zeroing and moving free.
        m.WriteInt64Plain(ManyToOneRingDescriptor.HeadOffset, 16);
        m.WriteInt64Plain(ManyToOneRingDescriptor.FreeTargetOffset, 16);
        m.WriteInt64Plain(ManyToOneRingDescriptor.ReaderEntryOffset, DeadIdentity);
        using var reader = ManyToOneRing.Open(seg.Name, seg.Options());
        Assert.True(reader.TryRead(new byte[8], out RingMessage message));
        Assert.Equal(2, message.Type);
        Assert.Equal(0, m.ReadInt64Plain(ManyToOneRingDescriptor.DataOffset));
        Assert.Equal(32, reader.GetStatistics().Free);
    }

    [Fact]
    public void OneLiveReaderAtATime()
    {
        using var seg = new TestSegment();
        using var a = ManyToOneRing.Create(seg.Name, seg.Options());
        using var b = ManyToOneRing.Open(seg.Name, seg.Options());
        a.TryRead(new byte[8], out _);
        var e = Assert.Throws<InvalidOperationException>(() => b.TryRead(new byte[8], out _));
        Assert.Contains("already has a reader in this process", e.Message);
        a.Dispose();
        Assert.False(b.TryRead(new byte[8], out _));
    }

    [Fact]
    public void HostileFramesAndPositionsRaiseCorruption()
    {
        using var seg = new TestSegment();
        using var writer = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 100));
        using var reader = ManyToOneRing.Open(seg.Name, seg.Options());
        writer.TryWrite([1]);
        SharedMemory m = writer.Segment.Memory;
        m.WriteInt32Plain(ManyToOneRingDescriptor.DataOffset, 5000);
        var e = Assert.Throws<RingCorruptedException>(() => reader.TryRead(new byte[200], out _));
        Assert.Contains("length 5000", e.Message);
        m.WriteInt32Plain(ManyToOneRingDescriptor.DataOffset, int.MinValue);
        Assert.Throws<RingCorruptedException>(() => reader.TryRead(new byte[200], out _));
        m.WriteInt32Plain(ManyToOneRingDescriptor.DataOffset, 9);
        m.WriteInt32Plain(ManyToOneRingDescriptor.DataOffset + 4, -7);
        Assert.Throws<RingCorruptedException>(() => reader.TryRead(new byte[200], out _));

        m.WriteInt64Plain(ManyToOneRingDescriptor.FreeOffset, 4096);
        using var late = ManyToOneRing.Open(seg.Name, seg.Options());
        Assert.Throws<RingCorruptedException>(() => late.TryWrite(new byte[100]));
    }

    [Fact]
    public void AnUnalignedTailIsCorruptionNotAStorePastTheMapping()
    {
        // Found by the fuzzer: a tail 4 bytes short of the end made the wrap's 8-byte padding store cross the mapping.
        using var seg = new TestSegment();
        using var writer = ManyToOneRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 100));
        writer.Segment.Memory.WriteInt64Plain(ManyToOneRingDescriptor.TailOffset, 1024 - 4);
        var e = Assert.Throws<RingCorruptedException>(() => writer.TryWrite(new byte[100]));
        Assert.Contains("1020", e.Message);
        Assert.Contains("alignment", e.Message);
    }

    [Fact]
    public async Task ReaderAndWritersWaitOnFutexesAcrossObjects()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 256, maxMessageLength: 16, strategy: WaitStrategy.Blocking);
        options.LivenessCheckInterval = TimeSpan.FromSeconds(10);
        using var a = ManyToOneRing.Create(seg.Name, options);
        using var b = ManyToOneRing.Open(seg.Name, options);
        using var reader = ManyToOneRing.Open(seg.Name, options);
        reader.TryRead(new byte[16], out _);
        Task<ReadStatus> read = Task.Factory.StartNew(() => reader.Read(new byte[16], out _, Long), TaskCreationOptions.LongRunning);
        while (reader.GetStatistics().ReaderSleeps == 0)
        {
            await Task.Delay(1);
        }

        Assert.True(b.TryWrite([1]));
        Assert.Equal(ReadStatus.Message, await read.WaitAsync(Long));
        Assert.True(reader.GetStatistics().ReaderWakeups >= 1);

        // Both writers fill the ring and block; the reader's reads wake them.
        while (a.TryWrite(new byte[16]))
        {
        }

        Task<bool> wa = Task.Factory.StartNew(() => a.TryWrite(new byte[16], 1, Long), TaskCreationOptions.LongRunning);
        Task<bool> wb = Task.Factory.StartNew(() => b.TryWrite(new byte[16], 2, Long), TaskCreationOptions.LongRunning);
        while (reader.GetStatistics().WriterSleeps < 2)
        {
            await Task.Delay(1);
        }

        int got = 0;
        while (!(wa.IsCompleted && wb.IsCompleted) || reader.TryRead(new byte[16], out _))
        {
            if (reader.TryRead(new byte[16], out _))
            {
                got++;
            }
            else
            {
                await Task.Delay(1);
            }
        }

        Assert.True(await wa && await wb);
        Assert.True(reader.GetStatistics().WriterWakeups >= 1);
    }
}
