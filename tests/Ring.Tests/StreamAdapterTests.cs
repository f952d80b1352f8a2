using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Ring.Channels;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// <see cref="RingStream"/>, <see cref="RingPipeReader"/> and <see cref="RingPipeWriter"/>: across processes (a peer
/// writes or reads with the BCL's text, JSON and pipe APIs), a writer killed mid-stream, bad input, allocation.
/// </summary>
public class StreamAdapterTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    // Small frames (200 bytes, not a multiple of 8) in a small ring: lines, JSON values and records span frames, and
    // both sides wait for each other.
    private static RingOptions Options(TestSegment seg) => Configure(seg.Options(capacity: 4096, maxMessageLength: 200));

    private static RingOptions Configure(RingOptions options)
    {
        options.LivenessCheckInterval = TimeSpan.FromMilliseconds(20);
        return options;
    }

    [Fact]
    public void LinesFromAPeerStreamWriterComeOutOfAStreamReader()
    {
        const int Count = 400;
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Options(seg));
        using var peer = Peer.Start("stream-write-lines", seg.Name, $"count={Count}");
        var stream = RingStream.ForReading(ring, leaveOpen: true);
        stream.ReadTimeout = (int)Long.TotalMilliseconds;
        using var reader = new StreamReader(stream, StreamContent.Utf8, false, bufferSize: 50);
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(StreamContent.Line(i), reader.ReadLine());
        }

        Assert.Null(reader.ReadLine());
        Assert.Equal(0, reader.BaseStream.Read(new byte[10]));
        peer.AssertSuccess(Long);
        Assert.True(ring.GetStatistics().MessagesRead > Count, "lines longer than a frame were split");
    }

    [Fact]
    public void LinesFromAStreamWriterComeOutOfAPeerStreamReader()
    {
        const int Count = 400;
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Options(seg));
        using var peer = Peer.Start("stream-read-lines", seg.Name, $"count={Count}");
        using (var writer = new StreamWriter(RingStream.ForWriting(ring, leaveOpen: true), StreamContent.Utf8, bufferSize: 300))
        {
            for (int i = 0; i < Count; i++)
            {
                writer.WriteLine(StreamContent.Line(i));
            }
        }

        Assert.True(ring.IsWriterCompleted, "disposing the writing stream completes the ring");
        peer.AssertSuccess(Long);
    }

    [Fact]
    public async Task JsonFromAPeerDeserializes()
    {
        const int Count = 150;
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Options(seg));
        using var peer = Peer.Start("stream-write-json", seg.Name, $"count={Count}");
        await using var stream = RingStream.ForReading(ring, leaveOpen: true);
        int i = 0;
        using var timeout = new CancellationTokenSource(Long);
        await foreach (StreamRecord? record in JsonSerializer.DeserializeAsyncEnumerable<StreamRecord>(stream, StreamContent.Json, timeout.Token))
        {
            Assert.Null(StreamContent.Check(record, i));
            i++;
        }

        Assert.Equal(Count, i);
        Assert.Equal(0, await stream.ReadAsync(new byte[10]));
        peer.AssertSuccess(Long);
    }

    [Fact]
    public async Task JsonToAPeerDeserializes()
    {
        const int Count = 150;
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Options(seg));
        using var peer = Peer.Start("stream-read-json", seg.Name, $"count={Count}");
        await using (var stream = RingStream.ForWriting(ring, leaveOpen: true))
        {
            // Through a Utf8JsonWriter over the stream: many small asynchronous writes.
            await using var json = new Utf8JsonWriter(stream);
            json.WriteStartArray();
            for (int i = 0; i < Count; i++)
            {
                JsonSerializer.Serialize(json, StreamContent.Record(i), StreamContent.Json);
                if (json.BytesPending > 500)
                {
                    await json.FlushAsync();
                }
            }

            json.WriteEndArray();
            await json.FlushAsync();
        }

        peer.AssertSuccess(Long);
    }

    [Fact]
    public async Task RecordsFromAPeerPipeWriterComeOutOfAPipeReader()
    {
        const int Count = 300;
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Options(seg));
        using var peer = Peer.Start("pipe-write-records", seg.Name, $"count={Count}");
        var reader = new RingPipeReader(ring, leaveOpen: true);
        using var timeout = new CancellationTokenSource(Long);
        Assert.Null(await StreamContent.ReadRecords(reader, Count, timeout.Token));
        reader.Complete();
        peer.AssertSuccess(Long);
    }

    [Fact]
    public async Task RecordsFromAPipeWriterComeOutOfAPeerPipeReader()
    {
        const int Count = 300;
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Options(seg));
        using var peer = Peer.Start("pipe-read-records", seg.Name, $"count={Count}");
        var writer = new RingPipeWriter(ring, leaveOpen: true);
        for (int i = 0; i < Count; i++)
        {
            StreamContent.WriteRecord(writer, i);
            if (i % 4 == 1)
            {
                FlushResult result = await writer.FlushAsync().AsTask().WaitAsync(Long);
                Assert.False(result.IsCanceled || result.IsCompleted);
            }
        }

        writer.Complete();
        Assert.True(ring.IsWriterCompleted);
        peer.AssertSuccess(Long);
    }

    [Fact]
    public void AWriterKilledAfterItsWritesLeavesEveryByteThenAnIOExceptionNamingIt()
    {
        const int Bytes = 10_000;
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Configure(seg.Options(capacity: 1 << 16, maxMessageLength: 200)));
        using var peer = Peer.Start("stream-write-then-hang", seg.Name, $"bytes={Bytes}");
        peer.WaitForLine("written", Long);
        peer.Kill();

        using var stream = RingStream.ForReading(ring, leaveOpen: true);
        stream.ReadTimeout = 30_000;
        byte[] buffer = new byte[333];
        long position = 0;
        IOException error = Assert.Throws<IOException>((Action)(() =>
        {
            while (true)
            {
                int read = stream.Read(buffer, 0, buffer.Length);
                Assert.True(read > 0, "no end of stream: the writer never completed");
                Assert.Equal(-1, StreamContent.Mismatch(buffer.AsSpan(0, read), position));
                position += read;
            }
        }));
        Assert.Equal(Bytes, position);
        Assert.Contains($"pid {peer.ProcessId}", error.Message, StringComparison.Ordinal);

        // The error stays: the stream does not turn into an end of stream.
        Assert.Throws<IOException>(() => stream.Read(buffer, 0, buffer.Length));
    }

    [Fact]
    public async Task AWriterKilledMidStreamEndsAnAsyncReadWithAnIOExceptionAfterACorrectPrefix()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Options(seg));
        using var peer = Peer.Start("stream-write-forever", seg.Name);
        peer.WaitForLine("started", Long);
        await using var stream = RingStream.ForReading(ring, leaveOpen: true);
        byte[] buffer = new byte[150];
        long position = 0;
        bool killed = false;
        using var timeout = new CancellationTokenSource(Long);
        IOException error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            while (true)
            {
                int read = await stream.ReadAsync(buffer, timeout.Token);
                Assert.True(read > 0, "no end of stream: the writer never completed");
                Assert.Equal(-1, StreamContent.Mismatch(buffer.AsSpan(0, read), position));
                position += read;
                if (!killed && position > 50_000)
                {
                    // Killed while it writes (the ring is full most of the time: it waits for this reader).
                    peer.Kill();
                    killed = true;
                }
            }
        });
        Assert.True(killed);
        Assert.Contains($"pid {peer.ProcessId}", error.Message, StringComparison.Ordinal);

        // Every frame the writer published was read (a claim it left torn was passed): nothing left behind.
        OneToOneRingStatistics statistics = ring.GetStatistics();
        Assert.Equal(statistics.Tail, statistics.Head);
    }

    [Fact]
    public async Task AWriterKilledMidStreamEndsAPipeReadWithAnIOExceptionAfterACorrectPrefix()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Options(seg));
        using var peer = Peer.Start("stream-write-forever", seg.Name);
        peer.WaitForLine("started", Long);
        var reader = new RingPipeReader(ring, leaveOpen: true);
        long position = 0;
        bool killed = false;
        using var timeout = new CancellationTokenSource(Long);
        IOException error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(timeout.Token);
                Assert.False(result.IsCompleted, "no end of stream: the writer never completed");

                // Consume all but the last 10 bytes: they are examined again with what follows.
                ReadOnlySequence<byte> buffer = result.Buffer;
                long take = Math.Max(0, buffer.Length - 10);
                Assert.Equal(-1, StreamContent.Mismatch(buffer.Slice(0, take).ToArray(), position));
                position += take;
                reader.AdvanceTo(buffer.GetPosition(take), buffer.End);
                if (!killed && position > 50_000)
                {
                    peer.Kill();
                    killed = true;
                }
            }
        });
        Assert.True(killed);
        Assert.Contains($"pid {peer.ProcessId}", error.Message, StringComparison.Ordinal);

        // Every frame the writer published was read (a claim it left torn was passed): nothing left behind.
        OneToOneRingStatistics statistics = ring.GetStatistics();
        Assert.Equal(statistics.Tail, statistics.Head);
        reader.Complete();
    }

    [Fact]
    public async Task AReaderKilledMidStreamEndsAWriteAndAFlushWithAnIOExceptionNamingIt()
    {
        const int Bytes = 3000;
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Options(seg));
        using var peer = Peer.Start("stream-read-then-hang", seg.Name, $"bytes={Bytes}");
        using var stream = RingStream.ForWriting(ring, leaveOpen: true, completeOnDispose: false);
        byte[] data = new byte[Bytes];
        StreamContent.Fill(data, 0);
        stream.Write(data);
        peer.WaitForLine("read", Long);
        peer.Kill();

        // The ring (4 KiB) fills up; the writer notices that its reader is gone instead of waiting for ever.
        IOException error = Assert.Throws<IOException>(() => stream.Write(new byte[10_000]));
        Assert.Contains($"pid {peer.ProcessId}", error.Message, StringComparison.Ordinal);
        Assert.IsType<RingPeerDeadException>(error.InnerException);

        var writer = new RingPipeWriter(ring, leaveOpen: true);
        writer.GetSpan(5000);
        writer.Advance(5000);
        error = await Assert.ThrowsAsync<IOException>(async () => await writer.FlushAsync().AsTask().WaitAsync(Long));
        Assert.Contains($"pid {peer.ProcessId}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFlushWhoseReaderDiesAfterSomeFramesCountsTheBytesItPublished()
    {
        const int Bytes = 10_000;
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, Options(seg));
        using var peer = Peer.Start("stream-read-then-hang", seg.Name, "bytes=200");
        var writer = new RingPipeWriter(ring, leaveOpen: true);
        StreamContent.Fill(writer.GetSpan(200)[..200], 0);
        writer.Advance(200);
        await writer.FlushAsync().AsTask().WaitAsync(Long);
        peer.WaitForLine("read", Long);
        peer.Kill();

        // The ring is empty: the flush publishes frames until it is full, then waits and sees the reader dead. The
        // message must count those frames against the whole flush, not against what was left when the wait began.
        long before = ring.GetStatistics().MessagesWritten;
        writer.GetSpan(Bytes);
        writer.Advance(Bytes);
        IOException error = await Assert.ThrowsAsync<IOException>(async () => await writer.FlushAsync().AsTask().WaitAsync(Long));
        long published = (ring.GetStatistics().MessagesWritten - before) * ring.MaxMessageLength;
        Assert.InRange(published, 1, Bytes - 1);
        Assert.Contains($"pid {peer.ProcessId}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"; {published} of the {Bytes} bytes of this write were published", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadTimeoutAndWriteTimeoutThrowTimeoutException()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 100));
        using var other = OneToOneRing.Open(seg.Name, seg.Options());
        using var reading = RingStream.ForReading(other, leaveOpen: true);
        reading.ReadTimeout = 0;
        TimeoutException readError = Assert.Throws<TimeoutException>(() => reading.Read(new byte[10]));
        Assert.Contains("ReadTimeout of 0 ms", readError.Message, StringComparison.Ordinal);

        using var writing = RingStream.ForWriting(ring, leaveOpen: true, completeOnDispose: false);
        writing.WriteTimeout = 1;
        TimeoutException writeError = Assert.Throws<TimeoutException>(() => writing.Write(new byte[5000]));
        Assert.Contains("WriteTimeout of 1 ms", writeError.Message, StringComparison.Ordinal);

        // What was published before the timeout is readable, in order, whole frames of the write.
        reading.ReadTimeout = Timeout.Infinite;
        Assert.Equal(100, reading.Read(new byte[1000]));
    }

    [Fact]
    public void FramesAreSplitAcrossReadsAndWritesAcrossFrames()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 4096, maxMessageLength: 100));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        using var writing = RingStream.ForWriting(writerRing, leaveOpen: true);
        using var reading = RingStream.ForReading(readerRing);
        byte[] data = new byte[250];
        StreamContent.Fill(data, 0);
        writing.Write(data);
        writing.Write(ReadOnlySpan<byte>.Empty);
        writing.WriteByte(StreamContent.At(250));
        Assert.Equal(3 + 1, writerRing.GetStatistics().MessagesWritten);

        byte[] got = new byte[300];
        Assert.Equal(0, reading.Read(got, 0, 0));
        Assert.Equal(30, reading.Read(got, 0, 30));
        Assert.Equal(70, reading.Read(got, 30, 100));
        Assert.Equal(100, reading.Read(got, 100, 200));
        int single = reading.ReadByte();
        Assert.Equal(StreamContent.At(200), single);
        got[200] = (byte)single;
        Assert.Equal(49, reading.Read(got, 201, 99));
        Assert.Equal(1, reading.Read(got, 250, 50));
        Assert.Equal(-1, StreamContent.Mismatch(got.AsSpan(0, 251), 0));

        writing.Dispose();
        Assert.True(writerRing.IsWriterCompleted);
        Assert.Equal(-1, reading.ReadByte());
        Assert.Equal(0, reading.Read(got));
        Assert.Throws<ObjectDisposedException>(() => writing.Write(data));
    }

    [Fact]
    public void CompleteOnDisposeFalseLeavesTheRingOpenAndLeaveOpenKeepsItUsable()
    {
        using var seg = new TestSegment();
        using var ring = OneToOneRing.Create(seg.Name, seg.Options());
        using (var stream = RingStream.ForWriting(ring, leaveOpen: true, completeOnDispose: false))
        {
            stream.Write([1, 2, 3]);
        }

        Assert.False(ring.IsWriterCompleted);
        Assert.True(ring.TryWrite([4]));

        // Without leaveOpen the stream disposes the ring (which must not be touched after).
        using var observer = OneToOneRing.Open(seg.Name, seg.Options());
        RingStream.ForWriting(ring).Dispose();
        Assert.True(observer.IsWriterCompleted);
        Assert.Equal(0, observer.GetStatistics().WriterProcessId);
        Assert.Throws<ObjectDisposedException>(() => ring.GetStatistics());
    }

    [Fact]
    public async Task PipeReaderAdvanceToFollowsExaminedAndConsumed()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 4096, maxMessageLength: 100));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        var reader = new RingPipeReader(readerRing);
        writerRing.TryWrite([1, 2, 3, 4, 5]);

        ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(Long);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, result.Buffer.ToArray());
        Assert.False(result.IsCompleted);

        // Consumed 2, examined 3 of 5: the next read returns at once with the 3 left.
        reader.AdvanceTo(result.Buffer.GetPosition(2), result.Buffer.GetPosition(3));
        result = await reader.ReadAsync().AsTask().WaitAsync(Long);
        Assert.Equal(new byte[] { 3, 4, 5 }, result.Buffer.ToArray());

        // Examined everything: the next read waits for new bytes.
        reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        Task<ReadResult> pending = reader.ReadAsync().AsTask();
        Assert.False(pending.IsCompleted);
        writerRing.TryWrite([6, 7]);
        result = await pending.WaitAsync(Long);
        Assert.Equal(new byte[] { 3, 4, 5, 6, 7 }, result.Buffer.ToArray());
        reader.AdvanceTo(result.Buffer.End);

        // CancelPendingRead ends a pending read; CancelPendingRead with none pending cancels the next.
        pending = reader.ReadAsync().AsTask();
        reader.CancelPendingRead();
        result = await pending.WaitAsync(Long);
        Assert.True(result.IsCanceled);
        reader.AdvanceTo(result.Buffer.End);
        reader.CancelPendingRead();
        result = await reader.ReadAsync().AsTask().WaitAsync(Long);
        Assert.True(result.IsCanceled);
        reader.AdvanceTo(result.Buffer.End);

        // Completion: the rest, then IsCompleted, for every read after.
        writerRing.TryWrite([8]);
        writerRing.Complete();
        result = await reader.ReadAsync().AsTask().WaitAsync(Long);
        Assert.Equal(new byte[] { 8 }, result.Buffer.ToArray());
        reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        result = await reader.ReadAsync().AsTask().WaitAsync(Long);
        Assert.True(result.IsCompleted);
        Assert.Equal(new byte[] { 8 }, result.Buffer.ToArray());
        reader.AdvanceTo(result.Buffer.End);
        Assert.True(reader.TryRead(out result));
        Assert.True(result.IsCompleted);
        Assert.True(result.Buffer.IsEmpty);
        reader.AdvanceTo(result.Buffer.End);
        reader.Complete();
    }

    [Fact]
    public async Task PipeReaderMovesUnconsumedBytesToTheFrontToMakeRoom()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16, maxMessageLength: 1000));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        var reader = new RingPipeReader(readerRing, leaveOpen: true);
        byte[] data = new byte[4300];
        StreamContent.Fill(data, 0);
        for (int i = 0; i < 4; i++)
        {
            writerRing.TryWrite(data.AsSpan(i * 1000, 1000));
        }

        // The buffer (4 KiB) holds the four frames; 500 stay unconsumed, all examined.
        ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(Long);
        Assert.Equal(4000, result.Buffer.Length);
        reader.AdvanceTo(result.Buffer.GetPosition(3500), result.Buffer.End);

        // The next frame fits only once those 500 move to the front: the read still sees it as new.
        writerRing.TryWrite(data.AsSpan(4000, 300));
        ValueTask<ReadResult> read = reader.ReadAsync();
        Assert.True(read.IsCompleted, "the read found the new frame without waiting");
        result = await read.AsTask().WaitAsync(Long);
        Assert.Equal(800, result.Buffer.Length);
        Assert.Equal(-1, StreamContent.Mismatch(result.Buffer.ToArray(), 3500));
        reader.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task PipeReaderGrowsForARecordLongerThanItsBufferUpToItsLimit()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16, maxMessageLength: 1000));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        var reader = new RingPipeReader(readerRing, leaveOpen: true, maximumBufferSize: 8192);
        byte[] frame = new byte[1000];
        for (int i = 0; i < 9; i++)
        {
            writerRing.TryWrite(frame);
        }

        // The consumer examines everything and consumes nothing (a record it cannot parse yet): the buffer grows.
        long length = 0;
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(Long);
                Assert.True(result.Buffer.Length > length);
                length = result.Buffer.Length;
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        });
        Assert.Contains("maximum buffer size of 8192", error.Message, StringComparison.Ordinal);
        Assert.True(length >= 7000, $"only {length} bytes buffered");
    }

    [Fact]
    public async Task PipeWriterBuffersUntilFlushAndCancelPendingFlushCancels()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 100));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        var writer = new RingPipeWriter(writerRing, leaveOpen: true);
        Assert.True(writer.CanGetUnflushedBytes);
        writer.GetSpan(250)[..250].Fill(7);
        writer.Advance(250);
        Assert.Equal(250, writer.UnflushedBytes);
        Assert.Equal(0, writerRing.GetStatistics().MessagesWritten);
        FlushResult flushed = await writer.FlushAsync().AsTask().WaitAsync(Long);
        Assert.False(flushed.IsCanceled);
        Assert.Equal(0, writer.UnflushedBytes);
        Assert.Equal(3, writerRing.GetStatistics().MessagesWritten);

        // The ring fills up (nobody reads): the flush waits until CancelPendingFlush, and the rest stays buffered.
        writer.GetSpan(2000);
        writer.Advance(2000);
        ValueTask<FlushResult> pending = writer.FlushAsync();
        Assert.False(pending.IsCompleted);
        writer.CancelPendingFlush();
        flushed = await pending.AsTask().WaitAsync(Long);
        Assert.True(flushed.IsCanceled);
        Assert.True(writer.UnflushedBytes > 0);

        // A cancel with no flush pending cancels the next one.
        writer.CancelPendingFlush();
        Assert.True((await writer.FlushAsync().AsTask().WaitAsync(Long)).IsCanceled);

        // The reader drains; the flush publishes the rest; Complete with an exception aborts after it.
        using var reading = RingStream.ForReading(readerRing, leaveOpen: true);
        ValueTask<FlushResult> flush = writer.FlushAsync();
        byte[] buffer = new byte[4000];
        int total = 0;
        while (total < 2250)
        {
            int read = reading.Read(buffer);
            Assert.True(read > 0);
            total += read;
        }

        Assert.Equal(2250, total);
        Assert.False((await flush.AsTask().WaitAsync(Long)).IsCanceled);
        writer.GetSpan(10);
        writer.Advance(10);
        writer.Complete(new FormatException("bad input at line 3"));
        Assert.True(writerRing.IsWriterCompleted);
        Assert.Equal(10, reading.Read(buffer));
        IOException error = Assert.Throws<IOException>(() => reading.Read(buffer));
        Assert.Contains("aborted the stream: System.FormatException: bad input at line 3", error.Message, StringComparison.Ordinal);
        Assert.Throws<IOException>(() => reading.Read(buffer));
    }

    [Fact]
    public async Task PipeWriterWriteAsyncPublishesALargeSourceAndBuffersTheRestWhenCancelled()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 100));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        var writer = new RingPipeWriter(writerRing, leaveOpen: true);
        using var reading = RingStream.ForReading(readerRing, leaveOpen: true);
        byte[] source = new byte[20_000];
        StreamContent.Fill(source, 0);

        // Nobody reads: the write fills the ring and waits; cancelled, it keeps what it did not publish.
        ValueTask<FlushResult> write = writer.WriteAsync(source.AsMemory(0, 10_000));
        Assert.False(write.IsCompleted);
        writer.CancelPendingFlush();
        Assert.True((await write.AsTask().WaitAsync(Long)).IsCanceled);
        long buffered = writer.UnflushedBytes;
        Assert.InRange(buffered, 9000, 9999);

        // A reader drains; the rest of the first write, then a second straight from its source, all in order.
        long position = 0;
        var drain = Task.Run(() =>
        {
            byte[] buffer = new byte[64];
            while (position < source.Length)
            {
                int read = reading.Read(buffer);
                if (read == 0 || StreamContent.Mismatch(buffer.AsSpan(0, read), position) >= 0)
                {
                    return;
                }

                position += read;
            }
        });
        Assert.False((await writer.FlushAsync().AsTask().WaitAsync(Long)).IsCanceled);
        Assert.False((await writer.WriteAsync(source.AsMemory(10_000)).AsTask().WaitAsync(Long)).IsCanceled);
        await drain.WaitAsync(Long);
        Assert.Equal(source.Length, position);
        Assert.Equal(0, writer.UnflushedBytes);
    }

    [Fact]
    public async Task PipeWriterWriteAsyncCancelledByItsTokenKeepsTheRestBuffered()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 100));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        var writer = new RingPipeWriter(writerRing, leaveOpen: true);
        using var reading = RingStream.ForReading(readerRing, leaveOpen: true);
        reading.ReadTimeout = (int)Long.TotalMilliseconds;
        byte[] source = new byte[10_000];
        StreamContent.Fill(source, 0);

        // Nobody reads: the write straight from the source fills the ring and waits; the token cancels it. The bytes it
        // did not publish must stay buffered (as after a cancelled FlushAsync), not vanish from the middle of the stream.
        using var cts = new CancellationTokenSource();
        ValueTask<FlushResult> write = writer.WriteAsync(source, cts.Token);
        Assert.False(write.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await write.AsTask().WaitAsync(Long));
        Assert.InRange(writer.UnflushedBytes, 9000, 9999);

        long position = 0;
        var drain = Task.Run(() =>
        {
            byte[] buffer = new byte[64];
            while (true)
            {
                int read = reading.Read(buffer);
                if (read == 0 || StreamContent.Mismatch(buffer.AsSpan(0, read), position) >= 0)
                {
                    return;
                }

                position += read;
            }
        });
        await Task.Run(() => writer.Complete()).WaitAsync(Long);
        await drain.WaitAsync(Long);
        Assert.Equal(source.Length, position);
    }

    [Fact]
    public async Task PipeWriterWriteAsyncWithATokenAlreadyCancelledBuffersTheSourceWhateverItsSize()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1024, maxMessageLength: 100));
        var writer = new RingPipeWriter(writerRing, leaveOpen: true);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        // A small source is copied into the buffer, then the flush is cancelled: the bytes stay buffered. A source larger
        // than the buffer (published straight from the source otherwise) must end the same way, not vanish.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await writer.WriteAsync(new byte[10], cts.Token));
        Assert.Equal(10, writer.UnflushedBytes);
        Assert.False((await writer.FlushAsync().AsTask().WaitAsync(Long)).IsCanceled);
        Assert.Equal(0, writer.UnflushedBytes);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await writer.WriteAsync(new byte[10_000], cts.Token));
        Assert.Equal(10_000, writer.UnflushedBytes);
        Assert.Equal(1, writerRing.GetStatistics().MessagesWritten);
    }

    [Fact]
    public async Task PipeReaderReturnsAtOnceTheBytesItTookBeforeAFrameOfAnotherType()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 4096, maxMessageLength: 100));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        var reader = new RingPipeReader(readerRing, leaveOpen: true);
        writerRing.TryWrite([1]);
        ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(Long);
        reader.AdvanceTo(result.Buffer.End);

        // Two bytes, then a frame no stream writer writes: the read that meets it raises the error, and the two bytes it
        // took along before are still unexamined, so the next read returns them at once instead of waiting for more.
        writerRing.TryWrite([2, 3]);
        writerRing.TryWrite([9], type: 42);
        await Assert.ThrowsAsync<IOException>(async () => await reader.ReadAsync().AsTask().WaitAsync(Long));
        ValueTask<ReadResult> next = reader.ReadAsync();
        Assert.True(next.IsCompleted, "the read waited although bytes it had never returned were buffered");
        result = await next;
        Assert.Equal(new byte[] { 2, 3 }, result.Buffer.ToArray());
        reader.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task PipeReaderRaisesAnAbortAfterTheBytesBeforeIt()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 4096, maxMessageLength: 100));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        var writer = new RingPipeWriter(writerRing, leaveOpen: true);
        var reader = new RingPipeReader(readerRing, leaveOpen: true);
        await writer.WriteAsync(new byte[] { 1, 2, 3 });
        writer.Complete(new InvalidDataException(new string('x', 500)));
        ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(Long);
        Assert.Equal(3, result.Buffer.Length);
        reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        IOException error = await Assert.ThrowsAsync<IOException>(async () => await reader.ReadAsync().AsTask().WaitAsync(Long));
        Assert.Contains("System.IO.InvalidDataException: xxx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStreamRefusesFramesOfOtherTypes()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options());
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        writerRing.TryWrite([1, 2], type: 42);
        using var reading = RingStream.ForReading(readerRing, leaveOpen: true);
        IOException error = Assert.Throws<IOException>(() => reading.Read(new byte[10]));
        Assert.Contains("type 42", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadInputIsRefusedNamingTheRule()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 4096, maxMessageLength: 100));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        Assert.Throws<ArgumentNullException>(() => RingStream.ForWriting(null!));
        Assert.Throws<ArgumentNullException>(() => RingStream.ForReading(null!));
        Assert.Throws<ArgumentNullException>(() => new RingPipeReader(null!));
        Assert.Throws<ArgumentNullException>(() => new RingPipeWriter(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingPipeReader(readerRing, maximumBufferSize: 100));

        using var writing = RingStream.ForWriting(writerRing, leaveOpen: true, completeOnDispose: false);
        using var reading = RingStream.ForReading(readerRing, leaveOpen: true);
        Assert.True(writing.CanWrite && !writing.CanRead && !writing.CanSeek && writing.CanTimeout);
        Assert.True(reading.CanRead && !reading.CanWrite && !reading.CanSeek && reading.CanTimeout);
        Assert.Throws<ArgumentNullException>(() => writing.Write(null!, 0, 1));
        Assert.Throws<ArgumentNullException>(() => reading.Read(null!, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writing.Write(new byte[4], -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => reading.Read(new byte[4], 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => reading.Read(new byte[4], 3, 2));
        Assert.Throws<ArgumentNullException>(() => { _ = reading.ReadAsync(null!, 0, 1); });
        Assert.Throws<NotSupportedException>(() => writing.Read(new byte[4]));
        Assert.Throws<NotSupportedException>(() => writing.ReadByte());
        await Assert.ThrowsAsync<NotSupportedException>(async () => _ = await writing.ReadAsync(new byte[4]));
        Assert.Throws<NotSupportedException>(() => reading.Write(new byte[4]));
        Assert.Throws<NotSupportedException>(() => reading.WriteByte(1));
        await Assert.ThrowsAsync<NotSupportedException>(async () => await reading.WriteAsync(new byte[4]));
        Assert.Throws<NotSupportedException>(() => reading.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => reading.Length);
        Assert.Throws<NotSupportedException>(() => reading.Position);
        Assert.Throws<NotSupportedException>(() => reading.Position = 0);
        Assert.Throws<NotSupportedException>(() => writing.SetLength(0));
        ArgumentOutOfRangeException timeout = Assert.Throws<ArgumentOutOfRangeException>(() => reading.ReadTimeout = -2);
        Assert.Contains("-2", timeout.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => writing.WriteTimeout = -5);
        Assert.Throws<InvalidOperationException>(() => writing.ReadTimeout);
        Assert.Throws<InvalidOperationException>(() => reading.WriteTimeout = 5);

        var pipeWriter = new RingPipeWriter(writerRing, leaveOpen: true);
        Assert.Throws<ArgumentOutOfRangeException>(() => pipeWriter.GetSpan(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => pipeWriter.Advance(-1));
        int handedOut = pipeWriter.GetMemory(10).Length;
        Assert.Throws<ArgumentOutOfRangeException>(() => pipeWriter.Advance(handedOut + 1));

        var pipeReader = new RingPipeReader(readerRing, leaveOpen: true);
        Assert.Throws<InvalidOperationException>(() => pipeReader.AdvanceTo(default));
        writerRing.TryWrite([1, 2, 3]);
        ReadResult result = await pipeReader.ReadAsync().AsTask().WaitAsync(Long);
        Assert.Throws<InvalidOperationException>(() => { _ = pipeReader.ReadAsync().AsTask(); });
        Assert.Throws<ArgumentOutOfRangeException>(() => pipeReader.AdvanceTo(new ReadOnlySequence<byte>(new byte[3]).End));
        Assert.Throws<ArgumentOutOfRangeException>(() => pipeReader.AdvanceTo(result.Buffer.GetPosition(2), result.Buffer.GetPosition(1)));
        pipeReader.AdvanceTo(result.Buffer.GetPosition(1));
        pipeReader.Complete();
        Assert.Throws<InvalidOperationException>(() => { _ = pipeReader.ReadAsync().AsTask(); });
        pipeWriter.Complete();
        Assert.Throws<InvalidOperationException>(() => pipeWriter.GetSpan());
        Assert.Throws<InvalidOperationException>(() => { _ = pipeWriter.FlushAsync().AsTask(); });

        reading.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reading.Read(new byte[4]));
        Assert.False(reading.CanRead);
    }

    [Fact]
    public void SynchronousWritesAndReadsAllocateNothing()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16, maxMessageLength: 1000));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        using var writing = RingStream.ForWriting(writerRing, leaveOpen: true);
        using var reading = RingStream.ForReading(readerRing, leaveOpen: true);
        writing.WriteTimeout = 5000;
        reading.ReadTimeout = 5000;
        byte[] data = new byte[2500];
        byte[] small = new byte[300];
        byte[] large = new byte[1000];
        void Run()
        {
            for (int i = 0; i < 2000; i++)
            {
                // 2,500 bytes in three frames; read back in pieces from the kept frame and straight into a large buffer.
                writing.Write(data, 0, data.Length);
                writing.WriteByte(1);
                int total = 0;
                while (total < data.Length + 1)
                {
                    total += reading.Read(i % 2 == 0 ? small : large);
                }
            }
        }

        Assert.Equal(0, Measure(Run));
    }

    [Fact]
    public void PipesThatNeedNotWaitAllocateNothing()
    {
        using var seg = new TestSegment();
        using var writerRing = OneToOneRing.Create(seg.Name, seg.Options(capacity: 1 << 16, maxMessageLength: 1000));
        using var readerRing = OneToOneRing.Open(seg.Name, seg.Options());
        var writer = new RingPipeWriter(writerRing, leaveOpen: true);
        var reader = new RingPipeReader(readerRing, leaveOpen: true);
        void Run()
        {
            for (int i = 0; i < 2000; i++)
            {
                writer.GetSpan(1500)[..1500].Fill((byte)i);
                writer.Advance(1500);
                ValueTask<FlushResult> flush = writer.FlushAsync();
                ValueTask<ReadResult> read = reader.ReadAsync();
                if (!flush.IsCompletedSuccessfully || !read.IsCompletedSuccessfully || read.Result.Buffer.Length != 1500)
                {
                    throw new InvalidOperationException($"iteration {i}: a flush or read waited, or the read got the wrong bytes");
                }

                reader.AdvanceTo(read.Result.Buffer.End);
            }
        }

        Assert.Equal(0, Measure(Run));
    }

    private static long Measure(Action run)
    {
        run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        run();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
