using System;
using System.IO;
using Ring.Layout;

namespace Ring;

/// <summary>Options for creating or opening a ring. Every setter checks its rule and names the value it refuses.</summary>
public sealed class RingOptions
{
    /// <summary>The directory segments live in when a name is not a full path: <c>/dev/shm</c>.</summary>
    public const string DefaultDirectory = "/dev/shm";

    private long _capacity = 1 << 20;
    private int _maxMessageLength;
    private string _directory = DefaultDirectory;
    private TimeSpan _openTimeout = TimeSpan.FromSeconds(5);
    private TimeSpan _spinDuration = TimeSpan.FromMicroseconds(20);
    private TimeSpan _livenessCheckInterval = TimeSpan.FromMilliseconds(100);
    private TimeSpan _stuckWriterTimeout = TimeSpan.FromSeconds(10);
    private UnixFileMode _unixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private WaitStrategy _waitStrategy = WaitStrategy.Hybrid;

    /// <summary>Bytes in the data region: a power of two from 64 bytes to 1 GiB. Default 1 MiB. Used when creating.</summary>
    public long Capacity
    {
        get => _capacity;
        set
        {
            SegmentHeaderDescriptor.CheckCapacity(value);
            _capacity = value;
        }
    }

    /// <summary>
    /// Largest payload a message may have, in bytes; at most capacity / 2 - 8. 0 (the default) means capacity / 8.
    /// Used when creating; a larger message is refused, never truncated.
    /// </summary>
    public int MaxMessageLength
    {
        get => _maxMessageLength;
        set
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxMessageLength), value,
                    $"MaxMessageLength {value} is invalid: it must be 0 (capacity / 8) or a positive number of bytes.");
            }

            _maxMessageLength = value;
        }
    }

    /// <summary>Directory that holds segments named without a path. Default <c>/dev/shm</c>.</summary>
    public string Directory
    {
        get => _directory;
        set
        {
            ArgumentException.ThrowIfNullOrEmpty(value, nameof(Directory));
            if (value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Directory '{value.Replace("\0", "\\0", StringComparison.Ordinal)}' is invalid: it must not contain NUL.", nameof(Directory));
            }

            _directory = value;
        }
    }

    /// <summary>File mode of a created segment, applied exactly (not filtered by the umask). Default 0600, owner only.</summary>
    public UnixFileMode UnixFileMode
    {
        get => _unixFileMode;
        set
        {
            const UnixFileMode Allowed = (UnixFileMode)0x1FF;
            if ((value & ~Allowed) != 0 || (value & UnixFileMode.UserRead) == 0 || (value & UnixFileMode.UserWrite) == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(UnixFileMode), value,
                    $"UnixFileMode {Convert.ToString((int)value, 8)} is invalid: it must include owner read and write (0600) and only permission bits (at most 0777).");
            }

            _unixFileMode = value;
        }
    }

    /// <summary>How long <c>Open</c> waits for a segment whose creator has not finished it. Default 5 s.</summary>
    public TimeSpan OpenTimeout
    {
        get => _openTimeout;
        set => _openTimeout = CheckNonNegative(value, nameof(OpenTimeout));
    }

    /// <summary>How blocking and asynchronous operations wait. Default <see cref="WaitStrategy.Hybrid"/>.</summary>
    public WaitStrategy WaitStrategy
    {
        get => _waitStrategy;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(WaitStrategy), value, $"WaitStrategy {(int)value} is not one of Hybrid, BusySpin, Blocking, Polling.");
            }

            _waitStrategy = value;
        }
    }

    /// <summary>How long the hybrid strategy spins before it yields and then sleeps. Default 20 µs; at most 1 s.</summary>
    public TimeSpan SpinDuration
    {
        get => _spinDuration;
        set
        {
            CheckNonNegative(value, nameof(SpinDuration));
            if (value > TimeSpan.FromSeconds(1))
            {
                throw new ArgumentOutOfRangeException(nameof(SpinDuration), value, $"SpinDuration {value} is invalid: spins are bounded to at most 1 second.");
            }

            _spinDuration = value;
        }
    }

    /// <summary>
    /// How often a sleeping party wakes to check that the process it waits for is still alive. Default 100 ms;
    /// between 1 ms and 10 s.
    /// </summary>
    public TimeSpan LivenessCheckInterval
    {
        get => _livenessCheckInterval;
        set
        {
            if (value < TimeSpan.FromMilliseconds(1) || value > TimeSpan.FromSeconds(10))
            {
                throw new ArgumentOutOfRangeException(nameof(LivenessCheckInterval), value,
                    $"LivenessCheckInterval {value} is invalid: it must be between 1 ms and 10 s.");
            }

            _livenessCheckInterval = value;
        }
    }

    /// <summary>
    /// How long a live writer may hold a claim (between <c>TryClaim</c> and <c>Commit</c>) that blocks the readers
    /// before they revoke it, on rings with several writers. A dead writer's claim is recovered at once (within
    /// <see cref="LivenessCheckInterval"/>); this bounds a stuck or stopped one. The revoked writer's
    /// <c>Commit</c> then throws, and its space is not reused until it has noticed or died. Measured on a
    /// monotonic clock. Default 10 s; between 1 ms and 1 hour.
    /// </summary>
    public TimeSpan StuckWriterTimeout
    {
        get => _stuckWriterTimeout;
        set
        {
            if (value < TimeSpan.FromMilliseconds(1) || value > TimeSpan.FromHours(1))
            {
                throw new ArgumentOutOfRangeException(nameof(StuckWriterTimeout), value,
                    $"StuckWriterTimeout {value} is invalid: it must be between 1 ms and 1 hour.");
            }

            _stuckWriterTimeout = value;
        }
    }

    /// <summary>
    /// Lock the whole mapping in RAM with <c>mlock</c> when the ring is created or opened: its page-table entries are
    /// made at once (no page fault on the first lap) and it is never swapped. Fails with an <see cref="IOException"/>
    /// naming the errno (ENOMEM or EPERM past RLIMIT_MEMLOCK). Default false.
    /// </summary>
    public bool LockPages { get; set; }

    /// <summary>The maximum message length a ring created with these options gets.</summary>
    internal int EffectiveMaxMessageLength(long capacity)
    {
        int limit = FrameDescriptor.MaxMessageLengthFor(capacity);
        if (_maxMessageLength == 0)
        {
            return (int)Math.Min(limit, capacity / 8);
        }

        if (_maxMessageLength > limit)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageLength), _maxMessageLength,
                $"MaxMessageLength {_maxMessageLength} is invalid for capacity {capacity}: it must be at most capacity / 2 - 8 = {limit} bytes.");
        }

        return _maxMessageLength;
    }

    private static TimeSpan CheckNonNegative(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} {value} is invalid: it must not be negative.");
        }

        return value;
    }
}
