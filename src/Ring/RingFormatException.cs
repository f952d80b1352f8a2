using System.IO;

namespace Ring;

/// <summary>
/// A file is not a Ring segment this library can open: a wrong magic, layout version or kind, a header field that
/// breaks a size rule, a checksum mismatch, or a file shorter than its header says. Raised on open, before any byte of
/// the data region is read.
/// </summary>
public sealed class RingFormatException : IOException
{
    /// <summary>Creates the exception with a message that names the field, its value and the rule.</summary>
    public RingFormatException(string message)
        : base(message)
    {
    }
}
