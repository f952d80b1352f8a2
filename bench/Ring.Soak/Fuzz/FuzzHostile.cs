using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Linq;
using System.Threading;

namespace Ring.Soak;

/// <summary>
/// The hostile process: maps the victim's current segment (a new one per generation) and, once per round of the victim,
/// at a random moment inside it, writes one mutation: a named field set to a boundary value or a random one, a forged
/// frame header at an 8-aligned place (often between the head and the tail, where the live frames are), a few random
/// bytes in the data region or anywhere in the file, or (rarely) a run of padding frames. It records the last mutation
/// in the shared words so that the victim can name it in a bug report.
/// </summary>
internal static unsafe class FuzzHostile
{
    internal const int GenerationWord = 0;
    internal const int MutationKindWord = 1;
    internal const int MutationOffsetWord = 2;
    internal const int MutationValueWord = 3;
    internal const int VictimSlot = 0;

    internal static int Run(Args a, ControlBlock control, ControlSlot slot)
    {
        IRingTopology topology = Topologies.Find(a.Required("topology"));
        TopologySettings settings = ChildMain.FromArgs(a);
        FuzzTarget target = topology.FuzzLayout(settings) ?? throw new ArgumentException($"topology {topology.Name} cannot be fuzzed");
        long mutations = a.Long("mutations", 100_000, 1);
        int victimPid = a.Int("victim-pid", 0);
        var random = new Random(a.Int("seed", 1));
        FuzzField head = target.Fields.FirstOrDefault(f => f.Name == "head");
        FuzzField tail = target.Fields.FirstOrDefault(f => f.Name == "tail");
        ControlSlot victim = control.Slot(VictimSlot);
        slot.State = SlotState.Running;
        long generation = 0;
        Mapping? mapping = null;
        try
        {
            for (long done = 0; done < mutations && !control.Stop;)
            {
                long round = Volatile.Read(ref victim.Messages);
                long current = Volatile.Read(ref control.Shared(GenerationWord));
                if (current != generation)
                {
                    mapping?.Dispose();
                    mapping = Mapping.TryOpen(Path.Join(RingOptions.DefaultDirectory, FuzzVictim.SegmentName(victimPid, current)));
                    generation = current;
                }

                if (mapping is null)
                {
                    Thread.Yield();
                    continue;
                }

                // A random moment inside the victim's round.
                Thread.SpinWait(random.Next(0, 400));
                Mutate(mapping, target, head, tail, random, control);
                done++;
                Volatile.Write(ref slot.Messages, done);
                if ((done & 255) == 0)
                {
                    slot.Beat();
                }

                // At most one mutation per round of the victim, so that each outcome has one cause (spinning: two busy
                // processes on two cores; a yield would hand the core to anything else on the machine for a time slice).
                for (int spins = 0; Volatile.Read(ref victim.Messages) == round && !control.Stop && victim.State != SlotState.Failed; spins++)
                {
                    if ((spins & 1023) == 1023)
                    {
                        Thread.Yield();
                    }
                    else
                    {
                        Thread.SpinWait(4);
                    }
                }
            }
        }
        finally
        {
            mapping?.Dispose();
        }

        slot.State = SlotState.Done;
        return 0;
    }

