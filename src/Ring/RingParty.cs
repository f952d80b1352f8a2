namespace Ring;

/// <summary>A process a segment records: its creator, or one attached in a role.</summary>
/// <param name="Role">What it is: <c>creator</c>, <c>writer</c>, <c>reader</c>, <c>owner</c> (a mutex), <c>participant</c> (a barrier).</param>
/// <param name="ProcessId">Its pid.</param>
/// <param name="StartTime">Its start time as the segment records it: field 22 of <c>/proc/PID/stat</c>, clock ticks after boot (a mutex owner's holds the low 32 bits only).</param>
/// <param name="IsAlive">Whether that process (pid and start time, so not a later process that reused the pid) was alive when inspected.</param>
/// <param name="Lag">For a reader, the bytes it has yet to read; null for the other roles.</param>
public readonly record struct RingParty(string Role, int ProcessId, long StartTime, bool IsAlive, long? Lag);
