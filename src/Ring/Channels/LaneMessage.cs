namespace Ring.Channels;

/// <summary>What a receive from a <see cref="LaneMailbox"/> delivered.</summary>
/// <param name="Lane">The lane it came from: 0 is the most urgent.</param>
/// <param name="Length">Number of payload bytes written to the caller's buffer.</param>
/// <param name="Type">The 32-bit message type the sender gave.</param>
public readonly record struct LaneMessage(int Lane, int Length, int Type);
