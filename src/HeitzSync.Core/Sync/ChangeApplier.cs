using System.Globalization;
using System.Text;
using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>One change as the apply loop sees it.</summary>
internal sealed class IncomingChange
{
    public IncomingChange(TableApplier table, SectionKind kind, object?[] key, object?[] values, ChangeHeader header)
    {
        Table = table;
        Kind = kind;
        Key = key;
        Values = values;
        Header = header;
    }

    public TableApplier Table { get; }
    public SectionKind Kind { get; }
    public object?[] Key { get; }
    public object?[] Values { get; }
    public ChangeHeader Header { get; }
    public bool IsDelete => Kind == SectionKind.Deletes;
    public string KeyText => ChangeApplier.FormatKey(Key);
}

/// <summary>What the receiving node decides about each change (Siège: conflicts; site: pending local changes).</summary>
internal interface IApplyPolicy
{
    /// <summary>True to apply; false to skip (the policy records why).</summary>
    bool ShouldApply(IncomingChange change);

    /// <summary>Called after the business row was written: records the version row.</summary>
    void Applied(IncomingChange change);

    /// <summary>Called for a change that still breaks a foreign key after every other change was applied.</summary>
    void CannotApply(IncomingChange change, FbException error);
}

/// <summary>Per-table counts of one apply, for the report.</summary>
public sealed class AppliedTableCounts
{
    public long Upserts { get; internal set; }
    public long Deletes { get; internal set; }
    public long Skipped { get; internal set; }
}

/// <summary>
/// Applies a change stream inside one transaction: sections in the order they come (parents first for upserts,
/// children first for deletes); a row refused by a foreign key is retried once everything else is in, in case its
/// parent came later (self-references, cycles) and is then handed to the policy.
/// </summary>
internal sealed class ChangeApplier : IDisposable
{
    public const int ForeignKeyViolation = 335544466;

    private readonly FbConnection _connection;
    private readonly FbTransaction _transaction;
    private readonly SyncSchema _schema;
    private readonly bool _masterVersions;
    private readonly Dictionary<string, TableApplier> _tables = new(StringComparer.Ordinal);

    public ChangeApplier(FbConnection connection, FbTransaction transaction, SyncSchema schema, bool masterVersions)
    {
        _connection = connection;
        _transaction = transaction;
        _schema = schema;
        _masterVersions = masterVersions;
    }

    public Dictionary<string, AppliedTableCounts> Counts { get; } = new(StringComparer.Ordinal);

    public void Apply(ChangeReader reader, IApplyPolicy policy, CancellationToken cancellationToken)
    {
        var deferred = new List<IncomingChange>();
        var header = new ChangeHeader();
        while (reader.NextSection())
        {
            var table = TableFor(reader);
            var values = new object?[reader.ColumnNames.Count];
            var rows = 0;
            while (reader.NextRow(header, values))
            {
                if ((++rows & 255) == 0) cancellationToken.ThrowIfCancellationRequested();
                var key = reader.SectionKind == SectionKind.Upserts ? table.KeyOf(values) : (object?[])values.Clone();
                var change = new IncomingChange(table, reader.SectionKind, key, values, header);
                if (!policy.ShouldApply(change))
                {
                    Count(table).Skipped++;
                    continue;
                }
                if (!TryWrite(change, policy, out var error))
                {
                    deferred.Add(Detach(change));
                    _ = error;
                }
            }
        }

        // Retry what a foreign key refused, while that makes progress.
        while (deferred.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stillFailing = new List<(IncomingChange Change, FbException Error)>();
            foreach (var change in deferred)
            {
                if (!TryWrite(change, policy, out var error)) stillFailing.Add((change, error!));
            }
            if (stillFailing.Count == deferred.Count)
            {
                foreach (var (change, error) in stillFailing)
                {
                    policy.CannotApply(change, error);
                }
                break;
            }
            deferred = stillFailing.Select(f => f.Change).ToList();
        }
    }

    private bool TryWrite(IncomingChange change, IApplyPolicy policy, out FbException? error)
    {
        try
        {
            if (change.IsDelete) change.Table.Delete(change.Key);
            else change.Table.Upsert(change.Values);
        }
        catch (FbException ex) when (ex.GdsCodes.Contains(ForeignKeyViolation))
        {
            error = ex;
            return false;
        }
        policy.Applied(change);
        var counts = Count(change.Table);
        if (change.IsDelete) counts.Deletes++;
        else counts.Upserts++;
        error = null;
        return true;
    }

    private TableApplier TableFor(ChangeReader reader)
    {
        if (_tables.TryGetValue(reader.TableName, out var existing)) return existing;
        var table = _schema.Find(reader.TableName)
            ?? throw new SchemaMismatchException($"The package carries table {reader.TableName}, which is not synchronised in this database.", Array.Empty<string>());
        var expected = reader.SectionKind == SectionKind.Upserts ? table.Columns : table.KeyColumns;
        if (!expected.Select(c => c.Name).SequenceEqual(reader.ColumnNames, StringComparer.Ordinal))
        {
            throw new SchemaMismatchException(
                $"The package's columns of {table.Name} ({string.Join(", ", reader.ColumnNames)}) differ from this database's ({string.Join(", ", expected.Select(c => c.Name))}).",
                Array.Empty<string>());
        }
        var applier = new TableApplier(_connection, _transaction, table, _masterVersions);
        _tables[table.Name] = applier;
        return applier;
    }

    private AppliedTableCounts Count(TableApplier table)
    {
        if (!Counts.TryGetValue(table.Table.Name, out var counts))
        {
            counts = new AppliedTableCounts();
            Counts[table.Table.Name] = counts;
        }
        return counts;
    }

    /// <summary>Copies a change so it survives the reader moving on (blob streams become byte arrays).</summary>
    private static IncomingChange Detach(IncomingChange change)
    {
        object? Copy(object? value)
        {
            if (value is Stream stream)
            {
                using var memory = new MemoryStream();
                stream.Position = 0;
                stream.CopyTo(memory);
                return memory.ToArray();
            }
            return value;
        }
        var header = new ChangeHeader
        {
            Sequence = change.Header.Sequence,
            ChangedAtUtc = change.Header.ChangedAtUtc,
            Origin = change.Header.Origin,
            BaseSequence = change.Header.BaseSequence,
        };
        return new IncomingChange(change.Table, change.Kind, change.Key.Select(Copy).ToArray(), change.Values.Select(Copy).ToArray(), header);
    }

    /// <summary>A key as text for reports: numbers and dates invariant, text decoded (UTF-8, else Latin-1).</summary>
    public static string FormatKey(object?[] key) => string.Join(", ", key.Select(FormatValue));

    private static string FormatValue(object? value) => value switch
    {
        null => "NULL",
        FbRawText raw => DecodeText(raw.Bytes).TrimEnd(),
        DateTime d => d.ToString(d.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string DecodeText(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.GetEncoding(28591).GetString(bytes);
        }
    }

    public void Dispose()
    {
        foreach (var table in _tables.Values)
        {
            table.Dispose();
        }
        _tables.Clear();
    }
}

/// <summary>The package was made from a different schema; nothing was applied.</summary>
public sealed class SchemaMismatchException : Exception
{
    public SchemaMismatchException(string message, IReadOnlyList<string> differences) : base(message) => Differences = differences;

    public IReadOnlyList<string> Differences { get; }
}
