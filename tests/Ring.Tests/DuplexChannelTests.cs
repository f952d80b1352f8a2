using System;
using System.IO;
using System.Threading.Tasks;
using Ring.Channels;
using Ring.TestPeer;
using Xunit;

namespace Ring.Tests;

/// <summary>DuplexChannel between this process and a peer process, both ways round, with completion and death.</summary>
public class DuplexChannelTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    internal static RingOptions Options(TestDirectory dir, long capacity = 1 << 16) => new()
    {
        Capacity = capacity,
        Directory = dir.Path,
        OpenTimeout = TimeSpan.FromSeconds(10),
        LivenessCheckInterval = TimeSpan.FromMilliseconds(20),
    };

    [Fact]
    public void ListenerAndConnectorExchangeMessagesBothWaysAndSeeEachOthersCompletion()
    {
        using var dir = new TestDirectory();
        using DuplexChannel channel = DuplexChannel.Listen("chan", Options(dir));
        using Peer peer = Peer.Start("ch-duplex-echo", "chan", $"dir={dir.Path}");
        Assert.True(channel.WaitForPeer(Long), $"no connector; stderr: {peer.StandardError}");
        Assert.True(channel.IsListener);
        Assert.Equal(peer.ProcessId, channel.PeerProcessId);
        Assert.True(channel.IsPeerAlive);

        byte[] sent = new byte[channel.MaxMessageLength];
        byte[] received = new byte[channel.MaxMessageLength];
        const int Count = 2000;
        for (long i = 0; i < Count; i++)
        {
            int length = MessagePattern.Length(3, i, 1000);
            MessagePattern.Fill(sent.AsSpan(0, length), 3, i);
            Assert.True(channel.Send(sent.AsSpan(0, length), MessagePattern.Type(i), Long));
            Assert.Equal(ReadStatus.Message, channel.Receive(received, out RingMessage m, Long));
            Assert.Null(MessagePattern.Verify(received.AsSpan(0, m.Length), m.Type, 3, i, 1000));
        }

        channel.Complete();
        Assert.Equal(ReadStatus.Completed, channel.Receive(received, out _, Long));
        Assert.True(channel.IsPeerCompleted);
        Assert.StartsWith($"completed {Count}", peer.WaitForLine("completed", Long));
        peer.AssertSuccess(Long);
    }

    [Fact]
    public void AConnectorInThisProcessTalksToAListeningPeer()
    {
        using var dir = new TestDirectory();
        using Peer peer = Peer.Start("ch-duplex-echo", "chan", $"dir={dir.Path}", "listen");
        using DuplexChannel channel = DuplexChannel.Connect("chan", Long, Options(dir));
        Assert.False(channel.IsListener);
        byte[] buffer = new byte[64];
        for (int i = 0; i < 100; i++)
        {
            Assert.True(channel.Send(BitConverter.GetBytes(i), i, Long));
            Assert.Equal(ReadStatus.Message, channel.Receive(buffer, out RingMessage m, Long));
            Assert.Equal(i, m.Type);
            Assert.Equal(i, BitConverter.ToInt32(buffer));
        }

        // Dispose completes this side's direction: the peer sees the end, completes its own and exits.
        channel.Dispose();
        peer.AssertSuccess(Long);
    }

    [Fact]
    public async Task AsyncSendAndReceiveAndConfirmedSendsWorkAcrossTheChannel()
    {
        using var dir = new TestDirectory();
        using DuplexChannel channel = DuplexChannel.Listen("chan", Options(dir));
        using Peer peer = Peer.Start("ch-duplex-echo", "chan", $"dir={dir.Path}");
        Assert.True(channel.WaitForPeer(Long));
        byte[] buffer = new byte[64];
        for (int i = 0; i < 200; i++)
        {
            await channel.SendAsync(BitConverter.GetBytes(i), i);
            RingMessage m = await channel.ReceiveAsync(buffer);
            Assert.Equal(i, m.Type);
            Assert.Equal(i, BitConverter.ToInt32(buffer));
        }

        // The echo peer reads each message before it answers: a confirmed send is consumed.
        Assert.Equal(DeliveryStatus.Consumed, channel.SendConfirmed("sync"u8, 1, Long));
        Assert.Equal(ReadStatus.Message, channel.Receive(buffer, out _, Long));
        Assert.Equal(DeliveryStatus.Consumed, await channel.SendConfirmedAsync("async"u8.ToArray(), 2, Long));
        Assert.Equal(ReadStatus.Message, channel.Receive(buffer, out _, Long));
        Assert.False(channel.TryReceive(buffer, out _));

        channel.Complete();
        await Assert.ThrowsAsync<RingCompletedException>(async () => await channel.ReceiveAsync(buffer));
        peer.AssertSuccess(Long);
    }

    [Fact]
    public void APeerThatDiesIsSeenByReceiveAfterItsLastMessage()
    {
        using var dir = new TestDirectory();
        using DuplexChannel channel = DuplexChannel.Listen("chan", Options(dir));
        using Peer peer = Peer.Start("ch-duplex-hold", "chan", $"dir={dir.Path}");
        peer.WaitForLine("ready", Long);
        peer.Kill();

        byte[] buffer = new byte[64];
        Assert.Equal(ReadStatus.Message, channel.Receive(buffer, out RingMessage m, Long));
        Assert.Equal(7, m.Type);
        Assert.Equal("hello"u8.ToArray(), buffer.AsSpan(0, m.Length).ToArray());
        Assert.Equal(ReadStatus.WriterDied, channel.Receive(buffer, out _, Long));
        Assert.False(channel.IsPeerAlive);
    }

    [Fact]
    public void ConnectingWithoutAListenerTimesOutNamingTheChannel()
    {
        using var dir = new TestDirectory();
        var e = Assert.Throws<TimeoutException>(() => DuplexChannel.Connect("nobody", TimeSpan.FromMilliseconds(100), Options(dir)));
        Assert.Contains("'nobody'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADeadListenersChannelIsRefusedToConnectorsAndReplacedByANewListener()
    {
        using var dir = new TestDirectory();
        using (Peer peer = Peer.Start("ch-duplex-hold", "chan", $"dir={dir.Path}", "listen"))
        {
            peer.WaitForLine("ready", Long);
            peer.Kill();
        }

        var e = Assert.Throws<RingPeerDeadException>(() => DuplexChannel.Connect("chan", Long, Options(dir)));
        Assert.Contains("no live listener", e.Message, StringComparison.Ordinal);

        // Every party of the old segments is dead: listening again replaces them.
        using DuplexChannel channel = DuplexChannel.Listen("chan", Options(dir));
        Assert.False(channel.IsPeerAlive);
    }

    [Fact]
    public void ListeningOnANameALiveListenerHoldsIsRefused()
    {
        using var dir = new TestDirectory();
        using DuplexChannel first = DuplexChannel.Listen("chan", Options(dir), removeOnDispose: false);
        Assert.Throws<IOException>(() => DuplexChannel.Listen("chan", Options(dir)));
    }

    [Fact]
    public void ASecondConnectorIsRefusedWhileTheFirstLives()
    {
        using var dir = new TestDirectory();
        using DuplexChannel channel = DuplexChannel.Listen("chan", Options(dir));
        using Peer peer = Peer.Start("ch-duplex-hold", "chan", $"dir={dir.Path}");
        peer.WaitForLine("ready", Long);
        var e = Assert.Throws<InvalidOperationException>(() => DuplexChannel.Connect("chan", Long, Options(dir)));
        Assert.Contains(peer.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DisposingTheListenerRemovesBothSegments()
    {
        using var dir = new TestDirectory();
        DuplexChannel channel = DuplexChannel.Listen("chan", Options(dir));
        Assert.True(File.Exists(dir.File("chan" + DuplexChannel.UpSuffix)));
        Assert.True(File.Exists(dir.File("chan" + DuplexChannel.DownSuffix)));
        channel.Dispose();
        channel.Dispose();
        Assert.False(File.Exists(dir.File("chan" + DuplexChannel.UpSuffix)));
        Assert.False(File.Exists(dir.File("chan" + DuplexChannel.DownSuffix)));
        Assert.Throws<ObjectDisposedException>(() => channel.IsPeerAlive);
    }

    [Fact]
    public void BadArgumentsAreRefusedWithTheRule()
    {
        using var dir = new TestDirectory();
        Assert.Throws<ArgumentNullException>(() => DuplexChannel.Listen(null!, Options(dir)));
        Assert.Throws<ArgumentException>(() => DuplexChannel.Listen("a/b", Options(dir)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DuplexChannel.Connect("chan", TimeSpan.FromSeconds(-2), Options(dir)));
        using DuplexChannel channel = DuplexChannel.Listen("chan", Options(dir, capacity: 4096));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => channel.TrySend(new byte[channel.MaxMessageLength + 1]));
        Assert.Contains((channel.MaxMessageLength + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }
}
