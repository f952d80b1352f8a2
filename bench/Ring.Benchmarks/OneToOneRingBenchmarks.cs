using System;
using BenchmarkDotNet.Attributes;

namespace Ring.Benchmarks;

/// <summary>
/// <see cref="OneToOneRing"/> in one process, one thread as both writer and reader (so the figures are the cost of the
/// operations themselves, without cache-line transfers between cores): copy in and out, zero-copy claim/commit, and a
/// batch read of 64 messages through a struct handler.
/// </summary>
public class OneToOneRingBenchmarks : TransportBenchmarks
{
    private OneToOneRing _ring = null!;
    private byte[] _destination = null!;
    private string _name = null!;

    [GlobalSetup(Targets = [nameof(TryWriteTryRead), nameof(ClaimCommitTryRead), nameof(BatchWriteRead)])]
    public void SetUp()
    {
        SetUpPayload();
        _name = UniqueName("o2o");
        _ring = OneToOneRing.Create(_name, new RingOptions { Capacity = 1 << 20 });
        _destination = new byte[_ring.MaxMessageLength];
    }

    [GlobalCleanup(Targets = [nameof(TryWriteTryRead), nameof(ClaimCommitTryRead), nameof(BatchWriteRead)])]
    public void CleanUp()
    {
        _ring.Dispose();
        RingSegment.Remove(_name);
    }

    [Benchmark(Description = "OneToOneRing TryWrite+TryRead")]
    public int TryWriteTryRead()
    {
        _ring.TryWrite(Payload, 1);
        _ring.TryRead(_destination, out RingMessage message);
        return message.Length;
    }

    [Benchmark(Description = "OneToOneRing TryClaim+Commit+TryRead")]
    public int ClaimCommitTryRead()
    {
        if (_ring.TryClaim(Payload.Length, 1, out Span<byte> payload))
        {
            Payload.CopyTo(payload);
            _ring.Commit();
        }

        _ring.TryRead(_destination, out RingMessage message);
        return message.Length;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "OneToOneRing 64 TryWrite, batch Read(ref handler)")]
    public int BatchWriteRead()
    {
        for (int i = 0; i < Batch; i++)
        {
            _ring.TryWrite(Payload, 1);
        }

        var handler = new LengthSum();
        _ring.Read(ref handler, Batch);
        return handler.Total;
    }

    /// <summary>Reads each payload in place (its length and first byte), as a handler that checks a message would.</summary>
    private struct LengthSum : IFrameHandler
    {
        public int Total;

        public void OnFrame(int type, ReadOnlySpan<byte> payload) => Total += payload.Length + payload[0];
    }
}
