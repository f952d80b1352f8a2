using System.Runtime.CompilerServices;
using Ring.Layout;

namespace Ring;

/// <summary>
/// Encodes and compares slot stamps (<see cref="SlotRingDescriptor"/>): lap, state, abandoned flag, party. A stamp
/// names the position it belongs to through its lap, so a compare-and-swap made with a stamp read one or more laps ago
/// fails instead of acting on a reused slot (no ABA).
/// </summary>
internal static class SlotStamp
{
    internal const int LapShift = SlotRingDescriptor.StampLapShift;
    internal const int StateShift = SlotRingDescriptor.StampStateShift;
    internal const long AbandonedFlag = SlotRingDescriptor.StampAbandonedFlag;
    internal const long PartyMask = SlotRingDescriptor.StampPartyMask;
    internal const long Writing = (long)SlotRingDescriptor.StateWriting << StateShift;
    internal const long Full = (long)SlotRingDescriptor.StateFull << StateShift;
    internal const long Taken = (long)SlotRingDescriptor.StateTaken << StateShift;
    internal const long StateMask = 3L << StateShift;

    /// <summary>The free stamp of the lap of <paramref name="position"/> (party 0), in a ring of 2^<paramref name="log2"/> slots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long FreeOf(long position, int log2) => (position >> log2) << LapShift;

    /// <summary>The state bits (0 free, 1 writing, 2 full, 3 taken).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int StateOf(long stamp) => (int)((stamp >> StateShift) & 3);

    /// <summary>The party bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int PartyOf(long stamp) => (int)(stamp & PartyMask);

    /// <summary>True for a claim given up (state taken with the abandoned flag).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsAbandoned(long stamp) => (stamp & (StateMask | AbandonedFlag)) == (Taken | AbandonedFlag);

    /// <summary>The same stamp one lap later, state free, party 0: what a slot becomes once its position is done with.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long NextLapFree(long stamp) => ((stamp >> LapShift) + 1) << LapShift;

    /// <summary>
    /// rank(a) - rank(b), where rank = lap × 4 + state, as a signed 55-bit difference (so the 53-bit lap may wrap).
    /// Positive: <paramref name="a"/> is later in the slot's life than <paramref name="b"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long Compare(long a, long b) => (((long)((ulong)a >> StateShift) - (long)((ulong)b >> StateShift)) << StateShift) >> StateShift;

    /// <summary>The stamp in words, for error messages.</summary>
    internal static string Describe(long stamp)
    {
        string state = StateOf(stamp) switch
        {
            0 => "free",
            1 => "writing",
            2 => "full",
            _ => IsAbandoned(stamp) ? "abandoned" : "taken",
        };
        return $"0x{stamp:X16} (lap {(ulong)stamp >> LapShift}, {state}, party {PartyOf(stamp)})";
    }
}
