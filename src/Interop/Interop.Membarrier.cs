using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // Native names from <linux/membarrier.h>.
        internal const int MEMBARRIER_CMD_QUERY = 0;
        internal const int MEMBARRIER_CMD_GLOBAL_EXPEDITED = 1 << 1;
        internal const int MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;

        /// <summary>
        /// membarrier(cmd, 0, 0). Returns the raw result (for MEMBARRIER_CMD_QUERY, the mask of supported commands);
        /// throws with the errno named when the call fails.
        /// </summary>
        internal static int Membarrier(int command)
        {
            long rc = Syscall(SyscallNumbers.SYS_membarrier, command, 0, 0, 0, 0, 0);
            if (rc < 0)
            {
                throw Errors.Exception($"membarrier({CommandName(command)})", Marshal.GetLastPInvokeError());
            }

            return (int)rc;
        }

        private static string CommandName(int command) => command switch
        {
            MEMBARRIER_CMD_QUERY => nameof(MEMBARRIER_CMD_QUERY),
            MEMBARRIER_CMD_GLOBAL_EXPEDITED => nameof(MEMBARRIER_CMD_GLOBAL_EXPEDITED),
            MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED => nameof(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED),
            _ => command.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
