using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sys
    {
        /// <summary>
        /// glibc's <c>long syscall(long number, ...)</c>. Every argument is passed as a machine word, which is
        /// how the variadic integer arguments travel on x64 and arm64 Linux alike.
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
        internal static partial long Syscall(long number, nint arg1, nint arg2, nint arg3, nint arg4, nint arg5, nint arg6);
    }
}
