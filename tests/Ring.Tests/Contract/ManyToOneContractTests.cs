namespace Ring.Tests;

/// <summary>Tier 3 for <see cref="ManyToOneRing"/>: the shared contract, a writer and the reader as separate mappings.</summary>
public sealed class ManyToOneContractTests : RingContractTests
{
    protected override IMessageWriter CreateWriter(TestSegment segment, RingOptions options) => ManyToOneRing.Create(segment.Name, options);

    protected override IMessageReader OpenReader(TestSegment segment, RingOptions options) => ManyToOneRing.Open(segment.Name, options);

    protected override WakeCounters GetWakeCounters(IMessageWriter writer)
    {
        ManyToOneRingStatistics s = ((ManyToOneRing)writer).GetStatistics();
        return new WakeCounters(s.ReaderSleeps, s.ReaderWakeups, s.WriterWakeups, s.MessagesRead);
    }
}
