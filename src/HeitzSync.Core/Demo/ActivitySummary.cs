namespace HeitzSync.Core.Demo;

/// <summary>Rows one table gained, changed and lost (as the statements reported them).</summary>
public sealed record TableActivity(string Table, int Inserted, int Updated, int Deleted);

/// <summary>What a seed or a business day did, table by table (every table of the sample schema, zeros included).</summary>
public sealed class ActivitySummary
{
    internal ActivitySummary(IReadOnlyList<TableActivity> tables) => Tables = tables;

    public IReadOnlyList<TableActivity> Tables { get; }

    public int Inserted => Tables.Sum(t => t.Inserted);
    public int Updated => Tables.Sum(t => t.Updated);
    public int Deleted => Tables.Sum(t => t.Deleted);

    /// <summary>The counts of one table (zeros when nothing happened to it).</summary>
    public TableActivity For(string table) =>
        Tables.FirstOrDefault(t => t.Table == table) ?? new TableActivity(table, 0, 0, 0);

    public override string ToString() =>
        string.Join("; ", Tables.Where(t => t.Inserted + t.Updated + t.Deleted > 0)
            .Select(t => $"{t.Table} +{t.Inserted} ~{t.Updated} -{t.Deleted}"));
}

/// <summary>Adds up rows affected per table while demo data is written.</summary>
internal sealed class ActivityCounter
{
    private readonly Dictionary<string, (int Inserted, int Updated, int Deleted)> _counts = new(StringComparer.Ordinal);

    public int Inserted(string table, int rows) => Add(table, rows, 0, 0);
    public int Updated(string table, int rows) => Add(table, 0, rows, 0);
    public int Deleted(string table, int rows) => Add(table, 0, 0, rows);

    private int Add(string table, int inserted, int updated, int deleted)
    {
        _counts.TryGetValue(table, out var c);
        _counts[table] = (c.Inserted + inserted, c.Updated + updated, c.Deleted + deleted);
        return inserted + updated + deleted;
    }

    public ActivitySummary ToSummary() => new(SampleSchema.AllTables
        .Select(t => _counts.TryGetValue(t, out var c) ? new TableActivity(t, c.Inserted, c.Updated, c.Deleted) : new TableActivity(t, 0, 0, 0))
        .ToList());
}
