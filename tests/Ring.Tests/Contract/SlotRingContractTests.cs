namespace Ring.Tests;

/// <summary>Tier 3 for <see cref="SlotRing{T}"/>: the shared frame-ring contract, through <see cref="SlotMessageAdapter"/>.</summary>
public sealed class SlotRingContractTests : RingContractTests
{
    protected override IMessageWriter CreateWriter(TestSegment segment, RingOptions options) =>
        new OneToOneSlotAdapter(SlotRing<SlotTestMessage>.Create(segment.Name, SlotMessageAdapter.SlotCountFor(options), options), SlotMessageAdapter.MaxLengthFor(options));

    protected override IMessageReader OpenReader(TestSegment segment, RingOptions options) =>
        new OneToOneSlotAdapter(SlotRing<SlotTestMessage>.Open(segment.Name, options), SlotTestMessage.PayloadCapacity);

    protected override WakeCounters GetWakeCounters(IMessageWriter writer)
    {
        SlotRingStatistics s = ((OneToOneSlotAdapter)writer).Ring.GetStatistics();
        return new WakeCounters(s.ReaderSleeps, s.ReaderWakeups, s.WriterWakeups, s.MessagesRead);
    }
}
