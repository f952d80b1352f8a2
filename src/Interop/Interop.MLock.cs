using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sys
    {
        /// <summary>int mlock(const void *addr, size_t len): keeps the pages resident (no page fault on the hot path).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "mlock", SetLastError = true)]
        internal static unsafe partial int MLock(void* address, nuint length);
    }
}
