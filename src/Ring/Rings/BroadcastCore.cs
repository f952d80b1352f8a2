using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Ring.Layout;

namespace Ring;

/// <summary>
/// What the writer side (<see cref="BroadcastRing"/>) and the reader side (<see cref="BroadcastReader"/>) of a broadcast
/// segment share: the mapping, its sizes and mode, the futex sites, the party tables, the frame rules and the
/// statistics snapshot. The hot fields are copied into each side so that the fast paths do not go through this object.
/// </summary>
internal sealed unsafe class BroadcastCore
{
    internal BroadcastCore(Segment segment)
    {
        Segment = segment;
        Memory = segment.Memory;
        Data = Memory.At(BroadcastRingDescriptor.DataOffset, 0);
        Capacity = segment.Capacity;
        Mask = Capacity - 1;
        MaxMessageLength = segment.MaxMessageLength;
        int mode = Memory.ReadInt32Acquire(BroadcastRingDescriptor.ModeOffset);
        if (mode is not ((int)BroadcastMode.Gated or (int)BroadcastMode.Lossy))
        {
            throw new RingFormatException($"Broadcast ring '{segment.Name}' at '{segment.Path}' has mode {mode}: it must be 1 (gated) or 2 (lossy).");
        }

        int slots = Memory.ReadInt32Acquire(BroadcastRingDescriptor.ReaderSlotsOffset);
        if (slots != BroadcastRingDescriptor.MaxReaders)
        {
            throw new RingFormatException(
                $"Broadcast ring '{segment.Name}' at '{segment.Path}' has {slots} reader slots: layout version 1 has {BroadcastRingDescriptor.MaxReaders}.");
        }

        Mode = (BroadcastMode)mode;
        Readers = new PartyTable(Memory, BroadcastRingDescriptor.ReaderTableOffset, BroadcastRingDescriptor.MaxReaders, BroadcastRingDescriptor.ReaderEntryLength);
        Writers = new PartyTable(Memory, BroadcastRingDescriptor.WriterIdentityOffset, 1, SegmentHeaderDescriptor.CacheLineSlot);
        DataSite = new FutexSite(
            Memory.Int32At(BroadcastRingDescriptor.DataSignalOffset),
            Memory.Int32At(BroadcastRingDescriptor.ReaderSleepersOffset),
            Memory.Int64At(BroadcastRingDescriptor.ReaderSleepsOffset),
            Memory.Int64At(BroadcastRingDescriptor.ReaderWakeupsOffset));
        SpaceSite = new FutexSite(
            Memory.Int32At(BroadcastRingDescriptor.SpaceSignalOffset),
            Memory.Int32At(BroadcastRingDescriptor.WriterSleepersOffset),
            Memory.Int64At(BroadcastRingDescriptor.WriterSleepsOffset),
            Memory.Int64At(BroadcastRingDescriptor.WriterWakeupsOffset));
    }

    internal Segment Segment { get; }

    internal SharedMemory Memory { get; }

    internal byte* Data { get; }

    internal long Capacity { get; }

    internal long Mask { get; }

    internal int MaxMessageLength { get; }

    internal BroadcastMode Mode { get; }

    internal string Name => Segment.Name;

    /// <summary>The reader table: 64 slots of 128 bytes (<see cref="BroadcastRingDescriptor"/>).</summary>
    internal PartyTable Readers { get; }

    /// <summary>The writer's identity word, as a one-entry table.</summary>
    internal PartyTable Writers { get; }

    internal FutexSite DataSite { get; }

    internal FutexSite SpaceSite { get; }

    internal bool IsCompleted => Memory.ReadInt32Acquire(BroadcastRingDescriptor.CompletedOffset) != 0;

    /// <summary>Initial state written by the creator before the header is published: the mode, the table size, every reader slot not gating.</summary>
    internal static void Initialize(SharedMemory memory, BroadcastMode mode)
    {
        memory.WriteInt32Plain(BroadcastRingDescriptor.ModeOffset, (int)mode);
        memory.WriteInt32Plain(BroadcastRingDescriptor.ReaderSlotsOffset, BroadcastRingDescriptor.MaxReaders);
        for (int i = 0; i < BroadcastRingDescriptor.MaxReaders; i++)
        {
            memory.WriteInt64Plain(ReaderSlotOffset(i) + BroadcastRingDescriptor.ReaderPositionOffset, BroadcastRingDescriptor.NotGating);
        }
    }

