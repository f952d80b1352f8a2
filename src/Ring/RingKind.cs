namespace Ring;

/// <summary>What a segment holds (a ring or a synchronization primitive), recorded in its header and checked on open.</summary>
public enum RingKind
{
    /// <summary>One writer process, one reader process, variable-length frames.</summary>
    OneToOne = 1,

    /// <summary>Any number of writer processes, one reader process, variable-length frames (<see cref="ManyToOneRing"/>).</summary>
    ManyToOne = 2,

    /// <summary>One writer process, several reader processes that each see every message (<see cref="BroadcastRing"/>).</summary>
    Broadcast = 3,

    /// <summary>Any number of writer processes, any number of competing reader processes, each message to one reader (<see cref="ManyToManyRing"/>).</summary>
    ManyToMany = 4,

    /// <summary>One writer process, one reader process, fixed-size slots of an unmanaged struct (<see cref="SlotRing{T}"/>).</summary>
    SlotOneToOne = 5,

    /// <summary>Any number of writer and reader processes, fixed-size slots, each message to exactly one reader (<see cref="ManyToManySlotRing{T}"/>).</summary>
    SlotManyToMany = 6,

    /// <summary>A <see cref="SharedMutex"/>.</summary>
    Mutex = 16,

    /// <summary>A <see cref="SharedSemaphore"/>.</summary>
    Semaphore = 17,

    /// <summary>A <see cref="SharedEvent"/>.</summary>
    Event = 18,

    /// <summary>A <see cref="SharedBarrier"/>.</summary>
    Barrier = 19,
}
