using System;
using System.Collections.Generic;
using System.Linq;

namespace Ring.Soak;

/// <summary>Who receives a message.</summary>
internal enum Delivery
{
    /// <summary>Every reader receives every message, each writer's in the order sent (one-to-one, many-to-one, broadcast).</summary>
    EveryReaderGetsAll,

    /// <summary>Each message goes to exactly one of the readers (competing consumers); each reader sees each writer's messages in order.</summary>
    ExactlyOneReader,
}

/// <summary>How a wait ended.</summary>
internal enum ReadOutcome
{
    /// <summary>A message was read (or, from a wait, one can be read).</summary>
    Message,

    /// <summary>The timeout expired.</summary>
    TimedOut,

    /// <summary>The writers completed the stream and everything was read.</summary>
    Completed,

    /// <summary>A writer died; everything it committed was read.</summary>
    PeerDied,
}

/// <summary>Receives messages in place (zero copy); a ring consumes each message only after this returns.</summary>
internal interface IMessageSink
{
    void OnMessage(ReadOnlySpan<byte> payload);
}

/// <summary>The settings every topology is created and opened with.</summary>
internal sealed record TopologySettings(
    long Capacity, int MaxMessageLength, WaitStrategy WaitStrategy, bool FrameChecksums, TimeSpan LivenessCheckInterval, int Writers, int Readers)
{
    /// <summary>How long an open waits for a segment being made (the fuzzer sets 0: a zeroed magic must not stall it).</summary>
    internal TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal RingOptions Options() => new()
    {
        Capacity = Capacity,
        MaxMessageLength = MaxMessageLength,
        WaitStrategy = WaitStrategy,
        FrameChecksums = FrameChecksums,
        LivenessCheckInterval = LivenessCheckInterval,
        OpenTimeout = OpenTimeout,
    };
}

/// <summary>
/// A ring topology under soak, fault injection and fuzzing: what the harnesses need to know about one ring kind. To
/// plug in a new kind, write one class implementing this (see <see cref="OneToOneTopology"/>, about 150 lines with
/// its adapters) and add it to <see cref="Topologies.All"/>; every harness then runs it by its <see cref="Name"/>.
/// </summary>
internal interface IRingTopology
{
    /// <summary>The name on the command line (<c>--topology one-to-one</c>).</summary>
    string Name { get; }

    string Description { get; }

    Delivery Delivery { get; }

    /// <summary>The numbers of writer and reader processes a run uses unless told otherwise.</summary>
    (int Writers, int Readers) DefaultParties { get; }

    /// <summary>
    /// True if the fault harness may kill its parties: a writer's claim can be torn (and is counted as such by
    /// <c>ReadCounters()["torn-claims"]</c>), a reader consumes a message only after <see cref="IMessageSink.OnMessage"/>
    /// returns, and a dead party's role can be taken over by a new process.
    /// </summary>
    bool SupportsFaults { get; }

    /// <summary>Null if the topology can run with these many writers and readers, else why not.</summary>
    string? CheckParties(int writers, int readers);

    /// <summary>Creates the topology's segments (in the parent); disposing the result removes them.</summary>
    ITopologyInstance Create(string name, TopologySettings settings);

    /// <summary>
    /// The layout a hostile process scribbles on: the named fields and the data region of the topology's one segment, the
    /// file <c>/dev/shm/NAME</c>; null if the fuzzer cannot target this topology.
    /// </summary>
    FuzzTarget? FuzzLayout(TopologySettings settings);

    /// <summary>Opens writer number <paramref name="index"/> (in a writer process).</summary>
    ITopologyWriter OpenWriter(string name, int index, TopologySettings settings);

    /// <summary>Opens reader number <paramref name="index"/> (in a reader process).</summary>
    ITopologyReader OpenReader(string name, int index, TopologySettings settings);

}

/// <summary>The segments of one topology, as their creator (the parent) holds them.</summary>
internal interface ITopologyInstance : IDisposable
{
    /// <summary>
    /// The ring's own counters, read from its segments (the parent samples them every second and after each kill). The
    /// fault harness needs <c>torn-claims</c>; the others are reported as they are.
    /// </summary>
    IReadOnlyDictionary<string, long> ReadCounters();

    /// <summary>A snapshot of the ring's state for a failure report (positions, the frames between them).</summary>
    string Describe() => string.Join(", ", ReadCounters().Select(kv => $"{kv.Key} {kv.Value}"));
}

/// <summary>One side that writes. Not thread-safe: one writer thread per process.</summary>
internal interface ITopologyWriter : IDisposable
{
    int MaxMessageLength { get; }

    /// <summary>Writes a copy, waiting up to <paramref name="timeout"/> for room; false if it expired. Throws <see cref="RingPeerDeadException"/> if the readers died.</summary>
    bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout);

    /// <summary>Claims room in place without waiting; false if there is none. Follow with <see cref="Commit"/>.</summary>
    bool TryClaim(int length, int type, out Span<byte> payload);

    void Commit();

    /// <summary>Waits up to <paramref name="timeout"/> for room for a message of <paramref name="length"/> bytes.</summary>
    ReadOutcome WaitForSpace(int length, TimeSpan timeout);

    void Complete();
}

/// <summary>One side that reads. Not thread-safe: one reader thread per process.</summary>
internal interface ITopologyReader : IDisposable
{
    int MaxMessageLength { get; }

    /// <summary>Hands up to <paramref name="limit"/> messages to <paramref name="sink"/> in place, without waiting; returns how many.</summary>
    int TryRead(IMessageSink sink, int limit);

    /// <summary>Copies the next message out without waiting; false if there is none.</summary>
    bool TryRead(Span<byte> destination, out int length);

    /// <summary>Copies the next message out, waiting up to <paramref name="timeout"/>.</summary>
    ReadOutcome Read(Span<byte> destination, out int length, TimeSpan timeout);

    /// <summary>Waits up to <paramref name="timeout"/> until a message can be read, without consuming it.</summary>
    ReadOutcome WaitForData(TimeSpan timeout);
}

/// <summary>A named field of a segment, for the fuzzer's targeted mutations.</summary>
internal readonly record struct FuzzField(string Name, int Offset, int Size);

/// <summary>What the fuzzer may scribble on: the segment's header and control fields, and its data region.</summary>
internal sealed record FuzzTarget(IReadOnlyList<FuzzField> Fields, int DataOffset, long DataLength);
