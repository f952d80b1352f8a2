using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sys
    {
        /// <summary>dirfd value meaning "relative to the current directory".</summary>
        internal const int AT_FDCWD = -100;

        /// <summary>With an empty path: describe the file <c>dirfd</c> refers to.</summary>
        internal const int AT_EMPTY_PATH = 0x1000;

        /// <summary>Describe a symbolic link itself, not its target.</summary>
        internal const int AT_SYMLINK_NOFOLLOW = 0x100;

        /// <summary>The fields statx fills in by default (type, mode, owner, inode, size, ...).</summary>
        internal const uint STATX_BASIC_STATS = 0x7FF;

        /// <summary>File type bits of <c>stx_mode</c>.</summary>
        internal const int S_IFMT = 0xF000;

        /// <summary>A regular file.</summary>
        internal const int S_IFREG = 0x8000;

        /// <summary>A symbolic link.</summary>
        internal const int S_IFLNK = 0xA000;

        /// <summary>
        /// The fields of <c>struct statx</c> (linux/stat.h) that Ring reads. Its layout is the same on every architecture,
        /// which is why Ring uses statx rather than stat; the kernel writes 256 bytes.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        internal struct StatxBuffer
        {
            [FieldOffset(20)]
            internal uint Uid;

            [FieldOffset(24)]
            internal uint Gid;

            [FieldOffset(28)]
            internal ushort Mode;

            [FieldOffset(32)]
            internal ulong Inode;

            [FieldOffset(40)]
            internal ulong Size;

            [FieldOffset(136)]
            internal uint DeviceMajor;

            [FieldOffset(140)]
            internal uint DeviceMinor;
        }

        /// <summary>int statx(int dirfd, const char *pathname, int flags, unsigned int mask, struct statx *statxbuf). 0 or -1 with errno.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Statx(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);
    }
}
