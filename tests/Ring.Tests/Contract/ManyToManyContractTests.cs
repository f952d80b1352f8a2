namespace Ring.Tests;

/// <summary>Tier 3 for <see cref="ManyToManyRing"/>: the shared contract, a writer and a reader as separate mappings.</summary>
public sealed class ManyToManyContractTests : RingContractTests
{
    protected override IMessageWriter CreateWriter(TestSegment segment, RingOptions options) => ManyToManyRing.Create(segment.Name, options);

    protected override IMessageReader OpenReader(TestSegment segment, RingOptions options) => ManyToManyRing.Open(segment.Name, options);

    protected override WakeCounters GetWakeCounters(IMessageWriter writer)
    {
        ManyToManyRingStatistics s = ((ManyToManyRing)writer).GetStatistics();
        return new WakeCounters(s.ReaderSleeps, s.ReaderWakeups, s.WriterWakeups, s.MessagesRead);
    }
}
