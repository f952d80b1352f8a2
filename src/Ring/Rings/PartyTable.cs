using System.Runtime.CompilerServices;

namespace Ring;

/// <summary>
/// A table of attached parties (writers or readers) in a segment: <c>count</c> entries of <c>entryLength</c> bytes at
/// <c>offset</c>, each starting with the 8-byte identity of the process holding it (pid in the high half, the low 32
/// bits of its start time in the low half; see <see cref="ProcessLiveness.Identity"/>), 0 when free. The rest of an
/// entry belongs to the ring kind (a position, a claim intent, counters).
/// </summary>
/// <remarks>
/// Entries are taken and given back with a compare-and-swap on the identity word (a full fence), so what a party
/// wrote into its entry before detaching is visible to whoever takes the entry next. Death is decided by the identity:
/// a pid that no longer runs, or runs with another start time, is dead (pid reuse cannot fool it).
/// </remarks>
internal readonly unsafe struct PartyTable
{
    private readonly SharedMemory _memory;
    private readonly long _offset;

    internal PartyTable(SharedMemory memory, long offset, int count, int entryLength)
    {
        _memory = memory;
        _offset = offset;
        Count = count;
        EntryLength = entryLength;
    }

    /// <summary>The number of entries.</summary>
    internal int Count { get; }

    /// <summary>The length of one entry in bytes (a multiple of 8; 128 keeps entries written by different processes off each other's cache lines).</summary>
    internal int EntryLength { get; }

    /// <summary>The segment offset of entry <paramref name="index"/>; its identity word is there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long EntryOffset(int index) => _offset + ((long)index * EntryLength);

    /// <summary>The identity in entry <paramref name="index"/> (acquire: what its holder wrote before taking it is visible), 0 if free.</summary>
    internal long IdentityAt(int index) => _memory.ReadInt64Acquire(EntryOffset(index));

    /// <summary>True if entry <paramref name="index"/> is held by a live process.</summary>
    internal bool IsHeldByLiveParty(int index)
    {
        long identity = IdentityAt(index);
        return identity != 0 && ProcessLiveness.IsAlive(identity);
    }

    /// <summary>True if entry <paramref name="index"/> is held by a process that has died.</summary>
    internal bool IsHeldByDeadParty(int index)
    {
        long identity = IdentityAt(index);
        return identity != 0 && !ProcessLiveness.IsAlive(identity);
    }

    /// <summary>
    /// Takes the first free entry for <paramref name="identity"/>; with <paramref name="reclaimDead"/>, also an entry whose
    /// holder has died (only for kinds where a dead party's entry needs no recovery first). Returns the index, or -1 if
    /// every entry is held (by live parties, or by dead ones not reclaimed).
    /// </summary>
    internal int TryAttach(long identity, bool reclaimDead)
    {
        for (int i = 0; i < Count; i++)
        {
            if (_memory.CompareExchangeInt64(EntryOffset(i), identity, 0) == 0)
            {
                return i;
            }
        }

        if (reclaimDead)
        {
            for (int i = 0; i < Count; i++)
            {
                long holder = IdentityAt(i);
                if (holder != 0 && !ProcessLiveness.IsAlive(holder) && TryReclaim(i, holder, identity))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    /// <summary>Takes entry <paramref name="index"/> from a dead holder, if it still holds it; the caller has recovered what it left.</summary>
    internal bool TryReclaim(int index, long deadIdentity, long identity) =>
        _memory.CompareExchangeInt64(EntryOffset(index), identity, deadIdentity) == deadIdentity;

    /// <summary>Gives entry <paramref name="index"/> back, if <paramref name="identity"/> still holds it (a CAS: a full fence publishes the entry's last state).</summary>
    internal bool Detach(int index, long identity) =>
        _memory.CompareExchangeInt64(EntryOffset(index), 0, identity) == identity;
}
