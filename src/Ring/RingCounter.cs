namespace Ring;

/// <summary>One counter or gauge a segment keeps in shared memory, as inspected; the "Ring" meter exports the same values.</summary>
/// <param name="Name">The instrument name, e.g. <c>ring.messages.written</c>.</param>
/// <param name="Party">The party the value belongs to (<c>reader</c>, <c>writer</c>, <c>waiter</c>), or null.</param>
/// <param name="Value">The value read.</param>
/// <param name="Unit">Its unit as OpenTelemetry writes it: <c>By</c> for bytes, <c>{message}</c>, <c>1</c> for a flag.</param>
/// <param name="IsCumulative">True for a count that only grows (a rate is meaningful); false for a level.</param>
/// <param name="Description">What it counts.</param>
public readonly record struct RingCounter(string Name, string? Party, long Value, string Unit, bool IsCumulative, string Description);
