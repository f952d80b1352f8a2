using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Ring.Channels;
using Xunit;

namespace Ring.Tests;

/// <summary>Delivery confirmation on the one-to-one and many-to-one rings, and per-process inboxes (direct naming).</summary>
public class ConfirmationAndInboxTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("one")]
    [InlineData("many")]
    public void AConfirmedSendReturnsOnceTheReaderHasConsumedTheMessage(string kind)
    {
        using var dir = new TestDirectory();
        using IMessageWriter writer = Create(kind, dir, 1 << 16);
        string gate = dir.File("go");
        using Peer reader = Peer.Start("ch-confirm-read", "ring", $"dir={dir.Path}", $"kind={kind}", $"go={gate}", "count=2");
        reader.WaitForLine("attached", Long);

        // The reader reads nothing until the gate opens: the first send cannot be confirmed.
        Assert.Equal(DeliveryStatus.Unconfirmed, Confirm(writer, "first"u8, TimeSpan.FromMilliseconds(50)));
        File.WriteAllText(gate, "go");
        Assert.Equal(DeliveryStatus.Consumed, Confirm(writer, "second"u8, Long));
        reader.AssertSuccess(Long);
    }

    [Fact]
    public async Task AnAsynchronousConfirmedSendReportsBothOutcomes()
    {
        using var dir = new TestDirectory();
        using var writer = OneToOneRing.Create("ring", DuplexChannelTests.Options(dir));
        string gate = dir.File("go");
        using Peer reader = Peer.Start("ch-confirm-read", "ring", $"dir={dir.Path}", "kind=one", $"go={gate}", "count=2");
        reader.WaitForLine("attached", Long);
        Assert.Equal(DeliveryStatus.Unconfirmed, await writer.WriteConfirmedAsync(new byte[10], 1, TimeSpan.FromMilliseconds(50)));
        File.WriteAllText(gate, "go");
        Assert.Equal(DeliveryStatus.Consumed, await writer.WriteConfirmedAsync(new byte[10], 1, Long));
        reader.AssertSuccess(Long);
    }

    [Theory]
    [InlineData("one")]
    [InlineData("many")]
    public void AConfirmedSendReportsTheReadersDeathAndAFullRingAsNotSent(string kind)
    {
        using var dir = new TestDirectory();
        using IMessageWriter writer = Create(kind, dir, 4096);
        using Peer reader = Peer.Start("ch-confirm-read", "ring", $"dir={dir.Path}", $"kind={kind}", $"go={dir.File("never")}");
        reader.WaitForLine("attached", Long);
        byte[] message = new byte[100];
        while (writer.TryWrite(message))
        {
        }

        Assert.Equal(DeliveryStatus.NotSent, Confirm(writer, message, TimeSpan.FromMilliseconds(20)));
        reader.Kill();
        Assert.Throws<RingPeerDeadException>(() => Confirm(writer, message, Long));
    }

    [Theory]
    [InlineData("one")]
    [InlineData("many")]
    public async Task AReaderThatDiesBeforeConsumingIsReported(string kind)
    {
        using var dir = new TestDirectory();
        using IMessageWriter writer = Create(kind, dir, 1 << 16);
        using Peer reader = Peer.Start("ch-confirm-read", "ring", $"dir={dir.Path}", $"kind={kind}", $"go={dir.File("never")}");
        reader.WaitForLine("attached", Long);
        System.Threading.Tasks.Task<DeliveryStatus> send = System.Threading.Tasks.Task.Run(() => Confirm(writer, "lost?"u8.ToArray(), TimeSpan.FromMinutes(10)));
        reader.Kill();
        Assert.Equal(DeliveryStatus.ReaderDied, await send.WaitAsync(Long));
    }

    [Fact]
    public void ProcessesSendToAnotherProcessesInboxByItsPid()
    {
        using var dir = new TestDirectory();
        using Peer owner = Peer.Start("ch-inbox-owner", "-", $"dir={dir.Path}", "count=2000", "senders=2");
        Assert.Equal($"inbox {owner.ProcessId}", owner.WaitForLine("inbox", Long));
        Assert.True(Inbox.Exists(owner.ProcessId, dir.Path));
        using Peer a = Peer.Start("ch-inbox-send", "-", $"dir={dir.Path}", $"pid={owner.ProcessId}", "count=2000", "id=0");
        using Peer b = Peer.Start("ch-inbox-send", "-", $"dir={dir.Path}", $"pid={owner.ProcessId}", "count=2000", "id=1");
        a.AssertSuccess(Long);
        b.AssertSuccess(Long);
        owner.AssertSuccess(Long);
        Assert.False(File.Exists(dir.File(Inbox.NameOf(owner.ProcessId))));
    }

    [Fact]
    public void ThisProcessesInboxReceivesFromAPeerAndIsRemovedOnDispose()
    {
        using var dir = new TestDirectory();
        string path = dir.File(Inbox.NameOf(Environment.ProcessId));
        using (Inbox inbox = Inbox.Create(DuplexChannelTests.Options(dir)))
        {
            Assert.Equal(Environment.ProcessId, inbox.ProcessId);
            Assert.Throws<InvalidOperationException>(() => Inbox.Create(DuplexChannelTests.Options(dir)));
            using Peer sender = Peer.Start("ch-inbox-send", "-", $"dir={dir.Path}", $"pid={Environment.ProcessId}", "count=500", "id=0");
            byte[] buffer = new byte[256];
            for (long i = 0; i < 500; i++)
            {
                Assert.Equal(ReadStatus.Message, inbox.Receive(buffer, out RingMessage m, Long));
                Assert.Equal(0, m.Type);
                Assert.Equal(i, BitConverter.ToInt64(buffer));
            }

            sender.AssertSuccess(Long);
            Assert.True(File.Exists(path));
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AnInboxOfAnAbsentOrDeadProcessIsRefusedAndAStaleOneIsReplaced()
    {
        using var dir = new TestDirectory();
        RingOptions options = DuplexChannelTests.Options(dir);
        Assert.Throws<ArgumentOutOfRangeException>(() => Inbox.Connect(0, options));
        Assert.Throws<ArgumentOutOfRangeException>(() => Inbox.NameOf(-5));

        // This process runs but has no inbox in this directory.
        var none = Assert.Throws<FileNotFoundException>(() => Inbox.Connect(Environment.ProcessId, options));
        Assert.Contains(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), none.Message, StringComparison.Ordinal);

        // An owner killed leaves its inbox behind; a sender is told it is dead, and Exists says no.
        int pid;
        using (Peer owner = Peer.Start("ch-inbox-owner", "-", $"dir={dir.Path}", "count=1"))
        {
            owner.WaitForLine("inbox", Long);
            pid = owner.ProcessId;
            owner.Kill();
        }

        Assert.True(File.Exists(dir.File(Inbox.NameOf(pid))));
        Assert.False(Inbox.Exists(pid, dir.Path));
        var dead = Assert.Throws<RingPeerDeadException>(() => Inbox.Connect(pid, options));
        Assert.Equal(pid, dead.ProcessId);

        // A file left under this process's own pid is a dead process's: creating the inbox replaces it.
        File.Copy(dir.File(Inbox.NameOf(pid)), dir.File(Inbox.NameOf(Environment.ProcessId)));
        using Inbox mine = Inbox.Create(options);
        Assert.True(Inbox.Exists(Environment.ProcessId, dir.Path));
    }

    private static IMessageWriter Create(string kind, TestDirectory dir, long capacity)
    {
        RingOptions options = DuplexChannelTests.Options(dir, capacity);
        return kind == "one" ? OneToOneRing.Create("ring", options) : ManyToOneRing.Create("ring", options);
    }

    private static DeliveryStatus Confirm(IMessageWriter writer, ReadOnlySpan<byte> message, TimeSpan timeout) => writer switch
    {
        OneToOneRing one => one.WriteConfirmed(message, 1, timeout),
        ManyToOneRing many => many.WriteConfirmed(message, 1, timeout),
        _ => throw new ArgumentException("unknown kind"),
    };
}
