namespace Ring.Cli;

/// <summary>The tool's exit codes, as command-line conventions have them.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    internal const int Ok = 0;

    /// <summary>The command ran and failed: a missing segment, a full ring, a live party in the way, a file that is not a segment.</summary>
    internal const int Failure = 1;

    /// <summary>The command line is wrong: an unknown option, a bad value, a forbidden combination, a name that breaks a rule.</summary>
    internal const int Usage = 2;

    /// <summary>Stopped by Ctrl+C or SIGTERM (128 + SIGINT).</summary>
    internal const int Interrupted = 130;
}
