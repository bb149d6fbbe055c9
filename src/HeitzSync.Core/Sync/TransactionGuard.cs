using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>
/// Which transactions may still commit version rows that a snapshot started after this guard cannot see
/// (docs/sync-engine.md, "Watermarks"): the writing transactions of user attachments open now (<see cref="Open"/>), and
/// every transaction that starts from now on (numbered <see cref="From"/> or above). Read BEFORE the producer's
/// snapshot starts, in a short transaction of its own: a transaction that commits between the two is then either
/// listed or visible to the snapshot, never neither.
/// </summary>
internal sealed class TransactionGuard
{
    private TransactionGuard(long from, OpenTransactions open)
    {
        From = from;
        Open = open;
    }

    /// <summary>The guard's own transaction number: every transaction started after it is numbered above.</summary>
    public long From { get; }

    /// <summary>The writing transactions of user attachments that were open, older than <see cref="From"/>.</summary>
    public OpenTransactions Open { get; }

    /// <summary>
    /// Reads the open writers from MON$TRANSACTIONS (an idle open transaction counts too: MON$STATE says only whether a
    /// statement runs). Read-only transactions and the engine's own system attachments cannot write version rows. More
    /// than <see cref="OpenTransactions.MaxListed"/> open writers: the guard falls back to the oldest of them as a lower
    /// bound (every transaction from it on is resent), which is more than needed and never less.
    /// </summary>
    public static TransactionGuard Read(FbConnection connection)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        var ours = Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT CURRENT_TRANSACTION FROM RDB$DATABASE"), CultureInfo.InvariantCulture);
        var open = new List<long>();
        using (var command = connection.Prepare(tx,
                   "SELECT t.MON$TRANSACTION_ID FROM MON$TRANSACTIONS t JOIN MON$ATTACHMENTS a ON a.MON$ATTACHMENT_ID = t.MON$ATTACHMENT_ID " +
                   "WHERE t.MON$READ_ONLY = 0 AND a.MON$SYSTEM_FLAG = 0 AND t.MON$TRANSACTION_ID < ? ORDER BY 1"))
        using (var reader = command.ExecuteReader(ours))
        {
            while (reader.Read()) open.Add(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture));
        }
        tx.Commit();
        return open.Count > OpenTransactions.MaxListed
            ? new TransactionGuard(open.Min(), OpenTransactions.None)
            : new TransactionGuard(ours, OpenTransactions.Of(open));
    }

    /// <summary>The range a snapshot started after this guard covers: a fresh value of the producer's change sequence,
    /// taken inside the snapshot (above every sequence handed out before it, and above every earlier package's range).</summary>
    public Watermark Cover(FbConnection connection, FbTransaction snapshot)
    {
        var sequence = Convert.ToInt64(connection.ExecuteScalar(snapshot, "SELECT GEN_ID(HZ$SEQ, 1) FROM RDB$DATABASE"), CultureInfo.InvariantCulture);
        return new Watermark(sequence, From) { Open = Open };
    }
}
