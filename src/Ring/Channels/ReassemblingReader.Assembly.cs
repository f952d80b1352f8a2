using System;
using System.Buffers;
using System.Runtime.CompilerServices;

namespace Ring.Channels;

public sealed partial class ReassemblingReader
{
    private enum SlotState
    {
        Free,

        /// <summary>Fragments 0..Received of message Number arrived; the rest is awaited.</summary>
        Assembling,

        /// <summary>Message Number was discarded; its remaining fragments are dropped without counting it again.</summary>
        Discarding,
    }

    /// <summary>
    /// Takes frames from the ring one at a time until a whole message reaches <paramref name="sink"/> or the ring has
    /// nothing more now. A kept message (one that did not fit an earlier destination) goes first.
    /// </summary>
    private bool TryReadCore<TSink>(ref TSink sink)
        where TSink : IMessageSink, allows ref struct
    {
        ThrowIfDisposed();
        if (_pending is { } pending)
        {
            if (!sink.TryDeliver(_pendingType, pending.AsSpan(0, _pendingLength)))
            {
                ThrowDestinationTooSmall(sink.DestinationLength);
            }

            ReleasePending();
            _messagesRead++;
            return true;
        }

        while (true)
        {
            // One frame per call: the frame's span is valid only inside the handler, and a message completes there.
            var adapter = new FrameAdapter<TSink>(this, sink);
            int frames = _inner.Read(ref adapter, 1);
            sink = adapter.Sink;
            if (frames == 0)
            {
                return false;
            }

            if (adapter.Delivered)
            {
                return true;
            }

            if (_pending is not null)
            {
                ThrowDestinationTooSmall(sink.DestinationLength);
            }
        }
    }

    /// <summary>
    /// At the end of a read call: a message being reassembled in the caller's span moves to a pooled buffer, since the
    /// span is lent only for the call.
    /// </summary>
    private void ReturnDirectTarget(Span<byte> target)
    {
        if (_direct is not null)
        {
            Evacuate(target);
        }
    }

    /// <summary>Handles one frame; true if it completed a message that <paramref name="sink"/> took.</summary>
    private bool OnFrame<TSink>(ref TSink sink, int type, ReadOnlySpan<byte> payload)
        where TSink : IMessageSink, allows ref struct
    {
        if (type != FragmentDescriptor.FrameType)
        {
            if (payload.Length > _maxMessageSize)
            {
                // Longer than the maximum (a writer configured otherwise): no destination of MaxMessageSize bytes takes
                // it, so keeping it for the next read would block the reader for good. Dropped and counted, as an
                // oversized fragmented message is.
                _abandonedMessages++;
                _abandonedBytes += payload.Length;
                return false;
            }

            return Deliver(ref sink, type, payload, null);
        }

        if (payload.Length < FragmentDescriptor.HeaderLength)
        {
            ThrowHelper.ThrowCorrupted(Name, $"a fragment frame carries {payload.Length} bytes; it must hold at least the {FragmentDescriptor.HeaderLength}-byte fragment header");
        }

        FragmentDescriptor.Header h = FragmentDescriptor.Read(payload);
        ReadOnlySpan<byte> data = payload[FragmentDescriptor.HeaderLength..];
        CheckHeader(in h, data.Length);
        Slot? slot = Find(h.Identity, h.Instance);
        if (h.Flags == FragmentDescriptor.CancelFlags)
        {
            if (slot is not null && slot.Number == h.MessageNumber)
            {
                if (slot.State == SlotState.Assembling)
                {
                    Abandon(slot);
                }
                else
                {
                    Release(slot);
                }
            }

            return false;
        }

        bool last = h.Offset + data.Length == h.TotalLength;
        if (h.Offset == 0)
        {
            slot ??= Take(h.Identity, h.Instance);
            if (slot.State == SlotState.Assembling)
            {
                // The writer started a new message: it gave the previous one up without a cancel (full ring).
                Abandon(slot);
            }

            if (h.TotalLength > _maxMessageSize)
            {
                Discard(slot, in h, data.Length, last);
                return false;
            }

            Start(slot, in h, direct: _direct is null && h.TotalLength <= sink.DirectTarget.Length);
        }
        else if (slot is null || slot.State != SlotState.Assembling || slot.Number != h.MessageNumber || slot.Received != h.Offset ||
                 slot.Total != h.TotalLength || slot.Type != h.UserType)
        {
            if (slot is not null && slot.State == SlotState.Discarding && slot.Number == h.MessageNumber)
            {
                _abandonedBytes += data.Length;
                if (last)
                {
                    Release(slot);
                }

                return false;
            }

            // A continuation without its beginning (missed, or given up): the message cannot be completed.
            if (slot is null)
            {
                // Never give up another writer's live partial for it: only a free or discarding slot will do. With
                // none, its bytes are counted and nothing is kept (it was counted as a message when it lost its slot,
                // or, if its beginning was never seen while every slot was busy, only its bytes are).
                slot = TakeWithoutEvicting(h.Identity, h.Instance);
                if (slot is null)
                {
                    _abandonedBytes += data.Length;
                    return false;
                }
            }
            else if (slot.State == SlotState.Assembling)
            {
                Abandon(slot);
            }

            Discard(slot, in h, data.Length, last);
            return false;
        }

        data.CopyTo(slot == _direct ? sink.DirectTarget[h.Offset..] : slot.Buffer.AsSpan(h.Offset));
        slot.Received += data.Length;
        slot.LastActive = ++_clock;
        if (!last)
        {
            return false;
        }

        if (slot == _direct)
        {
            Release(slot);
            sink.DeliverDirect(h.UserType, h.TotalLength);
            _messagesRead++;
            return true;
        }

        byte[] buffer = slot.Buffer!;
        slot.Buffer = null;
        Release(slot);
        return Deliver(ref sink, h.UserType, buffer.AsSpan(0, h.TotalLength), buffer);
    }

