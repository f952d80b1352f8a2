using System;

namespace Ring.Channels;

/// <summary>Settings of a <see cref="FragmentingWriter"/> and a <see cref="ReassemblingReader"/>.</summary>
public sealed class FragmentationOptions
{
    /// <summary>The default <see cref="MaxMessageSize"/>: 16 MiB.</summary>
    public const int DefaultMaxMessageSize = 16 * 1024 * 1024;

    /// <summary>The default <see cref="MaxWritersInFlight"/>.</summary>
    public const int DefaultMaxWritersInFlight = 16;

    /// <summary>The largest <see cref="MaxWritersInFlight"/> accepted.</summary>
    public const int MaxWritersInFlightLimit = 1024;

    private int _maxMessageSize = DefaultMaxMessageSize;
    private int _maxWritersInFlight = DefaultMaxWritersInFlight;

    /// <summary>
    /// The longest message, in bytes: a writer refuses a longer one before sending anything, a reader discards (and
    /// counts as abandoned) a longer one announced by a writer configured otherwise. 1 to <see cref="Array.MaxLength"/>;
    /// default 16 MiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1 to <see cref="Array.MaxLength"/>.</exception>
    public int MaxMessageSize
    {
        get => _maxMessageSize;
        set
        {
            if (value <= 0 || value > Array.MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), value,
                    $"MaxMessageSize {value} is invalid: it must be 1 to {Array.MaxLength} bytes.");
            }

            _maxMessageSize = value;
        }
    }

    /// <summary>
    /// Reader only: how many writers may have a message half reassembled at once, each holding a buffer of up to
    /// <see cref="MaxMessageSize"/> bytes. 1 to <see cref="MaxWritersInFlightLimit"/>; default 16.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1 to <see cref="MaxWritersInFlightLimit"/>.</exception>
    public int MaxWritersInFlight
    {
        get => _maxWritersInFlight;
        set
        {
            if (value <= 0 || value > MaxWritersInFlightLimit)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxWritersInFlight), value,
                    $"MaxWritersInFlight {value} is invalid: it must be 1 to {MaxWritersInFlightLimit}.");
            }

            _maxWritersInFlight = value;
        }
    }
}