    private static void Mutate(Mapping m, FuzzTarget target, FuzzField head, FuzzField tail, Random random, ControlBlock control)
    {
        long capacity = target.DataLength;
        int kind = random.Next(100);
        long offset;
        long value;
        if (kind < 30)
        {
            // A named field: a boundary value, or a nearby or random one.
            int fieldIndex = random.Next(target.Fields.Count);
            FuzzField field = target.Fields[fieldIndex];
            offset = field.Offset;
            long old = field.Size == 8 ? m.ReadInt64(offset) : m.ReadInt32(offset);
            value = random.Next(12) switch
            {
                0 => 0,
                1 => -1,
                2 => field.Size == 8 ? long.MaxValue : int.MaxValue,
                3 => field.Size == 8 ? long.MinValue : int.MinValue,
                4 => old + 8,
                5 => old - 8,
                6 => old + capacity,
                7 => old + 1,
                8 => capacity,
                9 => Environment.ProcessId,
                10 => 1,
                _ => random.NextInt64(),
            };
            if (field.Size == 8)
            {
                m.WriteInt64(offset, value);
            }
            else
            {
                m.WriteInt32(offset, (int)value);
            }

            kind = fieldIndex;
        }
        else if (kind < 65)
        {
            // A forged frame header, half the time among the live frames.
            long position = head.Size != 0 && random.Next(2) == 0 ? m.ReadInt64(head.Offset) + (8 * random.Next(64)) : random.NextInt64(capacity / 8) * 8;
            if (random.Next(2) == 0 && tail.Size != 0)
            {
                position = m.ReadInt64(tail.Offset) - (8 * random.Next(1, 16));
            }

            offset = target.DataOffset + (position & (capacity - 1) & ~7L);
            int length = random.Next(10) switch
            {
                0 => 0,
                1 => int.MinValue,
                2 => int.MaxValue,
                3 => -random.Next(1, 4096),
                4 => (int)(capacity - (offset - target.DataOffset) + 8),
                5 => (int)capacity,
                6 => random.Next(0, 16),
                7 => random.Next(16, 600),
                _ => random.Next(),
            };
            int type = random.Next(6) switch
            {
                0 => -1,
                1 => -2,
                2 => int.MinValue,
                3 => random.Next(),
                _ => m.ReadInt32(offset + 4),
            };
            if (random.Next(3) != 0)
            {
                m.WriteInt32(offset, length);
            }

            m.WriteInt32(offset + 4, type);
            value = ((long)type << 32) | (uint)length;
            kind = -3;
        }
        else if (kind < 99)
        {
            // Random bytes: mostly in the data region, sometimes anywhere in the file.
            int count = random.Next(1, 9);
            offset = kind < 90 ? target.DataOffset + random.NextInt64(capacity - count) : random.NextInt64(m.Length - count);
            Span<byte> bytes = stackalloc byte[count];
            random.NextBytes(bytes);
            m.Write(offset, bytes);
            value = count;
            kind = kind < 90 ? -1 : -2;
        }
        else
        {
            // A run of padding frames over up to a whole lap: a reader must not walk it forever.
            long start = random.NextInt64(capacity / 8) * 8;
            long run = random.Next(2) == 0 ? capacity : random.NextInt64(8, capacity + 1) & ~7L;
            for (long p = 0; p < run; p += 8)
            {
                long o = target.DataOffset + ((start + p) & (capacity - 1));
                m.WriteInt32(o, 8);
                m.WriteInt32(o + 4, -1);
            }

            offset = target.DataOffset + start;
            value = run;
            kind = -4;
        }

        Volatile.Write(ref control.Shared(MutationKindWord), kind);
        Volatile.Write(ref control.Shared(MutationOffsetWord), offset);
        Volatile.Write(ref control.Shared(MutationValueWord), value);
    }

    /// <summary>Describes the last mutation for a report.</summary>
    internal static string Describe(ControlBlock control, FuzzTarget target)
    {
        long kind = Volatile.Read(ref control.Shared(MutationKindWord));
        long offset = Volatile.Read(ref control.Shared(MutationOffsetWord));
        long value = Volatile.Read(ref control.Shared(MutationValueWord));
        return kind switch
        {
            >= 0 when kind < target.Fields.Count => $"field {target.Fields[(int)kind].Name} (offset {offset}) set to {value}",
            -1 => $"{value} random bytes at data offset {offset - target.DataOffset}",
            -2 => $"{value} random bytes at file offset {offset}",
            -3 => $"frame header at data offset {offset - target.DataOffset} set to length {(int)value}, type {(int)(value >> 32)}",
            -4 => $"{value} bytes of padding frames from data offset {offset - target.DataOffset}",
            _ => "no mutation yet",
        };
    }

    /// <summary>A read-write mapping of the victim's current segment, bounds-checked (the hostile must not crash itself).</summary>
    private sealed class Mapping : IDisposable
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private readonly byte* _p;

        private Mapping(MemoryMappedFile file, MemoryMappedViewAccessor view, long length)
        {
            _file = file;
            _view = view;
            Length = length;
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _p = p + view.PointerOffset;
        }

        internal long Length { get; }

        internal static Mapping? TryOpen(string path)
        {
            try
            {
                var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                long length = stream.Length;
                if (length < 4096 + 64)
                {
                    stream.Dispose();
                    return null;
                }

                MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
                return new Mapping(file, file.CreateViewAccessor(0, length), length);
            }
            catch (IOException)
            {
                return null;
            }
        }

        internal int ReadInt32(long offset) => BinaryPrimitives.ReadInt32LittleEndian(At(offset, 4));

        internal long ReadInt64(long offset) => BinaryPrimitives.ReadInt64LittleEndian(At(offset, 8));

        internal void WriteInt32(long offset, int value) => BinaryPrimitives.WriteInt32LittleEndian(At(offset, 4), value);

        internal void WriteInt64(long offset, long value) => BinaryPrimitives.WriteInt64LittleEndian(At(offset, 8), value);

        internal void Write(long offset, ReadOnlySpan<byte> bytes) => bytes.CopyTo(At(offset, bytes.Length));

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }

        private Span<byte> At(long offset, int size)
        {
            if (offset < 0 || offset + size > Length)
            {
                offset = 0;
            }

            return new Span<byte>(_p + offset, size);
        }
    }
}