    /// <summary>Refuses a mode other than gated or lossy, naming it.</summary>
    internal static void CheckMode(BroadcastMode mode)
    {
        if (mode is not (BroadcastMode.Gated or BroadcastMode.Lossy))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, $"Broadcast mode {(int)mode} is invalid: it must be Gated (1) or Lossy (2).");
        }
    }

    /// <summary>Refuses an explicit maximum message length above the broadcast limit (the 16-byte header costs 8 bytes more than a plain frame's).</summary>
    internal static void CheckMaxMessageLength(RingOptions options)
    {
        int limit = BroadcastFrameDescriptor.MaxMessageLengthFor(options.Capacity);
        if (options.MaxMessageLength > limit)
        {
            throw new ArgumentOutOfRangeException(nameof(options.MaxMessageLength), options.MaxMessageLength,
                $"MaxMessageLength {options.MaxMessageLength} is invalid for a broadcast ring of capacity {options.Capacity}: it must be at most capacity / 2 - 16 = {limit} bytes.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long ReaderSlotOffset(int index) => BroadcastRingDescriptor.ReaderTableOffset + ((long)index * BroadcastRingDescriptor.ReaderEntryLength);

    /// <summary>The reader high-water mark, checked: readers live in slots [0, mark).</summary>
    internal int ReaderHighWater()
    {
        int mark = Memory.ReadInt32Acquire(BroadcastRingDescriptor.ReaderHighWaterOffset);
        if ((uint)mark > BroadcastRingDescriptor.MaxReaders)
        {
            ThrowHelper.ThrowCorrupted(Name, $"the reader high-water mark is {mark}; the rule is 0 to {BroadcastRingDescriptor.MaxReaders}");
        }

        return mark;
    }

    /// <summary>True if a writer is attached and its process is dead, and it did not complete the ring.</summary>
    internal bool IsWriterGone()
    {
        if (IsCompleted)
        {
            return false;
        }

        long identity = Writers.IdentityAt(0);
        return identity != 0 && !ProcessLiveness.IsAlive(identity);
    }

    internal int WriterProcessId => ProcessLiveness.ProcessIdOf(Writers.IdentityAt(0));

    /// <summary>
    /// True if a frame header at <paramref name="index"/> obeys the frame rules: at least a header, within the data region,
    /// a known type, at most the maximum payload for a message.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsSaneFrame(long index, int frameLength, int type) =>
        frameLength >= BroadcastFrameDescriptor.HeaderLength && frameLength <= Capacity - index &&
        BroadcastFrameDescriptor.Align(frameLength) <= Capacity - index && type >= BroadcastFrameDescriptor.PaddingType &&
        (type == BroadcastFrameDescriptor.PaddingType || frameLength - BroadcastFrameDescriptor.HeaderLength <= MaxMessageLength);

    /// <summary>Reports a frame header that breaks a frame rule, naming its position and fields.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void ThrowBadFrame(long position, int frameLength, int type) =>
        ThrowHelper.ThrowCorrupted(Name,
            $"the frame at position {position} has length {frameLength} and type {type}; a frame must be at least {BroadcastFrameDescriptor.HeaderLength} bytes, " +
            $"carry at most {MaxMessageLength} payload bytes, have type >= -1 and end before the data region's end");

    /// <summary>A negative length is a claim in progress and must still be a sane frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CheckClaimInProgress(long position, int frameLength)
    {
        if (frameLength < 0 && (frameLength == int.MinValue || !IsSaneFrame(position & Mask, -frameLength, 0)))
        {
            ThrowBadFrame(position, frameLength, ((int*)(Data + (position & Mask)))[1]);
        }
    }

    /// <summary>Checks a position read from shared memory against the rules (a multiple of 16, within [low, high]).</summary>
    internal void CheckPosition(long position, long low, long high, string what)
    {
        if (position < low || position > high || (position & (BroadcastFrameDescriptor.Alignment - 1)) != 0)
        {
            ThrowHelper.ThrowCorrupted(Name, $"{what} is {position}; the rule is a multiple of {BroadcastFrameDescriptor.Alignment} between {low} and {high}");
        }
    }

    /// <summary>
    /// Reads the writer's published positions and checks what must hold between them however stale the first reads are:
    /// 0 &lt;= oldest &lt;= latest-or-less &lt;= tail, multiples of 16. (Oldest first, tail last: each word is published
    /// before the tail moves past it, so the tail read last is never below the others. The distance between them may
    /// exceed the capacity when the writer ran on between the reads; whoever uses them validates again.)
    /// </summary>
    internal (long Oldest, long Latest, long Tail) ReadPublishedPositions()
    {
        long oldest = Memory.ReadInt64Acquire(BroadcastRingDescriptor.OldestOffset);
        long latest = Memory.ReadInt64Acquire(BroadcastRingDescriptor.LatestOffset);
        long tail = Memory.ReadInt64Acquire(BroadcastRingDescriptor.TailOffset);
        if (oldest < 0 || tail < oldest || ((oldest | tail) & (BroadcastFrameDescriptor.Alignment - 1)) != 0)
        {
            ThrowHelper.ThrowCorrupted(Name,
                $"the writer's positions are oldest {oldest} and tail {tail}; the rule is 0 <= oldest <= tail, both multiples of {BroadcastFrameDescriptor.Alignment}");
        }

        CheckPosition(latest, 0, tail, "the position of the newest message");
        return (oldest, latest, tail);
    }

    /// <summary>A snapshot of the segment: the writer's counters and every attached reader's slot.</summary>
    internal BroadcastRingStatistics ReadStatistics()
    {
        SharedMemory m = Memory;
        long tail = m.ReadInt64Acquire(BroadcastRingDescriptor.TailOffset);
        long written = m.ReadInt64Acquire(BroadcastRingDescriptor.MessagesWrittenOffset);
        var readers = new List<BroadcastReaderStatistics>();
        for (int i = 0; i < BroadcastRingDescriptor.MaxReaders; i++)
        {
            long identity = Readers.IdentityAt(i);
            if (identity == 0)
            {
                continue;
            }

            long slot = ReaderSlotOffset(i);
            long position = m.ReadInt64Acquire(slot + BroadcastRingDescriptor.ReaderPositionOffset);
            long sequence = m.ReadInt64Acquire(slot + BroadcastRingDescriptor.ReaderSequenceOffset);
            readers.Add(new BroadcastReaderStatistics(
                Id: i,
                ProcessId: ProcessLiveness.ProcessIdOf(identity),
                IsAlive: ProcessLiveness.IsAlive(identity),
                Position: position,
                NextSequence: sequence,
                LagBytes: position < 0 ? 0 : tail - position,
                LagMessages: position < 0 ? 0 : written - sequence,
                MessagesRead: m.ReadInt64Acquire(slot + BroadcastRingDescriptor.ReaderMessagesReadOffset),
                MessagesLost: m.ReadInt64Acquire(slot + BroadcastRingDescriptor.ReaderMessagesLostOffset),
                Laps: m.ReadInt64Acquire(slot + BroadcastRingDescriptor.ReaderLapsOffset)));
        }

        long writer = Writers.IdentityAt(0);
        return new BroadcastRingStatistics(
            Mode: Mode,
            Tail: tail,
            Oldest: m.ReadInt64Acquire(BroadcastRingDescriptor.OldestOffset),
            MessagesWritten: written,
            FullStalls: m.ReadInt64Acquire(BroadcastRingDescriptor.FullStallsOffset),
            TornClaims: m.ReadInt64Acquire(BroadcastRingDescriptor.TornClaimsOffset),
            ReadersEvicted: m.ReadInt64Acquire(BroadcastRingDescriptor.ReadersEvictedOffset),
            ReaderSleeps: m.ReadInt64Acquire(BroadcastRingDescriptor.ReaderSleepsOffset),
            ReaderWakeups: m.ReadInt64Acquire(BroadcastRingDescriptor.ReaderWakeupsOffset),
            WriterSleeps: m.ReadInt64Acquire(BroadcastRingDescriptor.WriterSleepsOffset),
            WriterWakeups: m.ReadInt64Acquire(BroadcastRingDescriptor.WriterWakeupsOffset),
            WriterProcessId: ProcessLiveness.ProcessIdOf(writer),
            IsWriterAlive: writer != 0 && ProcessLiveness.IsAlive(writer),
            IsWriterCompleted: m.ReadInt32Acquire(BroadcastRingDescriptor.CompletedOffset) != 0,
            Readers: readers);
    }
}
