namespace Ring;

/// <summary>One reader of a broadcast ring, as its slot in the segment shows it.</summary>
/// <param name="Id">The reader's slot in the reader table (0 to 63).</param>
/// <param name="ProcessId">The pid of the process holding the slot.</param>
/// <param name="IsAlive">Whether that process is alive (pid and start time checked now).</param>
/// <param name="Position">Byte position of the next frame it reads; -1 while it joins.</param>
/// <param name="NextSequence">The number of the next message it reads.</param>
/// <param name="LagBytes">Bytes committed that it has not read: tail - position (more than the capacity when a lossy reader was lapped and has not noticed yet).</param>
/// <param name="LagMessages">Messages committed that it has not read or lost yet: messages written - next sequence.</param>
/// <param name="MessagesRead">Messages it has read since it joined.</param>
/// <param name="MessagesLost">Messages overwritten before it read them (lossy mode; 0 in gated mode).</param>
/// <param name="Laps">Times it found itself lapped by the writer (lossy mode).</param>
public readonly record struct BroadcastReaderStatistics(
    int Id,
    int ProcessId,
    bool IsAlive,
    long Position,
    long NextSequence,
    long LagBytes,
    long LagMessages,
    long MessagesRead,
    long MessagesLost,
    long Laps);
