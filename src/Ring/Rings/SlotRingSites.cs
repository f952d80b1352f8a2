using Ring.Layout;

namespace Ring;

/// <summary>What both slot ring kinds build the same way from their segment: the two futex sites and the statistics.</summary>
internal static class SlotRingSites
{
    /// <summary>Where readers sleep waiting for data; writers wake them.</summary>
    internal static unsafe FutexSite Data(SharedMemory m) => new(
        m.Int32At(SlotRingDescriptor.DataSignalOffset),
        m.Int32At(SlotRingDescriptor.ReaderSleepersOffset),
        m.Int64At(SlotRingDescriptor.ReaderSleepsOffset),
        m.Int64At(SlotRingDescriptor.ReaderWakeupsOffset));

    /// <summary>Where writers sleep waiting for a free slot; readers wake them.</summary>
    internal static unsafe FutexSite Space(SharedMemory m) => new(
        m.Int32At(SlotRingDescriptor.SpaceSignalOffset),
        m.Int32At(SlotRingDescriptor.WriterSleepersOffset),
        m.Int64At(SlotRingDescriptor.WriterSleepsOffset),
        m.Int64At(SlotRingDescriptor.WriterWakeupsOffset));

    /// <summary>
    /// Reads the counters. Messages written and read are the given counts when not negative (a one-to-one ring derives
    /// them from its positions), else the sums over the party tables' entries.
    /// </summary>
    internal static SlotRingStatistics Statistics(SharedMemory m, int slotCount, PartyTable writers, PartyTable readers, long written, long read)
    {
        long enqueue = m.ReadInt64Acquire(SlotRingDescriptor.EnqueueOffset);
        long sumWritten = 0;
        long stalls = 0;
        int writerCount = 0;
        for (int i = 0; i < writers.Count; i++)
        {
            sumWritten += m.ReadInt64Acquire(writers.EntryOffset(i) + SlotRingDescriptor.EntryMessagesOffset);
            stalls += m.ReadInt64Acquire(writers.EntryOffset(i) + SlotRingDescriptor.EntryFullStallsOffset);
            writerCount += writers.IdentityAt(i) != 0 ? 1 : 0;
        }

        long sumRead = 0;
        int readerCount = 0;
        for (int i = 0; i < readers.Count; i++)
        {
            sumRead += m.ReadInt64Acquire(readers.EntryOffset(i) + SlotRingDescriptor.EntryMessagesOffset);
            readerCount += readers.IdentityAt(i) != 0 ? 1 : 0;
        }

        return new SlotRingStatistics(
            SlotCount: slotCount,
            EnqueuePosition: enqueue & ~SlotRingDescriptor.ClosedMark,
            DequeuePosition: m.ReadInt64Acquire(SlotRingDescriptor.DequeueOffset),
            IsCompleted: enqueue < 0,
            MessagesWritten: written >= 0 ? written : sumWritten,
            MessagesRead: read >= 0 ? read : sumRead,
            FullStalls: stalls,
            ReaderSleeps: m.ReadInt64Acquire(SlotRingDescriptor.ReaderSleepsOffset),
            ReaderWakeups: m.ReadInt64Acquire(SlotRingDescriptor.ReaderWakeupsOffset),
            WriterSleeps: m.ReadInt64Acquire(SlotRingDescriptor.WriterSleepsOffset),
            WriterWakeups: m.ReadInt64Acquire(SlotRingDescriptor.WriterWakeupsOffset),
            AbandonedClaims: m.ReadInt64Acquire(SlotRingDescriptor.AbandonedClaimsOffset),
            SkippedPositions: m.ReadInt64Acquire(SlotRingDescriptor.SkippedPositionsOffset),
            LateCommits: m.ReadInt64Acquire(SlotRingDescriptor.LateCommitsOffset),
            Redeliveries: m.ReadInt64Acquire(SlotRingDescriptor.RedeliveriesOffset),
            WriterDeaths: m.ReadInt64Acquire(SlotRingDescriptor.WriterDeathsOffset),
            ReaderDeaths: m.ReadInt64Acquire(SlotRingDescriptor.ReaderDeathsOffset),
            Writers: writerCount,
            Readers: readerCount);
    }
}
