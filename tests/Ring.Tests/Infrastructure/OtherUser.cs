using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// Another user (uid and gid 65534, "nobody"): makes files theirs, and runs the security probe as them through setpriv,
/// from a copy of the peer in a directory they can read (the checkout may sit under a directory only root may enter).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static partial class OtherUser
{
    public const uint Id = 65534;

    public static void Chown(string path)
    {
        if (ChownNative(path, Id, Id) != 0)
        {
            throw new IOException($"chown('{path}', {Id}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Runs one create or open as uid 65534 and returns the probe's line: "OK" or "EXCEPTION Type: message".</summary>
    public static string Probe(string action, string path, bool allowOtherOwner = false)
    {
        string copy = Path.Join(Path.GetTempPath(), $"ringtest-peer-{Environment.ProcessId}");
        if (!Directory.Exists(copy))
        {
            Directory.CreateDirectory(copy);
            foreach (string file in new[] { "Ring.TestPeer.dll", "Ring.TestPeer.runtimeconfig.json", "Ring.TestPeer.deps.json", "Ring.dll", "Ring.Interop.dll" })
            {
                string source = Path.Combine(AppContext.BaseDirectory, file);
                if (File.Exists(source))
                {
                    File.Copy(source, Path.Join(copy, file), overwrite: true);
                }
            }

            File.SetUnixFileMode(copy, (UnixFileMode)0x1ED); // 0755
        }

        var info = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { $"--reuid={Id}", $"--regid={Id}", "--clear-groups", DotNetHost(), Path.Join(copy, "Ring.TestPeer.dll"), "security-probe", path, "action=" + action })
        {
            info.ArgumentList.Add(arg);
        }

        if (allowOtherOwner)
        {
            info.ArgumentList.Add("allow-other-owner=true");
        }

        info.Environment["HOME"] = Path.GetTempPath();
        info.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            Assert.Fail("the probe as uid 65534 did not finish within 60 s");
        }

        string line = output.Trim();
        Assert.True(process.ExitCode == 0 && line.Length > 0, $"the probe as uid 65534 failed to run (exit {process.ExitCode}): {output} {error}");
        return line;
    }

    private static string DotNetHost()
    {
        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "/usr/bin/dotnet";
    }

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChownNative(string path, uint owner, uint group);
}
