using System.IO;

namespace Ring;

/// <summary>
/// Shared memory holds a value no correct peer writes: a position out of range, a frame length that would leave the
/// data region, a reserved type. The operation stops before reading out of bounds; the ring should be discarded.
/// </summary>
public sealed class RingCorruptedException : IOException
{
    /// <summary>Creates the exception with a message that names the field, its value and the rule.</summary>
    public RingCorruptedException(string message)
        : base(message)
    {
    }
}
