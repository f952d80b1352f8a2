using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sys
    {
        /// <summary>int munlock(const void *addr, size_t len): undoes <see cref="MLock"/>.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "munlock", SetLastError = true)]
        internal static unsafe partial int MUnlock(void* address, nuint length);
    }
}
