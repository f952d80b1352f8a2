using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace Ring.Tests;

/// <summary>Storage is reserved at creation: a full file system is a clear error then, never a SIGBUS later.</summary>
public class StorageTests
{
    [Fact]
    public void AFullFileSystemFailsTheCreateAndLeavesNoFile()
    {
        // A real 64 KiB tmpfs (the machines that run these tests run them as root).
        string mountPoint = Path.Combine(Path.GetTempPath(), $"ring-tinyfs-{Environment.ProcessId}");
        Directory.CreateDirectory(mountPoint);
        try
        {
            Run("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", mountPoint);
            try
            {
                var options = new RingOptions { Directory = mountPoint, Capacity = 1 << 20 };
                var e = Assert.Throws<IOException>(() => OneToOneRing.Create("too-big", options));
                Assert.Contains($"posix_fallocate('{mountPoint}/too-big', {4096 + (1 << 20)} bytes) failed: ENOSPC (28)", e.Message);
                Assert.False(File.Exists(Path.Combine(mountPoint, "too-big")), "the half-made file was removed");

                // A ring that fits is fine there.
                options.Capacity = 16 << 10;
                using var ring = OneToOneRing.Create("fits", options);
                Assert.True(ring.TryWrite([1, 2, 3]));
            }
            finally
            {
                Run("umount", mountPoint);
            }
        }
        finally
        {
            Directory.Delete(mountPoint);
        }
    }

    [Fact]
    public void LockPagesLocksTheWholeMapping()
    {
        using var seg = new TestSegment();
        RingOptions options = seg.Options(capacity: 1 << 20);
        options.LockPages = true;
        long before = LockedKiB();
        using var writer = OneToOneRing.Create(seg.Name, options);
        long afterCreate = LockedKiB();
        using var reader = OneToOneRing.Open(seg.Name, options);
        long afterOpen = LockedKiB();
        Assert.True(afterCreate - before >= (4096 + (1 << 20)) / 1024, $"VmLck {before} kB -> {afterCreate} kB after create");
        Assert.True(afterOpen - afterCreate >= (4096 + (1 << 20)) / 1024, $"VmLck {afterCreate} kB -> {afterOpen} kB after open");
        Assert.True(writer.TryWrite([1]));
        Assert.True(reader.TryRead(new byte[8], out _));
    }

    private static long LockedKiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmLck:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no VmLck line in /proc/self/status");
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using Process p = Process.Start(info)!;
        string error = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), $"{file} did not finish");
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {error} — this test needs permission to mount a tmpfs (root)");
    }
}
