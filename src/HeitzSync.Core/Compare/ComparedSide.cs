using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Compare;

/// <summary>One database being compared: a NONE attachment and one read-only snapshot for every table read.</summary>
internal sealed class ComparedSide : IDisposable
{
    private readonly NoneCharsetAttachment _attachment;
    private readonly FbTransaction _snapshot;

    private ComparedSide(NoneCharsetAttachment attachment)
    {
        _attachment = attachment;
        _snapshot = attachment.Connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
    }

    public static ComparedSide Open(FbConnection connection)
    {
        var attachment = NoneCharsetAttachment.For(connection);
        try
        {
            return new ComparedSide(attachment);
        }
        catch
        {
            attachment.Dispose();
            throw;
        }
    }

    /// <summary>The table's definition, or null when it does not exist on this side.</summary>
    public FbTableInfo? Table(string name) => _attachment.Connection.Schema.GetTable(_snapshot, name);

    public long Count(FbTableInfo? table) => table is null
        ? 0
        : Convert.ToInt64(_attachment.Connection.ExecuteScalar(_snapshot, "SELECT COUNT(*) FROM " + FbSql.QuoteIdentifier(table.Name)), CultureInfo.InvariantCulture);

    public TableScan Scan(string table, TableShape shape, CancellationToken cancellationToken) =>
        new(_attachment.Connection, _snapshot, table, shape.Columns, shape.Keys!, cancellationToken);

    public void Dispose()
    {
        _snapshot.Dispose();
        _attachment.Dispose();
    }
}
