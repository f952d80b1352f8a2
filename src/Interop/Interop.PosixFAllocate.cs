using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sys
    {
        /// <summary>
        /// int posix_fallocate(int fd, off_t offset, off_t len). Reserves the storage so that a full tmpfs is an error
        /// here rather than a SIGBUS on first touch. Returns 0 or the error number itself (it does not set errno).
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "posix_fallocate64")]
        internal static partial int PosixFAllocate(int fd, long offset, long length);
    }
}
