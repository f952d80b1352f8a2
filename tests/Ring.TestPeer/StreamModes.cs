using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Ring.Channels;

namespace Ring.TestPeer;

/// <summary>
/// Peer modes for the Stream and System.IO.Pipelines adapters (<see cref="RingStream"/>, <see cref="RingPipeReader"/>,
/// <see cref="RingPipeWriter"/>). The content comes from <see cref="StreamContent"/>, which the tests use to check it.
/// Settings: count, bytes.
/// </summary>
public static class StreamModes
{
    public static bool Handles(string mode) => mode.StartsWith("stream-", StringComparison.Ordinal) || mode.StartsWith("pipe-", StringComparison.Ordinal);

    public static int Run(string mode, string name, ReadOnlySpan<string> args)
    {
        Dictionary<string, string> s = PeerArguments.Parse(args);

        int count = s.TryGetValue("count", out string? c) ? int.Parse(c, CultureInfo.InvariantCulture) : 100;
        long bytes = s.TryGetValue("bytes", out string? b) ? long.Parse(b, CultureInfo.InvariantCulture) : 100_000;
        var options = new RingOptions { OpenTimeout = TimeSpan.FromSeconds(10), LivenessCheckInterval = TimeSpan.FromMilliseconds(20) };
        try
        {
            OneToOneRing ring = OneToOneRing.Open(name, options);
            return mode switch
            {
                "stream-write-lines" => WriteLines(ring, count),
                "stream-read-lines" => ReadLines(ring, count),
                "stream-write-json" => WriteJson(ring, count).GetAwaiter().GetResult(),
                "stream-read-json" => ReadJson(ring, count).GetAwaiter().GetResult(),
                "pipe-write-records" => WriteRecords(ring, count).GetAwaiter().GetResult(),
                "pipe-read-records" => ReadRecords(ring, count).GetAwaiter().GetResult(),
                "stream-write-then-hang" => WriteThenHang(ring, bytes),
                "stream-write-forever" => WriteForever(ring),
                "stream-read-then-hang" => ReadThenHang(ring, bytes),
                _ => 2,
            };
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"peer {mode} failed: {e}");
            return 4;
        }
    }

    /// <summary>Lines 0..count-1 through a StreamWriter with a small buffer (many writes of many sizes); disposing completes.</summary>
    private static int WriteLines(OneToOneRing ring, int count)
    {
        using (var writer = new StreamWriter(RingStream.ForWriting(ring), StreamContent.Utf8, bufferSize: 100))
        {
            for (int i = 0; i < count; i++)
            {
                writer.WriteLine(StreamContent.Line(i));
            }
        }

        Console.WriteLine("done");
        return 0;
    }

    /// <summary>Reads and checks lines 0..count-1, then expects the end of the stream.</summary>
    private static int ReadLines(OneToOneRing ring, int count)
    {
        using var reader = new StreamReader(RingStream.ForReading(ring), StreamContent.Utf8, detectEncodingFromByteOrderMarks: false, bufferSize: 64);
        for (int i = 0; i < count; i++)
        {
            string? line = reader.ReadLine();
            if (line != StreamContent.Line(i))
            {
                Console.Error.WriteLine($"line {i}: got {(line is null ? "end of stream" : $"{line.Length} chars")}, expected {StreamContent.Line(i).Length} chars");
                return 1;
            }
        }

        string? extra = reader.ReadLine();
        if (extra is not null)
        {
            Console.Error.WriteLine($"a line after the last: {extra.Length} chars");
            return 1;
        }

        return 0;
    }

    private static async Task<int> WriteJson(OneToOneRing ring, int count)
    {
        await using (var stream = RingStream.ForWriting(ring))
        {
            await JsonSerializer.SerializeAsync(stream, StreamContent.Records(count), StreamContent.Json);
        }

        return 0;
    }

    private static async Task<int> ReadJson(OneToOneRing ring, int count)
    {
        await using var stream = RingStream.ForReading(ring);
        int i = 0;
        await foreach (StreamRecord? record in JsonSerializer.DeserializeAsyncEnumerable<StreamRecord>(stream, StreamContent.Json))
        {
            string? error = StreamContent.Check(record, i);
            if (error is not null)
            {
                Console.Error.WriteLine(error);
                return 1;
            }

            i++;
        }

        if (i != count)
        {
            Console.Error.WriteLine($"got {i} records, expected {count}");
            return 1;
        }

        return 0;
    }

    /// <summary>Length-prefixed records through GetSpan/Advance, a flush every third record; Complete ends the stream.</summary>
    private static async Task<int> WriteRecords(OneToOneRing ring, int count)
    {
        var writer = new RingPipeWriter(ring);
        for (int i = 0; i < count; i++)
        {
            StreamContent.WriteRecord(writer, i);
            if (i % 3 == 2)
            {
                FlushResult result = await writer.FlushAsync();
                if (result.IsCanceled || result.IsCompleted)
                {
                    Console.Error.WriteLine($"flush after record {i}: canceled {result.IsCanceled}, completed {result.IsCompleted}");
                    return 3;
                }
            }
        }

        await writer.CompleteAsync();
        return 0;
    }

    private static async Task<int> ReadRecords(OneToOneRing ring, int count)
    {
        var reader = new RingPipeReader(ring);
        string? error = await StreamContent.ReadRecords(reader, count);
        await reader.CompleteAsync();
        if (error is not null)
        {
            Console.Error.WriteLine(error);
            return 1;
        }

        return 0;
    }

    /// <summary>Writes <paramref name="bytes"/> bytes of the pattern, says "written", and hangs until killed.</summary>
    private static int WriteThenHang(OneToOneRing ring, long bytes)
    {
        var stream = RingStream.ForWriting(ring);
        byte[] chunk = new byte[1000];
        for (long position = 0; position < bytes; position += chunk.Length)
        {
            int length = (int)Math.Min(chunk.Length, bytes - position);
            StreamContent.Fill(chunk.AsSpan(0, length), position);
            stream.Write(chunk, 0, length);
        }

        Console.WriteLine("written");
        Thread.Sleep(Timeout.Infinite);
        return 3;
    }

    /// <summary>Reads and checks <paramref name="bytes"/> bytes of the pattern, says "read", and hangs until killed.</summary>
    private static int ReadThenHang(OneToOneRing ring, long bytes)
    {
        var stream = RingStream.ForReading(ring);
        byte[] buffer = new byte[500];
        for (long position = 0; position < bytes;)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, bytes - position));
            int at = read == 0 ? 0 : StreamContent.Mismatch(buffer.AsSpan(0, read), position);
            if (at >= 0)
            {
                Console.Error.WriteLine(read == 0 ? $"end of stream at {position}" : $"byte {position + at} differs");
                return 1;
            }

            position += read;
        }

        Console.WriteLine("read");
        Thread.Sleep(Timeout.Infinite);
        return 3;
    }

    /// <summary>Writes the pattern until killed, in writes of changing sizes; says "started" after the first.</summary>
    private static int WriteForever(OneToOneRing ring)
    {
        var stream = RingStream.ForWriting(ring);
        byte[] chunk = new byte[777];
        long position = 0;
        for (int i = 0; ; i++)
        {
            int length = 1 + (i * 131 % chunk.Length);
            StreamContent.Fill(chunk.AsSpan(0, length), position);
            stream.Write(chunk, 0, length);
            position += length;
            if (i == 0)
            {
                Console.WriteLine("started");
            }
        }
    }
}

