using System;
using System.IO;
using System.Runtime.InteropServices;
using Xunit;

namespace Ring.Tests;

/// <summary>
/// Who may attach: segments are the creator's alone by default, another user's segment is refused unless allowed, a
/// directory without permission is named as such. Tests that need a second user run a probe as uid 65534; without root
/// they are skipped (saying why), except where the same check can be made as an ordinary user.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class SecurityTests : IDisposable
{
    [RootFact]
    public void ASegmentOwnedByAnotherUserIsRefusedUnlessExplicitlyAllowed()
    {
        using var seg = new TestSegment();
        using (OneToOneRing.Create(seg.Name, seg.Options()))
        {
        }

        OtherUser.Chown(seg.Path);
        var e = Assert.Throws<UnauthorizedAccessException>(() => OneToOneRing.Open(seg.Name, seg.Options()));
        Assert.Contains($"Segment '{seg.Name}' at '{seg.Path}' belongs to user 65534, not to this process's user 0: another user's segment is refused unless RingOptions.AllowOtherOwner is set", e.Message);
        Assert.Throws<UnauthorizedAccessException>(() => OneToOneRing.CreateOrOpen(seg.Name, seg.Options()));

        RingOptions allowed = seg.Options();
        allowed.AllowOtherOwner = true;
        using var ring = OneToOneRing.Open(seg.Name, allowed);
        Assert.True(ring.TryWrite([1, 2, 3]));
        Assert.True(ring.TryRead(new byte[16], out RingMessage m));
        Assert.Equal(3, m.Length);
    }

    [RootFact]
    public void AnotherUsersProcessIsRefusedEveryWayIn()
    {
        using var owned = new TestSegment();
        using var shared = new TestSegment();
        using (OneToOneRing.Create(owned.Name, owned.Options()))
        {
        }

        RingOptions open = shared.Options();
        open.UnixFileMode = (UnixFileMode)0x1B6; // 0666: anyone may read and write the file, yet it is root's
        using (OneToOneRing.Create(shared.Name, open))
        {
        }

        // 0600 by default: the other user cannot even open the file.
        Assert.Equal($"EXCEPTION UnauthorizedAccessException: Cannot open segment '{owned.Path}' at '{owned.Path}' for reading and writing: permission denied.",
            OtherUser.Probe("open", owned.Path));

        // 0666 on purpose: the file opens, but belongs to root, so it is refused unless allowed.
        Assert.StartsWith($"EXCEPTION UnauthorizedAccessException: Segment '{shared.Path}' at '{shared.Path}' belongs to user 0, not to this process's user 65534", OtherUser.Probe("open", shared.Path));
        Assert.Equal("OK", OtherUser.Probe("open", shared.Path, allowOtherOwner: true));
    }

    [Fact]
    public void ADirectoryWithoutPermissionIsNamed()
    {
        string directory = Path.Join(RingOptions.DefaultDirectory, $"ringtest-dir-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(directory);
        try
        {
            string inside = Path.Join(directory, "seg");
            using (OneToOneRing.Create(inside, new RingOptions { Capacity = 4096 }))
            {
            }

            if (RootFactAttribute.IsRoot)
            {
                // Root passes every permission check: ask the other user. 0755: they may enter, not create; 0700: not enter.
                File.SetUnixFileMode(directory, (UnixFileMode)0x1ED);
                string x = Path.Join(directory, "x");
                Assert.Equal($"EXCEPTION UnauthorizedAccessException: Cannot create segment '{x}' at '{x}': permission denied.", OtherUser.Probe("create", x));
                File.SetUnixFileMode(directory, (UnixFileMode)0x1C0);
                Assert.Equal(
                    $"EXCEPTION UnauthorizedAccessException: Cannot open segment '{inside}' at '{inside}': permission denied on directory '{directory}' (EACCES: it may not be searched by this user).",
                    OtherUser.Probe("open", inside));
            }
            else
            {
                File.SetUnixFileMode(directory, (UnixFileMode)0x16D); // 0555
                var create = Assert.Throws<UnauthorizedAccessException>(() => OneToOneRing.Create(Path.Join(directory, "x")));
                Assert.Contains($"at '{directory}/x': permission denied.", create.Message);
                File.SetUnixFileMode(directory, (UnixFileMode)0x1B6 & ~(UnixFileMode)0x49); // no search bit
                var open = Assert.Throws<UnauthorizedAccessException>(() => OneToOneRing.Open(inside));
                Assert.Contains($"permission denied on directory '{directory}'", open.Message);
            }
        }
        finally
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0x1C0);
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void SegmentsAreOwnerOnlyByDefault()
    {
        using var seg = new TestSegment();
        using (OneToOneRing.Create(seg.Name, seg.Options()))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(seg.Path));
        }
    }

    [Theory]
    [InlineData("fifo", "01")]
    [InlineData("directory", "04")]
    public void AFifoOrADirectoryUnderTheNameIsNotASegment(string what, string type)
    {
        using var seg = new TestSegment();
        try
        {
            if (what == "fifo")
            {
                Assert.Equal(0, MkFifo(seg.Path, 0x180));
            }
            else
            {
                Directory.CreateDirectory(seg.Path);
            }

            var e = Assert.Throws<RingFormatException>(() => OneToOneRing.Open(seg.Name, seg.Options()));
            Assert.Contains($"Segment '{seg.Name}' at '{seg.Path}' is not a Ring segment: it is not a regular file (file type {type}", e.Message);
        }
        finally
        {
            if (Directory.Exists(seg.Path))
            {
                Directory.Delete(seg.Path);
            }
        }
    }

    [Fact]
    public void ASymbolicLinkOutOfTheDirectoryIsNotFollowed()
    {
        using var link = new TestSegment();
        string outside = Path.Join(Path.GetTempPath(), $"ringtest-target-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (OneToOneRing.Create(outside, new RingOptions { Capacity = 4096 }))
            {
            }

            File.CreateSymbolicLink(link.Path, outside);
            var e = Assert.Throws<UnauthorizedAccessException>(() => OneToOneRing.Open(link.Name, link.Options()));
            Assert.Contains($"is a symbolic link to '{outside}': Ring does not follow links.", e.Message);
            Assert.Throws<IOException>(() => OneToOneRing.Create(link.Name, link.Options()));
            Assert.True(RingSegment.Remove(link.Name));
            Assert.True(File.Exists(outside), "removing the link left its target alone");
        }
        finally
        {
            File.Delete(outside);
        }
    }

    public void Dispose()
    {
        string copy = Path.Join(Path.GetTempPath(), $"ringtest-peer-{Environment.ProcessId}");
        if (Directory.Exists(copy))
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);
}
