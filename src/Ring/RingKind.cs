namespace Ring;

/// <summary>The kind of ring a segment holds, recorded in its header and checked on open.</summary>
public enum RingKind
{
    /// <summary>One writer process, one reader process, variable-length frames.</summary>
    OneToOne = 1,
}
