using Xunit;

namespace Ring.Tests;

/// <summary>A test that needs root (to chown a file, or to run a probe as another user): skipped, saying why, otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!IsRoot)
        {
            Skip = "needs root: it makes a file another user's (chown to uid 65534) or runs a probe as uid 65534 through setpriv";
        }
    }

    public static bool IsRoot => System.OperatingSystem.IsLinux() && Interop.Sys.GetEUid() == 0;
}
