using System.Collections.Generic;

namespace Ring.Channels;

/// <summary>A snapshot of a <see cref="LaneMailbox"/>: its doorbell's counters and every lane's ring statistics.</summary>
/// <param name="ReceiverSleeps">Futex sleeps of the receiver on the doorbell (all lanes empty).</param>
/// <param name="ReceiverWakeups">Futex wake-ups senders (and completion) issued on the doorbell.</param>
/// <param name="IsReceiverSleeping">True while the receiver is inside the doorbell's sleep protocol (its sleeper count is not 0): a send now wakes it.</param>
/// <param name="IsCompleted">True once a sender completed the mailbox (messages may still be waiting).</param>
/// <param name="Lanes">The statistics of each lane's ring, lane 0 first.</param>
public sealed record LaneMailboxStatistics(
    long ReceiverSleeps,
    long ReceiverWakeups,
    bool IsReceiverSleeping,
    bool IsCompleted,
    IReadOnlyList<ManyToOneRingStatistics> Lanes);
