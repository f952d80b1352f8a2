using Xunit;

namespace Ring.Tests;

/// <summary>Tier 3 for a gated <see cref="BroadcastRing"/>: the shared contract with one reader.</summary>
public sealed class GatedBroadcastContractTests : RingContractTests
{
    protected override IMessageWriter CreateWriter(TestSegment segment, RingOptions options) => BroadcastRing.Create(segment.Name, BroadcastMode.Gated, options);

    protected override IMessageReader OpenReader(TestSegment segment, RingOptions options) => BroadcastReader.Open(segment.Name, BroadcastStart.Oldest, options);

    protected override WakeCounters GetWakeCounters(IMessageWriter writer) => BroadcastContract.Counters((BroadcastRing)writer);
}

/// <summary>Tier 3 for a lossy <see cref="BroadcastRing"/>: the shared contract with one reader; its writer never waits.</summary>
public sealed class LossyBroadcastContractTests : RingContractTests
{
    protected override bool WriterWaitsForSpace => false;

    protected override IMessageWriter CreateWriter(TestSegment segment, RingOptions options) => BroadcastRing.Create(segment.Name, BroadcastMode.Lossy, options);

    protected override IMessageReader OpenReader(TestSegment segment, RingOptions options) => BroadcastReader.Open(segment.Name, BroadcastStart.Oldest, options);

    protected override WakeCounters GetWakeCounters(IMessageWriter writer) => BroadcastContract.Counters((BroadcastRing)writer);
}

internal static class BroadcastContract
{
    public static WakeCounters Counters(BroadcastRing ring)
    {
        BroadcastRingStatistics s = ring.GetStatistics();
        return new WakeCounters(s.ReaderSleeps, s.ReaderWakeups, s.WriterWakeups, s.MessagesRead);
    }
}
