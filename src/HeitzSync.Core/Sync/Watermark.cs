using System.Globalization;

namespace HeitzSync.Core.Sync;

/// <summary>
/// How far a receiver has taken a producer's changes (docs/sync-engine.md, "Watermarks"). Still to be sent: every
/// change with a sequence above <see cref="Sequence"/>, and every change written by a transaction that was still open
/// when that range was read: one listed in <see cref="Open"/>, or one numbered <see cref="ResendFromTx"/> or above
/// (started after the range was read; or, for a watermark of an older format or with more open writers than a
/// watermark lists, every transaction from the oldest one open).
/// </summary>
public readonly record struct Watermark(long Sequence, long ResendFromTx)
{
    /// <summary>The writing transactions that were open, older than <see cref="ResendFromTx"/>; none in older formats.</summary>
    public OpenTransactions Open { get; init; }

    public static Watermark None => new(0, 0);

    /// <summary>The later of two acknowledgements of the same producer. Each package ends at a fresh sequence, so
    /// two different packages never share one; the transaction guard decides only between equal sequences (kept for
    /// acknowledgements recorded by older versions).</summary>
    public static Watermark Latest(Watermark a, Watermark b) => b.IsAfter(a) ? b : a;

    /// <summary>True when this acknowledgement covers more than <paramref name="other"/>: a later sequence, or the same
    /// sequence with a later transaction guard. A package whose range is not after what the receiver recorded is
    /// already in (exactly once; an older package arriving after a newer one never rolls it back).</summary>
    public bool IsAfter(Watermark other) =>
        Sequence > other.Sequence || (Sequence == other.Sequence && ResendFromTx > other.ResendFromTx);

    /// <summary>True when a version row (its sequence and the transaction that wrote it) has not been taken by the
    /// receiver yet. Rows applied from elsewhere carry sequence 0 and are never sent.</summary>
    public bool StillToSend(long sequence, long transaction) =>
        sequence > Sequence || (sequence > 0 && (transaction >= ResendFromTx || Open.Contains(transaction)));

    /// <summary>
    /// The SQL form of <see cref="StillToSend"/> over a version table aliased <paramref name="alias"/>, with its
    /// parameters (sequence, guard) in <paramref name="arguments"/>. The open transactions are written as numbers (they
    /// are <see cref="long"/> values, never text from outside), at most <see cref="OpenTransactions.MaxListed"/> of them.
    /// </summary>
    public string SqlStillToSend(string alias, out object?[] arguments)
    {
        arguments = new object?[] { Sequence, ResendFromTx };
        var open = Open.IsEmpty ? "" : $" OR {alias}.TX IN ({Open})";
        return $"({alias}.SEQ > ? OR ({alias}.SEQ > 0 AND ({alias}.TX >= ?{open})))";
    }

    public override string ToString() =>
        $"seq {Sequence} (tx ≥ {ResendFromTx}{(Open.IsEmpty ? "" : ", open " + Open.Count.ToString(CultureInfo.InvariantCulture))})";
}
