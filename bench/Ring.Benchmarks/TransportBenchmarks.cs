using System;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace Ring.Benchmarks;

/// <summary>
/// What every transport's benchmark class shares: the message sizes, and the baseline it is compared with, a
/// single-reader, single-writer <see cref="Channel{T}"/> of preallocated byte arrays (a reference is passed, no byte
/// is copied). Each ring kind derives one class and adds its own write, read, claim/commit and batch benchmarks; every
/// figure is per message.
/// </summary>
[MemoryDiagnoser]
public abstract class TransportBenchmarks
{
    /// <summary>Messages per batch in the batch benchmarks (BenchmarkDotNet divides by it).</summary>
    protected const int Batch = 64;

    private Channel<byte[]> _channel = null!;
    private byte[] _message = null!;

    [Params(32, 1024)]
    public int MessageSize { get; set; }

    /// <summary>A payload of <see cref="MessageSize"/> bytes.</summary>
    protected byte[] Payload => _message;

    [GlobalSetup(Target = nameof(ChannelWriteRead))]
    public void SetUpChannel() => SetUpChannelCore();

    [GlobalSetup(Target = nameof(ChannelBatch))]
    public void SetUpChannelBatch() => SetUpChannelCore();

    [Benchmark(Baseline = true, Description = "Channel<byte[]> TryWrite+TryRead")]
    public int ChannelWriteRead()
    {
        _channel.Writer.TryWrite(_message);
        _channel.Reader.TryRead(out byte[]? read);
        return read!.Length;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Channel<byte[]> 64 TryWrite, 64 TryRead")]
    public int ChannelBatch()
    {
        for (int i = 0; i < Batch; i++)
        {
            _channel.Writer.TryWrite(_message);
        }

        int total = 0;
        while (_channel.Reader.TryRead(out byte[]? read))
        {
            total += read.Length;
        }

        return total;
    }

    /// <summary>A ring name no other run uses: the benchmark's segments live in /dev/shm.</summary>
    protected static string UniqueName(string kind) => $"ring-bdn-{kind}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48];

    protected void SetUpPayload()
    {
        _message = new byte[MessageSize];
        new Random(42).NextBytes(_message);
    }

    private void SetUpChannelCore()
    {
        SetUpPayload();
        _channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
    }
}
