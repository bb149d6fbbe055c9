namespace HeitzSync.Core.Sync;

/// <summary>
/// How far a receiver has taken a producer's changes: every change with a sequence above <see cref="Sequence"/>,
/// and every change written by a transaction numbered <see cref="ResendFromTx"/> or above, is still to be sent
/// (docs/sync-engine.md, "Watermarks").
/// </summary>
public readonly record struct Watermark(long Sequence, long ResendFromTx)
{
    public static Watermark None => new(0, 0);

    /// <summary>The later of two acknowledgements of the same producer. Both parts only grow from one package to the
    /// next, and two packages with no new sequence in between differ by their transaction guard alone.</summary>
    public static Watermark Latest(Watermark a, Watermark b) => b.IsAfter(a) ? b : a;

    /// <summary>True when this acknowledgement covers more than <paramref name="other"/>: a later sequence, or the same
    /// sequence with a later transaction guard. A package whose range is not after what the receiver recorded is
    /// already in (exactly once; an older package arriving after a newer one never rolls it back).</summary>
    public bool IsAfter(Watermark other) =>
        Sequence > other.Sequence || (Sequence == other.Sequence && ResendFromTx > other.ResendFromTx);

    public override string ToString() => $"seq {Sequence} (tx ≥ {ResendFromTx})";
}
