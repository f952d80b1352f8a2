using System;

namespace Ring.Channels;

/// <summary>How a <see cref="LaneMailbox"/> object is made and how its receiver chooses between lanes.</summary>
public sealed class LaneOptions
{
    private RingOptions _ring = new();
    private int _starvationLimit;

    /// <summary>
    /// The options of every lane's ring: directory, capacity and maximum message length (per lane, so the mailbox takes
    /// K times the capacity), wait strategy, liveness interval and the rest.
    /// </summary>
    public RingOptions Ring
    {
        get => _ring;
        set => _ring = value ?? throw new ArgumentNullException(nameof(value), "LaneOptions.Ring must not be null.");
    }

    /// <summary>
    /// The starvation policy of receives that choose among lanes. 0 (the default): strict priority, a steady flow on an
    /// urgent lane starves every less urgent one. N &gt; 0: after N consecutive messages taken by priority while a less
    /// urgent lane held a message, the next receive takes one from the lane that has waited longest (the more urgent
    /// lane on a tie) instead. A receiver-side setting of this object: it is not stored in the segments.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int StarvationLimit
    {
        get => _starvationLimit;
        set
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"LaneOptions.StarvationLimit must be 0 (strict priority) or more; {value} was given.");
            }

            _starvationLimit = value;
        }
    }
}
