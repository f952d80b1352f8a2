using System;

namespace Ring.TestPeer;

/// <summary>
/// The security probe: one create or open attempt, run by the tests as another user (uid 65534 through setpriv). It
/// prints "OK" or "EXCEPTION Type: message" on stdout and exits 0; the test judges the line.
/// </summary>
public static class SecurityModes
{
    public static bool Handles(string mode) => mode == "security-probe";

    public static int Run(string path, ReadOnlySpan<string> settings)
    {
        string action = "open";
        bool allowOtherOwner = false;
        foreach (string s in settings)
        {
            if (s.StartsWith("action=", StringComparison.Ordinal))
            {
                action = s["action=".Length..];
            }
            else if (s == "allow-other-owner=true")
            {
                allowOtherOwner = true;
            }
        }

        try
        {
            var options = new RingOptions { OpenTimeout = TimeSpan.Zero, AllowOtherOwner = allowOtherOwner };
            using OneToOneRing ring = action == "create" ? OneToOneRing.Create(path, options) : OneToOneRing.Open(path, options);
            if (action == "create")
            {
                RingSegment.Remove(path);
            }

            Console.Out.WriteLine("OK");
        }
        catch (Exception e)
        {
            Console.Out.WriteLine($"EXCEPTION {e.GetType().Name}: {e.Message}");
        }

        return 0;
    }
}
