using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sys
    {
        internal const int O_RDONLY = 0;
        internal const int O_CLOEXEC = 0x80000;

        /// <summary>int open(const char *path, int flags). Returns a descriptor or -1 with errno set.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true)]
        internal static unsafe partial int Open(byte* path, int flags);
    }
}
