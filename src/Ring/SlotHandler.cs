namespace Ring;

/// <summary>A delegate that receives values from a batch read of a slot ring; the value is valid only during the call.</summary>
/// <typeparam name="T">The value type of the ring.</typeparam>
/// <param name="message">The value, in its slot; copy what must outlive the call.</param>
public delegate void SlotHandler<T>(in T message)
    where T : unmanaged;
