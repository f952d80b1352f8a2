namespace Ring;

/// <summary>Adapts a <see cref="SlotHandler{T}"/> delegate to the struct handler the batch reads take.</summary>
internal readonly struct DelegateSlotHandler<T>(SlotHandler<T> handler) : ISlotHandler<T>
    where T : unmanaged
{
    public void OnMessage(in T message) => handler(in message);
}
