namespace Ring;

/// <summary>
/// Receives values from a batch read of a slot ring. Implement it on a struct and pass it by reference for a call the
/// JIT can inline; the value is a reference into the slot (zero copy), valid only during the call.
/// </summary>
/// <typeparam name="T">The value type of the ring.</typeparam>
public interface ISlotHandler<T>
    where T : unmanaged
{
    /// <summary>Handles one message.</summary>
    /// <param name="message">The value, in its slot; copy what must outlive the call.</param>
    void OnMessage(in T message);
}
