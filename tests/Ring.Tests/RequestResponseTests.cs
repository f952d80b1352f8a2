using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Ring.Channels;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>RequestClient and RequestServer across processes: correlation, concurrency, errors, timeouts, death.</summary>
public class RequestResponseTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Fact]
    public void SynchronousRequestsEachGetTheirOwnResponse()
    {
        using var dir = new TestDirectory();
        using Peer server = StartServer(dir);
        using RequestClient client = RequestClient.Connect("rr", Long, DuplexChannelTests.Options(dir));
        byte[] request = new byte[512];
        byte[] response = new byte[client.MaxResponseLength];
        for (long i = 0; i < 3000; i++)
        {
            int length = MessagePattern.Length(5, i, request.Length);
            MessagePattern.Fill(request.AsSpan(0, length), 5, i);
            RingResponse r = client.Request(request.AsSpan(0, length), response, Long, ChannelModes.Echo);
            Assert.Equal(ChannelModes.Echo + 100, r.Type);
            Assert.True(response.AsSpan(0, r.Length).SequenceEqual(request.AsSpan(0, length)), $"request {i}: wrong response");
        }

        Assert.Equal(0, client.InFlight);
        client.Dispose();
        Assert.StartsWith("ended Completed served 3000", server.WaitForLine("ended", Long));
        server.AssertSuccess(Long);
    }

    [Fact]
    public async Task HundredsOfRequestsInFlightFromAsyncAndSyncCallersAreMatchedToTheirCallers()
    {
        using var dir = new TestDirectory();
        using Peer server = StartServer(dir);
        using RequestClient client = RequestClient.Connect("rr", Long, DuplexChannelTests.Options(dir));
        const int Async = 600;
        Task<(int, RingResponse, byte[])>[] calls = Enumerable.Range(0, Async).Select(async i =>
        {
            byte[] buffer = new byte[64];
            RingResponse r = await client.RequestAsync(BitConverter.GetBytes(i), buffer, Long, ChannelModes.Echo);
            return (i, r, buffer);
        }).ToArray();

        // Two threads with synchronous calls at the same time: each reads for the others or is served by the pump.
        long syncFailures = 0;
        Thread[] threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            byte[] buffer = new byte[64];
            for (int i = 0; i < 500; i++)
            {
                int value = (t * 1_000_000) + i;
                RingResponse r = client.Request(BitConverter.GetBytes(value), buffer, Long, ChannelModes.Echo);
                if (r.Length != 4 || BitConverter.ToInt32(buffer) != value)
                {
                    Interlocked.Increment(ref syncFailures);
                }
            }
        })).ToArray();
        Array.ForEach(threads, t => t.Start());
        foreach ((int i, RingResponse r, byte[] buffer) in await Task.WhenAll(calls))
        {
            Assert.Equal(4, r.Length);
            Assert.Equal(i, BitConverter.ToInt32(buffer));
        }

        Array.ForEach(threads, t => Assert.True(t.Join(Long)));
        Assert.Equal(0, Interlocked.Read(ref syncFailures));
        Assert.Equal(0, client.InFlight);
        Assert.Equal(0, client.LateResponses);
    }

    [Fact]
    public async Task AHandlersExceptionComesBackAsRemoteExceptionAndTheChannelGoesOn()
    {
        using var dir = new TestDirectory();
        using Peer server = StartServer(dir);
        using RequestClient client = RequestClient.Connect("rr", Long, DuplexChannelTests.Options(dir));
        byte[] buffer = new byte[64];
        var e = Assert.Throws<RingRemoteException>(() => client.Request("hello"u8, buffer, Long, ChannelModes.Throw));
        Assert.Equal("System.InvalidOperationException", e.RemoteType);
        Assert.Equal("refused a request of 5 bytes", e.RemoteMessage);
        var e2 = await Assert.ThrowsAsync<RingRemoteException>(async () => await client.RequestAsync(new byte[3], buffer, Long, ChannelModes.Throw));
        Assert.Equal("refused a request of 3 bytes", e2.RemoteMessage);
        Assert.Equal(2, client.Request("ok"u8, buffer, Long, ChannelModes.Echo).Length);
    }

    [Fact]
    public async Task ATimedOutRequestThrowsAndItsLateResponseIsDroppedAndCounted()
    {
        using var dir = new TestDirectory();
        using Peer server = StartServer(dir);
        using RequestClient client = RequestClient.Connect("rr", Long, DuplexChannelTests.Options(dir));
        byte[] buffer = new byte[64];

        // The handler sleeps 400 ms before it answers: no response can come within 30 ms.
        Assert.Throws<TimeoutException>(() => client.Request(BitConverter.GetBytes(400), buffer, TimeSpan.FromMilliseconds(30), ChannelModes.Slow));
        await Assert.ThrowsAsync<TimeoutException>(async () => await client.RequestAsync(BitConverter.GetBytes(400), buffer, TimeSpan.FromMilliseconds(30), ChannelModes.Slow));
        Assert.Equal(0, client.InFlight);

        // The server answers in order: this response comes after both late ones.
        Assert.Equal(2, client.Request("ok"u8, buffer, Long, ChannelModes.Echo).Length);
        Assert.Equal(2, client.LateResponses);
    }

    [Fact]
    public async Task CancellationEndsAWaitingRequest()
    {
        using var dir = new TestDirectory();
        using Peer server = StartServer(dir);
        using RequestClient client = RequestClient.Connect("rr", Long, DuplexChannelTests.Options(dir));
        byte[] buffer = new byte[64];
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(30)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => client.Request(BitConverter.GetBytes(400), buffer, Long, ChannelModes.Slow, cts.Token));
        }

        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(30)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.RequestAsync(BitConverter.GetBytes(400), buffer, Long, ChannelModes.Slow, cts.Token));
        }

        Assert.Equal(0, client.InFlight);
        Assert.Equal(2, client.Request("ok"u8, buffer, Long, ChannelModes.Echo).Length);
    }

    [Fact]
    public void BadSizesAreRefusedNamingBothSizes()
    {
        using var dir = new TestDirectory();
        using Peer server = StartServer(dir);
        using RequestClient client = RequestClient.Connect("rr", Long, DuplexChannelTests.Options(dir));
        var tooLong = Assert.Throws<ArgumentException>(() => client.Request(new byte[client.MaxRequestLength + 1], new byte[8], Long));
        Assert.Contains($"{client.MaxRequestLength + 1} bytes", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains($"{client.MaxRequestLength} bytes", tooLong.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.InFlight);

        var tooSmall = Assert.Throws<ArgumentException>(() => client.Request(BitConverter.GetBytes(100), new byte[10], Long, ChannelModes.Sized));
        Assert.Contains("100 bytes", tooSmall.Message, StringComparison.Ordinal);
        Assert.Contains("10 bytes", tooSmall.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Request("x"u8, new byte[8], TimeSpan.FromSeconds(-3)));

        byte[] big = new byte[client.MaxResponseLength];
        Assert.Equal(client.MaxResponseLength, client.Request(BitConverter.GetBytes(client.MaxResponseLength), big, Long, ChannelModes.Sized).Length);
        Assert.All(big, b => Assert.Equal(0x5A, b));

        // A handler that writes more than a frame holds gets an error back, not a cut response.
        var over = Assert.Throws<RingRemoteException>(() => client.Request(BitConverter.GetBytes(client.MaxResponseLength + 1), big, Long, ChannelModes.Sized));
        Assert.Equal("System.ArgumentOutOfRangeException", over.RemoteType);
    }

    [Fact]
    public async Task RequestsToAServerThatDiesFailAtOnceInsteadOfWaitingOutTheirTimeout()
    {
        using var dir = new TestDirectory();
        using Peer server = StartServer(dir);
        using RequestClient client = RequestClient.Connect("rr", Long, DuplexChannelTests.Options(dir));
        byte[] buffer = new byte[64];
        Assert.Equal(2, client.Request("ok"u8, buffer, Long, ChannelModes.Echo).Length);

        // The first request kills the server; the others wait behind it. With a 10-minute timeout, only the death can
        // end them within the test's time.
        TimeSpan forever = TimeSpan.FromMinutes(10);
        ValueTask<RingResponse> dying = client.RequestAsync(new byte[1], new byte[8], forever, ChannelModes.Die);
        Task<RingResponse>[] queued = Enumerable.Range(0, 20).Select(_ => client.RequestAsync(BitConverter.GetBytes(1), new byte[8], forever, ChannelModes.Slow).AsTask()).ToArray();
        var syncError = Assert.Throws<RingPeerDeadException>(() => client.Request(BitConverter.GetBytes(1), buffer, forever, ChannelModes.Slow));
        Assert.Equal(server.ProcessId, syncError.ProcessId);
        await Assert.ThrowsAsync<RingPeerDeadException>(async () => await dying);
        foreach (Task<RingResponse> call in queued)
        {
            await Assert.ThrowsAsync<RingPeerDeadException>(() => call);
        }

        Assert.Equal(0, client.InFlight);
        Assert.Throws<RingPeerDeadException>(() => client.Request("again"u8, buffer, forever, ChannelModes.Echo));
        await Assert.ThrowsAsync<RingPeerDeadException>(async () => await client.RequestAsync(new byte[1], buffer, forever, ChannelModes.Echo));
    }

    [Fact]
    public async Task AServerInThisProcessServesAClientProcessUntilTheClientCloses()
    {
        using var dir = new TestDirectory();
        using RequestServer server = RequestServer.Listen("rr", static (request, type, response) =>
        {
            response.Type = type + 100;
            response.Write(request);
        }, DuplexChannelTests.Options(dir));
        Task<ReadStatus> run = server.Start();
        using Peer client = Peer.Start("ch-rr-client", "rr", $"dir={dir.Path}", "count=2000");
        client.AssertSuccess(Long);
        Assert.Equal(ReadStatus.Completed, await run.WaitAsync(Long));
        Assert.Equal(2000, server.RequestsServed);
        Assert.Equal(0, server.HandlerFailures);
    }

    [Fact]
    public async Task DisposingAServingServerCancelsItsTaskAndRemovesTheChannel()
    {
        using var dir = new TestDirectory();
        RequestServer server = RequestServer.Listen("rr", static (request, type, response) => response.Write(request), DuplexChannelTests.Options(dir));
        Task<ReadStatus> run = server.Start();
        // Start throws synchronously (the analyzer takes any Task-returning call for an asynchronous one).
        InvalidOperationException? again = null;
        try
        {
            _ = server.Start();
        }
        catch (InvalidOperationException e)
        {
            again = e;
        }

        Assert.NotNull(again);
        Assert.Contains("already started", again.Message, StringComparison.Ordinal);
        server.Dispose();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Long));
        Assert.True(run.IsCanceled);
        Assert.False(System.IO.File.Exists(dir.File("rr" + DuplexChannel.UpSuffix)));
        Assert.Throws<ObjectDisposedException>(() => server.Run());
    }

    [Fact]
    public async Task AClientThatDiesEndsTheServersRun()
    {
        using var dir = new TestDirectory();
        using RequestServer server = RequestServer.Listen("rr", static (request, type, response) =>
        {
            response.Type = type + 100;
            response.Write(request);
        }, DuplexChannelTests.Options(dir));
        Task<ReadStatus> run = server.Start();
        using Peer client = Peer.Start("ch-rr-client", "rr", $"dir={dir.Path}", "count=100000000");
        Assert.True(server.WaitForClient(Long));
        Assert.True(SpinWait.SpinUntil(() => server.RequestsServed > 100, Long), $"the client made no requests; stderr: {client.StandardError}");
        client.Kill();
        Assert.Equal(ReadStatus.WriterDied, await run.WaitAsync(Long));
    }

    [Fact]
    public async Task ASynchronousRequestAllocatesNothingOnceWarm()
    {
        using var dir = new TestDirectory();
        using RequestServer server = RequestServer.Listen("rr", static (request, type, response) => response.Write(request), DuplexChannelTests.Options(dir));
        Task<ReadStatus> run = server.Start();
        using RequestClient client = RequestClient.Connect("rr", Long, DuplexChannelTests.Options(dir));
        byte[] request = new byte[32];
        byte[] response = new byte[64];
        for (int i = 0; i < 2000; i++)
        {
            client.Request(request, response, Long);
        }

        // Per request, so that a failure says which requests allocated and how much.
        var allocations = new System.Collections.Generic.List<string>(16);
        for (int i = 0; i < 5000; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            client.Request(request, response, Long);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated != 0 && allocations.Count < 16)
            {
                allocations.Add($"request {i}: {allocated} B");
            }
        }

        Assert.True(allocations.Count == 0, string.Join(", ", allocations));
        client.Dispose();
        Assert.Equal(ReadStatus.Completed, await run.WaitAsync(Long));
    }

    private static Peer StartServer(TestDirectory dir)
    {
        Peer server = Peer.Start("ch-rr-server", "rr", $"dir={dir.Path}");
        server.WaitForLine("listening", Long);
        return server;
    }
}
