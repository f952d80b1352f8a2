using System;
using System.Diagnostics.CodeAnalysis;

namespace Ring;

/// <summary>Throws, out of line, so that the hot paths stay small. Every message names the value and the rule.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowMessageTooLong(int length, int maxMessageLength, string ring)
    {
        if (length < 0)
        {
            throw new ArgumentOutOfRangeException("length", length, $"Message length {length} is invalid: it must not be negative.");
        }

        throw new ArgumentOutOfRangeException("message", length,
            $"Message of {length} bytes is too long for ring '{ring}': its maximum message length is {maxMessageLength} bytes. Nothing was written.");
    }

    [DoesNotReturn]
    internal static void ThrowDestinationTooSmall(int length, int destinationLength, string ring) =>
        throw new ArgumentException(
            $"Destination of {destinationLength} bytes is too small for the next message of ring '{ring}', which has {length} bytes. Nothing was consumed.",
            "destination");

    [DoesNotReturn]
    internal static void ThrowClaimPending(string ring) =>
        throw new InvalidOperationException($"Ring '{ring}' has a claim that is neither committed nor aborted: commit or abort it before writing again.");

    [DoesNotReturn]
    internal static void ThrowNoClaim(string ring) =>
        throw new InvalidOperationException($"Ring '{ring}' has no pending claim to commit or abort.");

    [DoesNotReturn]
    internal static void ThrowCompleted(string ring) =>
        throw new InvalidOperationException($"Ring '{ring}' was completed by its writer: nothing more can be written.");

    [DoesNotReturn]
    internal static void ThrowTimeoutOutOfRange(TimeSpan timeout) =>
        throw new ArgumentOutOfRangeException(nameof(timeout), timeout, $"Timeout {timeout} is invalid: it must be non-negative or Timeout.InfiniteTimeSpan.");

    [DoesNotReturn]
    internal static void ThrowLimitOutOfRange(int limit) =>
        throw new ArgumentOutOfRangeException(nameof(limit), limit, $"Limit {limit} is invalid: a batch read takes at least 1 message.");

    [DoesNotReturn]
    internal static void ThrowConcurrentAsyncWait() =>
        throw new InvalidOperationException("Another asynchronous wait on this side of the ring is still pending: await it before starting the next.");

    [DoesNotReturn]
    internal static void ThrowCorrupted(string ring, string what) =>
        throw new RingCorruptedException($"Ring '{ring}' is corrupt: {what}.");

    [DoesNotReturn]
    internal static void ThrowObjectDisposed(string ring) =>
        throw new ObjectDisposedException($"Ring '{ring}'");
}
