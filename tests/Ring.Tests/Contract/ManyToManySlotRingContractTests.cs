namespace Ring.Tests;

/// <summary>Tier 3 for <see cref="ManyToManySlotRing{T}"/>: the shared frame-ring contract, through <see cref="SlotMessageAdapter"/>.</summary>
public sealed class ManyToManySlotRingContractTests : RingContractTests
{
    protected override IMessageWriter CreateWriter(TestSegment segment, RingOptions options) =>
        new ManyToManySlotAdapter(ManyToManySlotRing<SlotTestMessage>.Create(segment.Name, SlotMessageAdapter.SlotCountFor(options), options), SlotMessageAdapter.MaxLengthFor(options));

    protected override IMessageReader OpenReader(TestSegment segment, RingOptions options) =>
        new ManyToManySlotAdapter(ManyToManySlotRing<SlotTestMessage>.Open(segment.Name, options), SlotTestMessage.PayloadCapacity);

    protected override WakeCounters GetWakeCounters(IMessageWriter writer)
    {
        SlotRingStatistics s = ((ManyToManySlotAdapter)writer).Ring.GetStatistics();
        return new WakeCounters(s.ReaderSleeps, s.ReaderWakeups, s.WriterWakeups, s.MessagesRead);
    }
}