    /// <summary>
    /// Hands a whole message to the sink; if it does not fit, keeps it (in <paramref name="pooled"/>, or a copy) for the
    /// next read. A pooled buffer goes back to the pool once delivered.
    /// </summary>
    private bool Deliver<TSink>(ref TSink sink, int type, ReadOnlySpan<byte> message, byte[]? pooled)
        where TSink : IMessageSink, allows ref struct
    {
        if (_direct is not null)
        {
            // Another message is handed out first: the one being reassembled in the caller's span moves to a buffer.
            Evacuate(sink.DirectTarget);
        }

        if (sink.TryDeliver(type, message))
        {
            if (pooled is not null)
            {
                ArrayPool<byte>.Shared.Return(pooled);
            }

            _messagesRead++;
            return true;
        }

        if (pooled is null)
        {
            pooled = ArrayPool<byte>.Shared.Rent(message.Length);
            message.CopyTo(pooled);
        }

        _pending = pooled;
        _pendingLength = message.Length;
        _pendingType = type;
        return false;
    }

    private void CheckHeader(in FragmentDescriptor.Header h, int dataLength)
    {
        bool cancel = h.Flags == FragmentDescriptor.CancelFlags;
        if ((h.Flags != FragmentDescriptor.DataFlags && !cancel) || h.TotalLength < 0 || h.Offset < 0 || (long)h.Offset + dataLength > h.TotalLength ||
            (cancel ? dataLength != 0 : dataLength == 0) || (uint)h.UserType >= FragmentDescriptor.ReservedTypeMin)
        {
            ThrowHelper.ThrowCorrupted(Name,
                $"a fragment has flags {h.Flags}, user type {h.UserType}, total length {h.TotalLength}, offset {h.Offset} and {dataLength} data bytes; " +
                $"the rule is flags 0 (data, at least 1 byte) or 1 (cancel, no data), 0 <= user type < {FragmentDescriptor.ReservedTypeMin}, 0 <= offset and offset + data <= total length");
        }
    }

    /// <summary>The slot holding a message (or a discard) of this writer, if any.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Slot? Find(long identity, int instance)
    {
        foreach (Slot slot in _slots)
        {
            if (slot.State != SlotState.Free && slot.Identity == identity && slot.Instance == instance)
            {
                return slot;
            }
        }

        return null;
    }

    /// <summary>
    /// A slot for a writer that has none: a free one; else one that only discards; else one freed by discarding dead
    /// writers' partials; else the partial that progressed least recently is given up (counted).
    /// </summary>
    private Slot Take(long identity, int instance)
    {
        Slot? slot = TakeWithoutEvicting(identity, instance);
        if (slot is null)
        {
            slot = _slots[0];
            foreach (Slot s in _slots)
            {
                if (s.LastActive < slot.LastActive)
                {
                    slot = s;
                }
            }

            Abandon(slot);
            slot.Identity = identity;
            slot.Instance = instance;
        }

        return slot;
    }

