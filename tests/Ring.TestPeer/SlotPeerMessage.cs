namespace Ring.TestPeer;

/// <summary>
/// The value the slot ring peers exchange: 32 bytes (the benchmark's message size), naming its writer and its
/// sequence number in that writer's stream, with a check word derived from both so a reader detects a torn value.
/// </summary>
public struct SlotPeerMessage
{
    public long Writer;

    public long Sequence;

    public ulong Check;

    public long Padding;

    public static SlotPeerMessage For(long writer, long sequence) =>
        new() { Writer = writer, Sequence = sequence, Check = CheckOf(writer, sequence), Padding = ~sequence };

    public readonly bool IsIntact => Check == CheckOf(Writer, Sequence) && Padding == ~Sequence;

    public static ulong CheckOf(long writer, long sequence)
    {
        ulong z = ((ulong)writer << 40) ^ (ulong)sequence ^ 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public override readonly string ToString() => $"writer {Writer} sequence {Sequence} check 0x{Check:X16} padding {Padding}";
}
