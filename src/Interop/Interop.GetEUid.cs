using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sys
    {
        /// <summary>uid_t geteuid(void): the effective user id of this process. Never fails.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "geteuid")]
        [SuppressGCTransition]
        internal static partial uint GetEUid();
    }
}
