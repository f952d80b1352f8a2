using System.Runtime.CompilerServices;

namespace Ring.Tests;

/// <summary>
/// The value type the contract runs the slot rings with: a frame in a struct (length, type, and up to 512 payload
/// bytes inline), so that the frame-ring contract applies to them unchanged through <see cref="SlotMessageAdapter"/>.
/// </summary>
public struct SlotTestMessage
{
    public const int PayloadCapacity = 512;

    public int Length;

    public int Type;

    public Payload Bytes;

    [InlineArray(PayloadCapacity)]
    public struct Payload
    {
        private byte _element;
    }
}
