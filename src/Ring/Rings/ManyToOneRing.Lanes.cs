namespace Ring;

public sealed partial class ManyToOneRing
{
    // What a LaneMailbox needs of its lane rings beyond the public surface: it attaches its roles on every lane at
    // once (so that each lane knows every sender and the receiver), and its own wait, on the mailbox's doorbell, does
    // what each ring's wait does: check for a frame, recover a dead writer's claim, tell the end of the stream.

    /// <summary>Attaches this object as the ring's reader if it is not yet.</summary>
    internal void EnsureReader()
    {
        if (!_isReader)
        {
            AttachReader();
        }
    }

    /// <summary>Attaches this object as one of the ring's writers if it is not yet.</summary>
    internal void EnsureWriter()
    {
        if (!_isWriter)
        {
            AttachWriter();
        }
    }

    /// <summary>True if a frame can be read (or passed) at the reader's head now. The reader must be attached.</summary>
    internal bool HasReadableMessageAtHead => HasReadableFrame();

    /// <summary>True if the ring was completed and everything was read. The reader must be attached.</summary>
    internal bool IsCompletedAndDrainedNow => IsCompletedAndDrained();

    /// <summary>True if nothing is left to read and every attached writer died. The reader must be attached.</summary>
    internal bool IsDrainedAndOrphanedNow => IsDrainedAndOrphaned();

    /// <summary>Recovers a dead writer's claim at head (or revokes a stuck one); true if the frame at head can be read or passed now.</summary>
    internal bool RecoverAtHead() => TryRecoverAtHead();
}
