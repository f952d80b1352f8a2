using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Ring;

/// <summary>
/// The store-then-load fence that the wake-up protocol needs, split asymmetrically (as in folly's
/// asymmetricLightBarrier/asymmetricHeavyBarrier): the side that runs per message pays a compiler barrier, and the side
/// about to sleep pays a <c>membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)</c>, which makes every running thread of every
/// registered process execute a full memory barrier before it returns. Where the kernel lacks it, or
/// <c>RING_NO_MEMBARRIER=1</c> is set, the fast side falls back to a full fence of its own.
/// </summary>
internal static class AsymmetricFence
{
    private static readonly bool s_heavyAvailable = QueryHeavy();

    /// <summary>True when this process registered for expedited global membarriers, so <see cref="Light"/> needs no fence.</summary>
    internal static readonly bool IsLightweight = s_heavyAvailable && Register();

    /// <summary>The fast side's half: orders an earlier store before a later load, paired with <see cref="Heavy"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Light()
    {
        if (!IsLightweight)
        {
            Interlocked.MemoryBarrier();
        }
    }

    /// <summary>The sleeping side's half: a local full fence, then a barrier on every running registered thread.</summary>
    internal static void Heavy()
    {
        Interlocked.MemoryBarrier();

        // Called whenever the kernel offers it, whatever this process chose for its own fast side: a peer process may
        // have registered and rely on it.
        if (s_heavyAvailable)
        {
            Interop.Sys.Membarrier(Interop.Sys.MEMBARRIER_CMD_GLOBAL_EXPEDITED);
        }
    }

    private static bool QueryHeavy()
    {
        if (!Interop.SyscallNumbers.IsSupported)
        {
            return false;
        }

        try
        {
            int mask = Interop.Sys.Membarrier(Interop.Sys.MEMBARRIER_CMD_QUERY);
            const int Needed = Interop.Sys.MEMBARRIER_CMD_GLOBAL_EXPEDITED | Interop.Sys.MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
            return (mask & Needed) == Needed;
        }
        catch (System.IO.IOException)
        {
            return false;
        }
    }

    private static bool Register()
    {
        if (Environment.GetEnvironmentVariable("RING_NO_MEMBARRIER") == "1")
        {
            return false;
        }

        try
        {
            Interop.Sys.Membarrier(Interop.Sys.MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED);
            return true;
        }
        catch (System.IO.IOException)
        {
            return false;
        }
    }
}