    /// <summary>A free or discarding slot (after discarding dead writers' partials if needed) for a writer that has none; null if every slot holds a live partial.</summary>
    private Slot? TakeWithoutEvicting(long identity, int instance)
    {
        Slot? slot = FindReusable();
        if (slot is null)
        {
            DiscardDeadWriters();
            slot = FindReusable();
            if (slot is null)
            {
                return null;
            }
        }

        if (slot.State == SlotState.Discarding)
        {
            Release(slot);
        }

        slot.Identity = identity;
        slot.Instance = instance;
        return slot;
    }

    private Slot? FindReusable()
    {
        Slot? discarding = null;
        foreach (Slot slot in _slots)
        {
            if (slot.State == SlotState.Free)
            {
                return slot;
            }

            if (slot.State == SlotState.Discarding && (discarding is null || slot.LastActive < discarding.LastActive))
            {
                discarding = slot;
            }
        }

        return discarding;
    }

    /// <summary>
    /// Starts reassembling a message: in the caller's span if <paramref name="direct"/> (a blocking read then hands it
    /// out without a copy), else in a pooled buffer.
    /// </summary>
    private void Start(Slot slot, in FragmentDescriptor.Header h, bool direct)
    {
        slot.State = SlotState.Assembling;
        slot.Number = h.MessageNumber;
        slot.Type = h.UserType;
        slot.Total = h.TotalLength;
        slot.Received = 0;
        slot.Buffer = direct ? null : ArrayPool<byte>.Shared.Rent(h.TotalLength);
        if (direct)
        {
            _direct = slot;
        }
        slot.LastActive = ++_clock;
        _inFlight++;
    }

    /// <summary>Counts a message as abandoned and drops its remaining fragments as they come.</summary>
    private void Discard(Slot slot, in FragmentDescriptor.Header h, int dataLength, bool last)
    {
        _abandonedMessages++;
        _abandonedBytes += dataLength;
        if (last)
        {
            return;
        }

        slot.State = SlotState.Discarding;
        slot.Number = h.MessageNumber;
        slot.LastActive = ++_clock;
    }

    /// <summary>Discards a partial message and counts it.</summary>
    private void Abandon(Slot slot)
    {
        _abandonedMessages++;
        _abandonedBytes += slot.Received;
        Release(slot);
    }

    /// <summary>Moves the message being reassembled in the caller's span (<paramref name="target"/>) to a pooled buffer.</summary>
    private void Evacuate(Span<byte> target)
    {
        Slot slot = _direct!;
        _direct = null;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(slot.Total);
        target[..slot.Received].CopyTo(buffer);
        slot.Buffer = buffer;
    }

    /// <summary>Frees a slot, returning its buffer to the pool.</summary>
    private void Release(Slot slot)
    {
        if (slot == _direct)
        {
            _direct = null;
        }

        if (slot.State == SlotState.Assembling)
        {
            _inFlight--;
        }

        if (slot.Buffer is { } buffer)
        {
            slot.Buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        slot.State = SlotState.Free;
        slot.Received = 0;
    }

    /// <summary>The end of the stream: no partial can be completed any more.</summary>
    private void DiscardAll()
    {
        foreach (Slot slot in _slots)
        {
            if (slot.State == SlotState.Assembling)
            {
                Abandon(slot);
            }
            else if (slot.State == SlotState.Discarding)
            {
                Release(slot);
            }
        }
    }

    private void ReleasePending()
    {
        if (_pending is { } pending)
        {
            _pending = null;
            ArrayPool<byte>.Shared.Return(pending);
        }
    }

    private void ThrowDestinationTooSmall(int destinationLength) =>
        throw new ArgumentException(
            $"Destination of {destinationLength} bytes is too small for the next message of ring '{Name}', which has {_pendingLength} bytes. Nothing was consumed: the message is kept for the next read (a destination of MaxMessageSize {_maxMessageSize} bytes always suffices).",
            "destination");

    /// <summary>What the reader knows of one writer with a message in flight.</summary>
    private sealed class Slot
    {
        public SlotState State;
        public long Identity;
        public int Instance;
        public int Number;
        public int Type;
        public int Total;
        public int Received;
        public byte[]? Buffer;
        public long LastActive;
    }

    /// <summary>The handler the ring calls with one frame; it passes the frame to the reader with the caller's sink.</summary>
    private ref struct FrameAdapter<TSink> : IFrameHandler
        where TSink : IMessageSink, allows ref struct
    {
        private readonly ReassemblingReader _reader;
        public TSink Sink;
        public bool Delivered;

        public FrameAdapter(ReassemblingReader reader, TSink sink)
        {
            _reader = reader;
            Sink = sink;
        }

        public void OnFrame(int type, ReadOnlySpan<byte> payload) => Delivered = _reader.OnFrame(ref Sink, type, payload);
    }
}
