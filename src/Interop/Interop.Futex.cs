using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // Native names from <linux/futex.h>. FUTEX_PRIVATE_FLAG (128) is deliberately never used: the word lives in a
        // MAP_SHARED file mapping and the waiter and the waker are different processes, so the futex must be keyed by
        // the backing inode and offset, which only the shared variants do.
        internal const int FUTEX_WAIT = 0;
        internal const int FUTEX_WAKE = 1;

        /// <summary>Outcome of <see cref="FutexWait"/>.</summary>
        internal enum FutexWaitResult
        {
            /// <summary>Woken by FUTEX_WAKE (or spuriously): re-check the condition.</summary>
            Woken,

            /// <summary>The word did not hold the expected value (EAGAIN): the condition already changed.</summary>
            ValueChanged,

            /// <summary>The relative timeout expired (ETIMEDOUT).</summary>
            TimedOut,

            /// <summary>A signal interrupted the wait (EINTR): re-check the condition.</summary>
            Interrupted,
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct Timespec
        {
            internal long tv_sec;
            internal long tv_nsec;
        }

        /// <summary>
        /// futex(uaddr, FUTEX_WAIT, expected, timeout): sleeps while <c>*address == expected</c>, atomically with respect
        /// to <see cref="FutexWake"/> on the same word in any process. <paramref name="timeoutNanoseconds"/> &lt; 0 waits
        /// without a timeout (the caller should prefer bounded waits).
        /// </summary>
        internal static unsafe FutexWaitResult FutexWait(int* address, int expected, long timeoutNanoseconds)
        {
            Timespec ts;
            Timespec* pts = null;
            if (timeoutNanoseconds >= 0)
            {
                ts.tv_sec = timeoutNanoseconds / 1_000_000_000;
                ts.tv_nsec = timeoutNanoseconds % 1_000_000_000;
                pts = &ts;
            }

            long rc = Syscall(SyscallNumbers.SYS_futex, (nint)address, FUTEX_WAIT, expected, (nint)pts, 0, 0);
            if (rc == 0)
            {
                return FutexWaitResult.Woken;
            }

            int errno = Marshal.GetLastPInvokeError();
            return errno switch
            {
                Errors.EAGAIN => FutexWaitResult.ValueChanged,
                Errors.ETIMEDOUT => FutexWaitResult.TimedOut,
                Errors.EINTR => FutexWaitResult.Interrupted,
                _ => throw Errors.Exception("futex(FUTEX_WAIT)", errno),
            };
        }

        /// <summary>futex(uaddr, FUTEX_WAKE, count): wakes up to <paramref name="count"/> waiters; returns how many woke.</summary>
        internal static unsafe int FutexWake(int* address, int count)
        {
            long rc = Syscall(SyscallNumbers.SYS_futex, (nint)address, FUTEX_WAKE, count, 0, 0, 0);
            if (rc < 0)
            {
                throw Errors.Exception("futex(FUTEX_WAKE)", Marshal.GetLastPInvokeError());
            }

            return (int)rc;
        }
    }
}
