using System;
using System.Diagnostics;
using System.Globalization;

namespace Ring.Soak;

/// <summary>
/// A reader's checks of every message it receives: intact (length, CRC-32C, writer id), and per writer the next
/// sequence number expected. Where the topology delivers each writer's messages to this reader in order
/// (<see cref="Delivery.EveryReaderGetsAll"/>), a sequence number past the expected one is a loss; in every topology one
/// below it is a repeat. Counts and sums of hashed sequence numbers per writer go to the control slot, where the parent
/// checks them against what each writer sent. No allocation per message (only on the first error, for its text).
/// </summary>
internal sealed class MessageVerifier : IMessageSink
{
    private readonly long[] _received = new long[ControlSlot.MaxWriters];
    private readonly long[] _hashSums = new long[ControlSlot.MaxWriters];
    private readonly long[] _expected = new long[ControlSlot.MaxWriters];
    private readonly long[] _histogram = new long[LatencyHistogram.Buckets];
    private readonly bool _inOrder;
    private readonly int _writers;
    private readonly double _nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    internal MessageVerifier(int writers, bool inOrder)
    {
        _writers = writers;
        _inOrder = inOrder;
    }

    internal long Messages { get; private set; }

    internal long Bytes { get; private set; }

    internal long Corrupt { get; private set; }

    internal long Lost { get; private set; }

    internal long Duplicated { get; private set; }

    internal string? FirstError { get; private set; }

    public void OnMessage(ReadOnlySpan<byte> payload)
    {
        Messages++;
        Bytes += payload.Length;
        if (!SoakMessage.IsIntact(payload))
        {
            Corrupt++;
            FirstError ??= string.Create(CultureInfo.InvariantCulture, $"a corrupt message of {payload.Length} bytes arrived as message {Messages} (its CRC-32C does not match)");
            return;
        }

        int writer = SoakMessage.Writer(payload);
        if ((uint)writer >= (uint)_writers)
        {
            Corrupt++;
            FirstError ??= string.Create(CultureInfo.InvariantCulture, $"a message names writer {writer}, but there are {_writers} writers");
            return;
        }

        long sequence = SoakMessage.Sequence(payload);
        long expected = _expected[writer];
        if (sequence < expected)
        {
            Duplicated++;
            FirstError ??= string.Create(CultureInfo.InvariantCulture, $"writer {writer}: message {sequence} arrived again (or out of order) after message {expected - 1}");
        }
        else
        {
            if (sequence > expected && _inOrder)
            {
                Lost += sequence - expected;
                FirstError ??= string.Create(CultureInfo.InvariantCulture, $"writer {writer}: message {sequence} arrived where message {expected} was due ({sequence - expected} lost)");
            }

            _expected[writer] = sequence + 1;
        }

        _received[writer]++;
        _hashSums[writer] += SoakMessage.Hash(sequence);
        long ns = (long)((Stopwatch.GetTimestamp() - SoakMessage.SentTicks(payload)) * _nanosecondsPerTick);
        _histogram[LatencyHistogram.Bucket(ns)]++;
    }

    /// <summary>Copies the counts into the control slot (the parent reads them any time; a copy per batch costs little).</summary>
    internal void Publish(ControlSlot slot)
    {
        _received.AsSpan(0, _writers).CopyTo(slot.Received);
        _hashSums.AsSpan(0, _writers).CopyTo(slot.HashSums);
        _expected.AsSpan(0, _writers).CopyTo(slot.Expected);
        _histogram.AsSpan().CopyTo(slot.Histogram);
        slot.Bytes = Bytes;
        slot.Corrupt = Corrupt;
        slot.Lost = Lost;
        slot.Duplicated = Duplicated;
        if (FirstError is not null)
        {
            slot.SetError(FirstError);
        }

        System.Threading.Volatile.Write(ref slot.Messages, Messages);
    }
}
