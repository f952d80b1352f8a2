namespace Ring;

/// <summary>What a read delivered: the payload length and the message type.</summary>
/// <param name="Length">Number of payload bytes written to the caller's buffer.</param>
/// <param name="Type">The 32-bit message type the writer gave.</param>
public readonly record struct RingMessage(int Length, int Type);