/// <summary>A record the JSON tests send.</summary>
public sealed class StreamRecord
{
    public int Id { get; set; }

    public string Text { get; set; } = "";

    public List<double> Values { get; set; } = [];

    public bool Flag { get; set; }
}

/// <summary>The content of the stream tests, the same in the test and in the peer.</summary>
public static class StreamContent
{
    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static readonly JsonSerializerOptions Json = new();

    /// <summary>Line <paramref name="i"/>: mostly short, every 7th longer than any frame of the tests, with 2-, 3- and 4-byte UTF-8 characters to split across frames.</summary>
    public static string Line(int i)
    {
        int length = i % 7 == 3 ? 600 + (i * 53 % 900) : i * 29 % 90;
        var builder = new StringBuilder(length + 16);
        builder.Append(i.ToString(CultureInfo.InvariantCulture)).Append(':');
        for (int j = 0; builder.Length < length; j++)
        {
            switch ((i + j) % 11)
            {
                case 0:
                    builder.Append('é');
                    break;
                case 1:
                    builder.Append('€');
                    break;
                case 2:
                    builder.Append("😀");
                    break;
                default:
                    builder.Append((char)('a' + ((i * 7 + j) % 26)));
                    break;
            }
        }

        return builder.ToString();
    }

    public static IEnumerable<StreamRecord> Records(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return Record(i);
        }
    }

    public static StreamRecord Record(int i)
    {
        var record = new StreamRecord { Id = i, Text = Line(i), Flag = i % 2 == 0 };
        for (int j = 0; j < i % 13; j++)
        {
            record.Values.Add(i * 1.5 + j / 4.0);
        }

        return record;
    }

    public static string? Check(StreamRecord? record, int i)
    {
        StreamRecord expected = Record(i);
        if (record is null || record.Id != expected.Id || record.Text != expected.Text || record.Flag != expected.Flag ||
            !System.Linq.Enumerable.SequenceEqual(record.Values, expected.Values))
        {
            return $"record {i} differs: got id {record?.Id}, text of {record?.Text.Length} chars, {record?.Values.Count} values";
        }

        return null;
    }

    /// <summary>Byte <paramref name="position"/> of the byte pattern.</summary>
    public static byte At(long position) => (byte)((position * 7) ^ (position >> 8) ^ (position >> 16));

    public static void Fill(Span<byte> destination, long position)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = At(position + i);
        }
    }

    /// <summary>Index of the first byte of <paramref name="data"/> that is not the pattern from <paramref name="position"/>, or -1.</summary>
    public static int Mismatch(ReadOnlySpan<byte> data, long position)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != At(position + i))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Payload length of record <paramref name="i"/>: 0 to 1,199 bytes, so that records are split across frames and several share one.</summary>
    public static int RecordLength(int i) => i * 389 % 1200;

    /// <summary>Record i: a 4-byte little-endian length, then that many bytes of the pattern from i * 1000.</summary>
    public static void WriteRecord(PipeWriter writer, int i)
    {
        int length = RecordLength(i);
        Span<byte> span = writer.GetSpan(4 + length);
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        Fill(span.Slice(4, length), i * 1000L);
        writer.Advance(4 + length);
    }

    /// <summary>
    /// Reads records 0..count-1, consuming whole records only and examining everything (the rest of a record waits for
    /// the next read), then expects completion with nothing left. Returns an error, or null.
    /// </summary>
    public static async Task<string?> ReadRecords(PipeReader reader, int count, CancellationToken cancellationToken = default)
    {
        int i = 0;
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (TryTakeRecord(ref buffer, out ReadOnlySequence<byte> payload))
            {
                if (i >= count)
                {
                    return $"a record after the last ({count})";
                }

                if (payload.Length != RecordLength(i))
                {
                    return $"record {i} has {payload.Length} bytes, expected {RecordLength(i)}";
                }

                byte[] bytes = payload.ToArray();
                int at = Mismatch(bytes, i * 1000L);
                if (at >= 0)
                {
                    return $"record {i} differs at byte {at}";
                }

                i++;
            }

            reader.AdvanceTo(buffer.Start, result.Buffer.End);
            if (result.IsCompleted)
            {
                if (buffer.Length != 0)
                {
                    return $"{buffer.Length} bytes of a partial record at the end";
                }

                return i == count ? null : $"completed after {i} records, expected {count}";
            }

            if (result.IsCanceled)
            {
                return "a read was canceled";
            }
        }
    }

    private static bool TryTakeRecord(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        int length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (buffer.Length < 4 + length)
        {
            return false;
        }

        payload = buffer.Slice(4, length);
        buffer = buffer.Slice(4 + length);
        return true;
    }
}
