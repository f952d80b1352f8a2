namespace Ring.Channels;

/// <summary>A response received by <see cref="RequestClient"/>: its message type and the number of bytes written to the caller's buffer.</summary>
/// <param name="Type">The response's message type, as the server's handler set it (<see cref="ResponseWriter.Type"/>).</param>
/// <param name="Length">Bytes of the response body in the caller's buffer.</param>
public readonly record struct RingResponse(int Type, int Length);
