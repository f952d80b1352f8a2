namespace Ring;

/// <summary>How a blocking or asynchronous operation waits for the other side.</summary>
public enum WaitStrategy
{
    /// <summary>
    /// The default: spin briefly (<see cref="RingOptions.SpinDuration"/>), then yield the processor a few times, then sleep
    /// on a futex in the segment. Near the latency of <see cref="BusySpin"/> under load, near 0% CPU when idle.
    /// </summary>
    Hybrid = 0,

    /// <summary>
    /// Spin on the shared memory and never sleep: the lowest latency, one core busy for as long as it waits. The spin
    /// still yields the processor every few thousand iterations and checks timeouts, cancellation and the peer's liveness.
    /// </summary>
    BusySpin = 1,

    /// <summary>Sleep on the futex at once, without spinning: the least CPU, a system call on every wait.</summary>
    Blocking = 2,

    /// <summary>
    /// Spin, yield, then poll in one-millisecond naps. Needs no futex: the portable fallback used where futexes are not
    /// available (anything but Linux x64 and arm64), selectable on Linux too.
    /// </summary>
    Polling = 3,
}
