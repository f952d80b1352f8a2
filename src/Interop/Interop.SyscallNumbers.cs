using System;
using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// System call numbers for the calls that glibc does not wrap, per architecture, in one place.
    /// Values from the kernel's <c>arch/x86/entry/syscalls/syscall_64.tbl</c> and
    /// <c>include/uapi/asm-generic/unistd.h</c> (arm64).
    /// </summary>
    internal static class SyscallNumbers
    {
        internal const long SYS_futex_x64 = 202;
        internal const long SYS_membarrier_x64 = 324;
        internal const long SYS_futex_arm64 = 98;
        internal const long SYS_membarrier_arm64 = 283;

        /// <summary>True where the futex and membarrier numbers below are known (Linux x64 and arm64).</summary>
        internal static readonly bool IsSupported =
            OperatingSystem.IsLinux() &&
            (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64);

        internal static readonly long SYS_futex =
            RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? SYS_futex_arm64 : SYS_futex_x64;

        internal static readonly long SYS_membarrier =
            RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? SYS_membarrier_arm64 : SYS_membarrier_x64;
    }
}
