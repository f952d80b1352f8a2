using System;

namespace Ring.Cli;

/// <summary>A failure the tool reports as one line on stderr, with its exit code.</summary>
internal sealed class CommandFailedException : Exception
{
    public CommandFailedException()
    {
    }

    public CommandFailedException(string message)
        : this(message, ExitCodes.Failure)
    {
    }

    public CommandFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Failure;
    }

    public CommandFailedException(string message, int exitCode)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; } = ExitCodes.Failure;
}
