using HeitzSync.Firebird;

namespace HeitzSync.Core.Capture;

/// <summary>
/// Installs and removes change capture in one database (DESIGN.md §3, docs/sync-engine.md), idempotently:
/// running it again with the same options changes nothing; with other tables it adds and removes what differs.
/// </summary>
public sealed class CaptureInstaller
{
    private readonly FbConnection _connection;

    public CaptureInstaller(FbConnection connection) => _connection = connection;

    public static bool IsInstalled(FbConnection connection, FbTransaction transaction) =>
        connection.ExecuteScalar(transaction, "SELECT COUNT(*) FROM RDB$RELATIONS WHERE RDB$RELATION_NAME = 'HZ$NODE'") is { } count
        && Convert.ToInt64(count, System.Globalization.CultureInfo.InvariantCulture) > 0;

    /// <summary>Checks what an install would do without changing anything (for -WhatIf and for validation).</summary>
    public SyncSchema Plan(CaptureOptions options)
    {
        using var tx = _connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        var tables = SelectTables(tx, options);
        return SyncSchema.Describe(tables, new Dictionary<string, int>());
    }

    public CaptureInstallResult Install(CaptureOptions options)
    {
        if (options.KeyLow > options.KeyHigh || options.KeyLow < 0)
        {
            throw new CaptureSetupException($"The key range [{options.KeyLow}, {options.KeyHigh}] of site {options.Site} is empty or negative: check site.number and keyRangeSize.");
        }

        List<FbTableInfo> wanted;
        Dictionary<string, int> installedIds;
        using (var tx = _connection.BeginTransaction())
        {
            wanted = SelectTables(tx, options);
            installedIds = IsInstalled(_connection, tx) && TableExists(tx, "HZ$TABLES")
                ? ReadInstalledIds(tx)
                : new Dictionary<string, int>(StringComparer.Ordinal);
            if (!options.ReseedGenerators) CheckGenerators(tx, options);
        }

        foreach (var (name, ddl) in CaptureObjects.Tables)
        {
            if (!TableExistsNow(name)) _connection.ExecuteInNewTransaction(ddl);
        }
        if (!GeneratorExistsNow(CaptureObjects.Sequence))
        {
            _connection.ExecuteInNewTransaction($"CREATE SEQUENCE {CaptureObjects.Sequence}");
        }

        var wantedNames = new HashSet<string>(wanted.Select(t => t.Name), StringComparer.Ordinal);
        var removed = installedIds.Keys.Where(n => !wantedNames.Contains(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        foreach (var name in removed)
        {
            DropTableCapture(installedIds[name]);
            _connection.ExecuteInNewTransaction("DELETE FROM HZ$TABLES WHERE ID = ?", installedIds[name]);
            installedIds.Remove(name);
        }

        var added = new List<string>();
        var nextId = installedIds.Count == 0 ? 1 : installedIds.Values.Max() + 1;
        foreach (var table in wanted.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (installedIds.ContainsKey(table.Name)) continue;
            _connection.ExecuteInNewTransaction("INSERT INTO HZ$TABLES (ID, TABLE_NAME, LOADED) VALUES (?, ?, FALSE)", nextId, table.Name);
            installedIds[table.Name] = nextId++;
            added.Add(table.Name);
        }

        var schema = SyncSchema.Describe(wanted, installedIds);
        foreach (var table in schema.Tables)
        {
            if (!TableExistsNow("HZ$V_" + table.Id))
            {
                _connection.ExecuteInNewTransaction(CaptureObjects.VersionTableDdl(table));
                foreach (var index in CaptureObjects.VersionTableIndexes(table))
                {
                    _connection.ExecuteInNewTransaction(index);
                }
            }
            _connection.ExecuteInNewTransaction(CaptureObjects.TriggerDdl(table, options.Site.Value));
        }

        long queued = 0;
        IReadOnlyList<GeneratorMove> moves;
        using (var tx = _connection.BeginTransaction())
        {
            _connection.Execute(tx,
                "UPDATE OR INSERT INTO HZ$NODE (ID, SITE_CODE, SITE_NUMBER, IS_SIEGE, KEY_LOW, KEY_HIGH, CAPTURE_VERSION, INSTALLED_AT) " +
                "VALUES (1, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP) MATCHING (ID)",
                options.Site.Value, options.SiteNumber, options.IsSiege, options.KeyLow, options.KeyHigh, CaptureObjects.Version);
            foreach (var table in schema.Tables)
            {
                var loaded = _connection.ExecuteScalar(tx, "SELECT LOADED FROM HZ$TABLES WHERE ID = ?", table.Id);
                if (loaded is true) continue;
                if (options.InitialLoad)
                {
                    queued += QueueExistingRows(tx, table, options.Site.Value);
                }
                _connection.Execute(tx, "UPDATE HZ$TABLES SET LOADED = TRUE WHERE ID = ?", table.Id);
            }
            moves = options.ReseedGenerators ? ReseedGenerators(tx, options, schema) : MoveGeneratorsIntoRange(tx, options);
            tx.Commit();
        }

        var kept = wanted.Select(t => t.Name).Where(n => !added.Contains(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        return new CaptureInstallResult(added, kept, removed, queued, moves, schema.Fingerprint);
    }

    /// <summary>Removes every HeitzSync object from the database; business tables and their rows are untouched.</summary>
    public void Remove()
    {
        Dictionary<string, int> ids;
        using (var tx = _connection.BeginTransaction())
        {
            ids = TableExists(tx, "HZ$TABLES") ? ReadInstalledIds(tx) : new Dictionary<string, int>();
        }
        foreach (var id in ids.Values)
        {
            DropTableCapture(id);
        }
        foreach (var (name, _) in Enumerable.Reverse(CaptureObjects.Tables))
        {
            if (TableExistsNow(name)) _connection.ExecuteInNewTransaction($"DROP TABLE {name}");
        }
        if (GeneratorExistsNow(CaptureObjects.Sequence))
        {
            _connection.ExecuteInNewTransaction($"DROP SEQUENCE {CaptureObjects.Sequence}");
        }
    }

    /// <summary>The names of the synchronised tables as installed.</summary>
    public static IReadOnlyList<string> ReadInstalledSchemaNames(FbConnection connection)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return ReadInstalledIds(connection, tx).Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>Reads the synchronised tables as installed (HZ$TABLES), described from the live schema.</summary>
    public static SyncSchema ReadInstalledSchema(FbConnection connection, FbTransaction transaction)
    {
        var ids = ReadInstalledIds(connection, transaction);
        var tables = new List<FbTableInfo>();
        foreach (var name in ids.Keys)
        {
            var table = connection.Schema.GetTable(transaction, name)
                ?? throw new CaptureSetupException($"Synchronised table {name} no longer exists in {connection.Settings}: run {FrontCommands.Initialize} to update the capture.");
            tables.Add(table);
        }
        return SyncSchema.Describe(tables, ids);
    }

    private List<FbTableInfo> SelectTables(FbTransaction tx, CaptureOptions options)
    {
        var tables = _connection.Schema.GetTables(tx)
            .Where(t => !t.Name.StartsWith("HZ$", StringComparison.Ordinal) && options.IsSynchronised(t.Name))
            .ToList();
        var withoutKey = tables.Where(t => t.PrimaryKey.Count == 0).Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (withoutKey.Count > 0)
        {
            throw new CaptureSetupException(
                $"These tables have no primary key and cannot be synchronised: {string.Join(", ", withoutKey)}. " +
                "Add a primary key to each, or list them under tables.localOnly (or tables.exclude) in the configuration. Nothing was changed.");
        }
        var blobKeys = tables.SelectMany(t => t.Columns.Where(c => t.PrimaryKey.Contains(c.Name) && (c.Type is FbDbType.Blob or FbDbType.TextBlob || c.IsComputed)).Select(c => t.Name + "." + c.Name)).ToList();
        if (blobKeys.Count > 0)
        {
            throw new CaptureSetupException($"Primary keys made of blob or computed columns cannot be synchronised: {string.Join(", ", blobKeys)}. Nothing was changed.");
        }
        return tables;
    }

    private long QueueExistingRows(FbTransaction tx, SyncTable table, string siteCode)
    {
        var keys = string.Join(", ", table.KeyColumns.Select(c => c.Quoted));
        return _connection.Execute(tx,
            $"INSERT INTO {table.VersionTable} ({keys}, SEQ, TX, OP, CHANGED_AT, ORIGIN, BASE_SEQ) " +
            $"SELECT {keys}, GEN_ID({CaptureObjects.Sequence}, 1), CURRENT_TRANSACTION, 'I', ?, ?, 0 FROM {table.Quoted} t " +
            $"WHERE NOT EXISTS (SELECT 1 FROM {table.VersionTable} v WHERE {string.Join(" AND ", table.KeyColumns.Select(c => $"v.{c.Quoted} = t.{c.Quoted}"))})",
            DateTime.SpecifyKind(CaptureObjects.InitialLoadTime, DateTimeKind.Unspecified), siteCode);
    }

    private void CheckGenerators(FbTransaction tx, CaptureOptions options)
    {
        var beyond = UserGenerators(tx).Where(g => g.CurrentValue > options.KeyHigh).ToList();
        if (beyond.Count > 0)
        {
            throw new CaptureSetupException(
                $"Generators already beyond the key range [{options.KeyLow}, {options.KeyHigh}] of site {options.Site} (number {options.SiteNumber}): " +
                string.Join(", ", beyond.Select(g => $"{g.Name} = {g.CurrentValue}")) +
                ". Check site.number and keyRangeSize: two sites must never share a range. Nothing was changed.");
        }
    }

    private IReadOnlyList<GeneratorMove> MoveGeneratorsIntoRange(FbTransaction tx, CaptureOptions options)
    {
        var moves = new List<GeneratorMove>();
        foreach (var generator in UserGenerators(tx))
        {
            if (generator.CurrentValue >= options.KeyLow) continue;
            // GEN_ID moves the value within this transaction's commit; ALTER SEQUENCE would need its own DDL transaction.
            _connection.ExecuteScalar(tx, $"SELECT GEN_ID({FbSql.QuoteIdentifier(generator.Name)}, {options.KeyLow - generator.CurrentValue}) FROM RDB$DATABASE");
            moves.Add(new GeneratorMove(generator.Name, generator.CurrentValue, options.KeyLow));
        }
        return moves;
    }

    /// <summary>Sets every generator to the highest integer key of this site's range found in any synchronised table
    /// (or the range's start): whatever table a generator feeds, its next value collides with nothing.</summary>
    private IReadOnlyList<GeneratorMove> ReseedGenerators(FbTransaction tx, CaptureOptions options, SyncSchema schema)
    {
        var highest = options.KeyLow;
        foreach (var table in schema.Tables)
        {
            foreach (var key in table.KeyColumns.Where(c => c.Type is FbDbType.BigInt or FbDbType.Integer))
            {
                var max = _connection.ExecuteScalar(tx, $"SELECT MAX({key.Quoted}) FROM {table.Quoted} WHERE {key.Quoted} BETWEEN ? AND ?", options.KeyLow, options.KeyHigh);
                if (max is not null) highest = Math.Max(highest, Convert.ToInt64(max, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        var moves = new List<GeneratorMove>();
        foreach (var generator in UserGenerators(tx))
        {
            if (generator.CurrentValue == highest) continue;
            _connection.ExecuteScalar(tx, $"SELECT GEN_ID({FbSql.QuoteIdentifier(generator.Name)}, {highest - generator.CurrentValue}) FROM RDB$DATABASE");
            moves.Add(new GeneratorMove(generator.Name, generator.CurrentValue, highest));
        }
        return moves;
    }

    private IEnumerable<FbGeneratorInfo> UserGenerators(FbTransaction tx) =>
        _connection.Schema.GetGenerators(tx)
            .Where(g => !g.Name.StartsWith("HZ$", StringComparison.Ordinal) && !g.Name.StartsWith("RDB$", StringComparison.Ordinal));

    private void DropTableCapture(int id)
    {
        var trigger = "HZ$T_" + id;
        if (TriggerExistsNow(trigger)) _connection.ExecuteInNewTransaction($"DROP TRIGGER {trigger}");
        if (TableExistsNow("HZ$V_" + id)) _connection.ExecuteInNewTransaction($"DROP TABLE {FbSql.QuoteIdentifier("HZ$V_" + id)}");
    }

    private static Dictionary<string, int> ReadInstalledIds(FbConnection connection, FbTransaction tx)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        using var command = connection.Prepare(tx, "SELECT ID, TABLE_NAME FROM HZ$TABLES ORDER BY ID");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            ids[reader.GetString(1).Trim()] = reader.GetInt32(0);
        }
        return ids;
    }

    private Dictionary<string, int> ReadInstalledIds(FbTransaction tx) => ReadInstalledIds(_connection, tx);

    private bool TableExists(FbTransaction tx, string name) =>
        Convert.ToInt64(_connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM RDB$RELATIONS WHERE RDB$RELATION_NAME = ?", name), System.Globalization.CultureInfo.InvariantCulture) > 0;

    private bool TableExistsNow(string name)
    {
        using var tx = _connection.BeginTransaction();
        return TableExists(tx, name);
    }

    private bool GeneratorExistsNow(string name)
    {
        using var tx = _connection.BeginTransaction();
        return Convert.ToInt64(_connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM RDB$GENERATORS WHERE RDB$GENERATOR_NAME = ?", name), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private bool TriggerExistsNow(string name)
    {
        using var tx = _connection.BeginTransaction();
        return Convert.ToInt64(_connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM RDB$TRIGGERS WHERE RDB$TRIGGER_NAME = ?", name), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }
}
