using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Ring.Tests;

/// <summary>
/// Presents a slot ring of <see cref="SlotTestMessage"/> as a frame ring (<see cref="IMessageWriter"/> and
/// <see cref="IMessageReader"/>), so that <see cref="RingContractTests"/> runs for the slot kinds unchanged. A claim is
/// the ring's own (internal) slot claim, filled in place; a destination too small for the next value keeps that value
/// in the adapter (taken from the ring, not consumed by the caller) and hands it out next.
/// </summary>
public abstract class SlotMessageAdapter : IMessageWriter, IMessageReader
{
    private bool _claimed;
    private bool _stashed;
    private SlotTestMessage _stash;

    protected SlotMessageAdapter(ISlotWriter<SlotTestMessage> writer, ISlotReader<SlotTestMessage> reader, int maxMessageLength)
    {
        Writer = writer;
        Reader = reader;
        MaxMessageLength = maxMessageLength;
    }

    public ISlotWriter<SlotTestMessage> Writer { get; }

    public ISlotReader<SlotTestMessage> Reader { get; }

    public string Name => Writer.Name;

    public int MaxMessageLength { get; }

    public bool IsWriterCompleted => Reader.IsWriterCompleted;

    /// <summary>The slot count the adapter gives a ring created with <paramref name="options"/>: one slot per 64 bytes of capacity.</summary>
    public static int SlotCountFor(RingOptions options) => (int)(options.Capacity / 64);

    /// <summary>The longest payload a writer made with <paramref name="options"/> accepts.</summary>
    public static int MaxLengthFor(RingOptions options) =>
        options.MaxMessageLength == 0 ? (int)Math.Min(options.Capacity / 8, SlotTestMessage.PayloadCapacity) : options.MaxMessageLength;

    protected abstract bool TryClaimSlot();

    protected abstract ref SlotTestMessage ClaimedSlot { get; }

    protected abstract void CommitSlot();

    protected abstract void AbortSlot();

    public bool TryWrite(ReadOnlySpan<byte> message, int type = 0)
    {
        SlotTestMessage value = Make(message, type);
        return Writer.TryWrite(in value);
    }

    public bool TryWrite(ReadOnlySpan<byte> message, int type, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        SlotTestMessage value = Make(message, type);
        return Writer.TryWrite(in value, timeout, cancellationToken);
    }

    public void Write(ReadOnlySpan<byte> message, int type = 0, CancellationToken cancellationToken = default)
    {
        SlotTestMessage value = Make(message, type);
        Writer.Write(in value, cancellationToken);
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> message, int type = 0, CancellationToken cancellationToken = default) =>
        Writer.WriteAsync(Make(message.Span, type), cancellationToken);

    public bool TryClaim(int length, int type, out Span<byte> payload)
    {
        Check(length, type);
        if (!TryClaimSlot())
        {
            payload = default;
            return false;
        }

        _claimed = true;
        ref SlotTestMessage slot = ref ClaimedSlot;
        slot.Length = length;
        slot.Type = type;
        payload = MemoryMarshal.CreateSpan(ref slot.Bytes[0], length);
        return true;
    }

    public void Commit()
    {
        CommitSlot();
        _claimed = false;
    }

    public void Abort()
    {
        AbortSlot();
        _claimed = false;
    }

    public void Complete() => Writer.Complete();

    public bool TryRead(Span<byte> destination, out RingMessage message)
    {
        if (!_stashed && !Reader.TryRead(out _stash))
        {
            message = default;
            return false;
        }

        _stashed = true;
        return Deliver(destination, out message);
    }

    public ReadStatus Read(Span<byte> destination, out RingMessage message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!_stashed)
        {
            ReadStatus status = Reader.Read(out _stash, timeout, cancellationToken);
            if (status != ReadStatus.Message)
            {
                message = default;
                return status;
            }

            _stashed = true;
        }

