using System.IO;
using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>errno values Ring reacts to (Linux numbering, the same on x64 and arm64), and their conversion to exceptions.</summary>
    internal static class Errors
    {
        internal const int EPERM = 1;
        internal const int ENOENT = 2;
        internal const int ESRCH = 3;
        internal const int EINTR = 4;
        internal const int EBADF = 9;
        internal const int EAGAIN = 11;
        internal const int ENOMEM = 12;
        internal const int EACCES = 13;
        internal const int EFAULT = 14;
        internal const int EEXIST = 17;
        internal const int EINVAL = 22;
        internal const int EFBIG = 27;
        internal const int ENOSPC = 28;
        internal const int ENOSYS = 38;
        internal const int EOPNOTSUPP = 95;
        internal const int ETIMEDOUT = 110;

        /// <summary>The symbolic name of an errno value, for messages.</summary>
        internal static string Name(int errno) => errno switch
        {
            EPERM => "EPERM",
            ENOENT => "ENOENT",
            ESRCH => "ESRCH",
            EINTR => "EINTR",
            EBADF => "EBADF",
            EAGAIN => "EAGAIN",
            ENOMEM => "ENOMEM",
            EACCES => "EACCES",
            EFAULT => "EFAULT",
            EEXIST => "EEXIST",
            EINVAL => "EINVAL",
            EFBIG => "EFBIG",
            ENOSPC => "ENOSPC",
            ENOSYS => "ENOSYS",
            EOPNOTSUPP => "EOPNOTSUPP",
            ETIMEDOUT => "ETIMEDOUT",
            _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        /// <summary>An exception whose message names the failed call, the error's symbol, number and text.</summary>
        internal static IOException Exception(string call, int errno) =>
            new IOException($"{call} failed: {Name(errno)} ({errno}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }
}
