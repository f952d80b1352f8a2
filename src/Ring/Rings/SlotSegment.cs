using System;
using System.Text;
using Ring.Layout;

namespace Ring;

/// <summary>
/// Creates and opens the segments of the slot rings (<see cref="SlotRingDescriptor"/>) for a value type: the creator
/// records the slot geometry and the type, an opener checks both before the ring touches a slot.
/// </summary>
internal static unsafe class SlotSegment
{
    internal static Segment Create<T>(string name, RingKind kind, int slotCount, RingOptions? options)
        where T : unmanaged
    {
        options ??= new RingOptions();
        SlotRingDescriptor.CheckSlotCount(slotCount, sizeof(T));
        return Segment.Create(name, kind, options, m => WriteGeometry<T>(m, kind, slotCount), SizesOf<T>(slotCount));
    }

    internal static Segment Open<T>(string name, RingKind kind, RingOptions? options, bool checkTypeName)
        where T : unmanaged
    {
        options ??= new RingOptions();
        Segment segment = Segment.Open(name, kind, options);
        return Checked<T>(segment, kind, 0, checkTypeName);
    }

    internal static Segment CreateOrOpen<T>(string name, RingKind kind, int slotCount, RingOptions? options, bool checkTypeName)
        where T : unmanaged
    {
        options ??= new RingOptions();
        SlotRingDescriptor.CheckSlotCount(slotCount, sizeof(T));
        Segment segment = Segment.CreateOrOpen(name, kind, options, m => WriteGeometry<T>(m, kind, slotCount), SizesOf<T>(slotCount));
        return Checked<T>(segment, kind, slotCount, checkTypeName);
    }

    /// <summary>The name recorded for a value type: its full name, with generic arguments spelled the same way (no assembly versions).</summary>
    internal static string TypeName(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.FullName ?? type.Name;
        }

        var name = new StringBuilder();
        Type definition = type.GetGenericTypeDefinition();
        name.Append(definition.FullName ?? definition.Name).Append('[');
        Type[] arguments = type.GetGenericArguments();
        for (int i = 0; i < arguments.Length; i++)
        {
            name.Append(i == 0 ? string.Empty : ",").Append(TypeName(arguments[i]));
        }

        return name.Append(']').ToString();
    }

    /// <summary>FNV-1a 64 of the UTF-8 bytes of <paramref name="typeName"/>, never 0 (0 means "not recorded").</summary>
    internal static ulong Fingerprint(string typeName)
    {
        ulong hash = 0xCBF29CE484222325;
        foreach (byte b in Encoding.UTF8.GetBytes(typeName))
        {
            hash = (hash ^ b) * 0x100000001B3;
        }

        return hash == 0 ? 1 : hash;
    }

    private static (long, int) SizesOf<T>(int slotCount)
        where T : unmanaged =>
        ((long)slotCount * SlotRingDescriptor.StrideFor(sizeof(T)), sizeof(T));

    private static void WriteGeometry<T>(SharedMemory m, RingKind kind, int slotCount)
        where T : unmanaged
    {
        string typeName = TypeName(typeof(T));
        m.WriteInt32Plain(SlotRingDescriptor.SlotCountOffset, slotCount);
        m.WriteInt32Plain(SlotRingDescriptor.SlotSizeOffset, sizeof(T));
        m.WriteInt32Plain(SlotRingDescriptor.SlotStrideOffset, SlotRingDescriptor.StrideFor(sizeof(T)));
        m.WriteInt32Plain(SlotRingDescriptor.WriterEntriesOffset, SlotRingDescriptor.PartiesOf(kind));
        m.WriteInt32Plain(SlotRingDescriptor.ReaderEntriesOffset, SlotRingDescriptor.PartiesOf(kind));
        m.WriteInt64Plain(SlotRingDescriptor.TypeFingerprintOffset, (long)Fingerprint(typeName));
        var name = new Span<byte>(m.At(SlotRingDescriptor.TypeNameOffset, SlotRingDescriptor.TypeNameCapacity), SlotRingDescriptor.TypeNameCapacity);
        int chars = typeName.Length;
        while (Encoding.UTF8.GetByteCount(typeName.AsSpan(0, chars)) > SlotRingDescriptor.TypeNameCapacity || (chars > 0 && char.IsHighSurrogate(typeName[chars - 1])))
        {
            chars--;
        }

        int length = Encoding.UTF8.GetBytes(typeName.AsSpan(0, chars), name);
        m.WriteInt32Plain(SlotRingDescriptor.TypeNameLengthOffset, length);
    }

    /// <summary>Refuses a segment whose values are not <typeparamref name="T"/> (or whose slot count differs from the one asked for, if not 0); disposes it then.</summary>
    private static Segment Checked<T>(Segment segment, RingKind kind, int slotCount, bool checkTypeName)
        where T : unmanaged
    {
        try
        {
            SharedMemory m = segment.Memory;
            int size = m.ReadInt32Plain(SlotRingDescriptor.SlotSizeOffset);
            string recorded = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(
                m.At(SlotRingDescriptor.TypeNameOffset, 0), m.ReadInt32Plain(SlotRingDescriptor.TypeNameLengthOffset)));
            string mine = TypeName(typeof(T));
            if (size != sizeof(T))
            {
                throw new RingFormatException(
                    $"Ring '{segment.Name}' holds values of {size} bytes (type '{recorded}'), but {typeof(T).Name} has {sizeof(T)} bytes: a slot ring is opened with a value type of the size it was created with.");
            }

            ulong fingerprint = (ulong)m.ReadInt64Plain(SlotRingDescriptor.TypeFingerprintOffset);
            if (checkTypeName && fingerprint != 0 && fingerprint != Fingerprint(mine))
            {
                throw new RingFormatException(
                    $"Ring '{segment.Name}' was created for values of type '{recorded}' (fingerprint 0x{fingerprint:X16}), not '{mine}' (0x{Fingerprint(mine):X16}); both have {size} bytes. Pass checkTypeName: false to open it with this type anyway.");
            }

            int count = m.ReadInt32Plain(SlotRingDescriptor.SlotCountOffset);
            if (slotCount != 0 && count != slotCount)
            {
                throw new RingFormatException($"Ring '{segment.Name}' exists with {count} slots, but {slotCount} slots were asked for.");
            }

            return segment;
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }
}