        Deliver(destination, out message);
        return ReadStatus.Message;
    }

    public int Read<THandler>(ref THandler handler, int limit = int.MaxValue)
        where THandler : IFrameHandler, allows ref struct
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        int count = 0;
        if (_stashed)
        {
            _stashed = false;
            count++;
            handler.OnFrame(_stash.Type, ((ReadOnlySpan<byte>)_stash.Bytes)[.._stash.Length]);
        }

        if (count == limit)
        {
            return count;
        }

        var forward = new Forward<THandler> { Inner = handler };
        try
        {
            count += Reader.Read(ref forward, limit - count);
        }
        finally
        {
            handler = forward.Inner;
        }

        return count;
    }

    public int Read(FrameHandler handler, int limit = int.MaxValue)
    {
        var adapter = new DelegateHandler(handler);
        return Read(ref adapter, limit);
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
        _stashed ? new ValueTask<bool>(true) : Reader.WaitToReadAsync(cancellationToken);

    public async ValueTask<RingMessage> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryRead(destination.Span, out RingMessage message))
            {
                return message;
            }

            if (!await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new RingCompletedException($"Ring '{Name}' was completed and every value has been read.");
            }
        }
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        Writer.Dispose();
        if (!ReferenceEquals(Writer, Reader))
        {
            Reader.Dispose();
        }
    }

    private bool Deliver(Span<byte> destination, out RingMessage message)
    {
        int length = _stash.Length;
        if (length > destination.Length)
        {
            throw new ArgumentException(
                $"Destination of {destination.Length} bytes is too small for the next message of ring '{Name}', which has {length} bytes. Nothing was consumed.",
                nameof(destination));
        }

        ((ReadOnlySpan<byte>)_stash.Bytes)[..length].CopyTo(destination);
        _stashed = false;
        message = new RingMessage(length, _stash.Type);
        return true;
    }

    private SlotTestMessage Make(ReadOnlySpan<byte> message, int type)
    {
        Check(message.Length, type);
        if (_claimed)
        {
            throw new InvalidOperationException($"Ring '{Name}' has a claim that is neither committed nor aborted.");
        }

        var value = new SlotTestMessage { Length = message.Length, Type = type };
        message.CopyTo(value.Bytes);
        return value;
    }

    private void Check(int length, int type)
    {
        if ((uint)length > (uint)MaxMessageLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length,
                $"Message of {length} bytes is too long for ring '{Name}': its maximum message length is {MaxMessageLength} bytes. Nothing was written.");
        }

        Layout.FrameDescriptor.CheckType(type);
    }

    private ref struct Forward<THandler> : ISlotHandler<SlotTestMessage>
        where THandler : IFrameHandler, allows ref struct
    {
        public THandler Inner;

        // The value lives in the ring's slot for the whole call; a span made from its address carries no scope.
        public void OnMessage(in SlotTestMessage message) =>
            Inner.OnFrame(message.Type, MemoryMarshal.CreateReadOnlySpan(ref System.Runtime.CompilerServices.Unsafe.AsRef(in message.Bytes[0]), message.Length));
    }

    private readonly struct DelegateHandler(FrameHandler handler) : IFrameHandler
    {
        public void OnFrame(int type, ReadOnlySpan<byte> payload) => handler(type, payload);
    }
}

/// <summary>The adapter over a <see cref="SlotRing{T}"/>.</summary>
public sealed class OneToOneSlotAdapter(SlotRing<SlotTestMessage> ring, int maxMessageLength) : SlotMessageAdapter(ring, ring, maxMessageLength)
{
    public SlotRing<SlotTestMessage> Ring => ring;

    protected override ref SlotTestMessage ClaimedSlot => ref ring.ClaimedValue;

    protected override bool TryClaimSlot() => ring.TryClaim();

    protected override void CommitSlot() => ring.Commit();

    protected override void AbortSlot() => ring.Abort();
}

/// <summary>The adapter over a <see cref="ManyToManySlotRing{T}"/>.</summary>
public sealed class ManyToManySlotAdapter(ManyToManySlotRing<SlotTestMessage> ring, int maxMessageLength) : SlotMessageAdapter(ring, ring, maxMessageLength)
{
    public ManyToManySlotRing<SlotTestMessage> Ring => ring;

    protected override ref SlotTestMessage ClaimedSlot => ref ring.ClaimedValue;

    protected override bool TryClaimSlot() => ring.TryClaim(out _);

    protected override void CommitSlot()
    {
        if (!ring.Commit())
        {
            throw new InvalidOperationException("the claim was abandoned");
        }
    }

    protected override void AbortSlot() => ring.Abort();
}
