using HeitzSync.Core.Sync;
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

    public static bool IsInstalled(FbConnection connection, FbTransaction transaction) => connection.Schema.TableExists(transaction, "HZ$NODE");

    /// <summary>Checks what an install would do without changing anything (for -WhatIf and for validation).</summary>
    public SyncSchema Plan(CaptureOptions options)
    {
        using var tx = _connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        var tables = SelectTables(tx, options);
        return SyncSchema.Describe(tables, new Dictionary<string, int>(), Declarations(options));
    }

    public CaptureInstallResult Install(CaptureOptions options)
    {
        if (options.KeyLow > options.KeyHigh || options.KeyLow < 0)
        {
            throw new CaptureSetupException($"The key range [{options.KeyLow}, {options.KeyHigh}] of site {options.Site} is empty or negative: check site.number and keyRangeSize.");
        }

        var declarations = Declarations(options);
        List<FbTableInfo> wanted;
        Dictionary<string, int> installedIds;
        PreviousInstall previous;
        UnusedGenerators unused;
        using (var tx = _connection.BeginTransaction())
        {
            wanted = SelectTables(tx, options);
            installedIds = IsInstalled(_connection, tx) && TableExists(tx, "HZ$TABLES")
                ? ReadInstalledIds(tx)
                : new Dictionary<string, int>(StringComparer.Ordinal);
            CheckKeysFitTheRange(wanted, options);
            CheckDeclarations(tx, wanted, declarations);
            unused = UnusedInPreviousRange(tx, wanted, options);
            if (!options.ReseedGenerators) CheckGenerators(tx, options, unused);
            previous = ReadPreviousInstall(tx);
        }

        foreach (var (name, ddl) in CaptureObjects.Tables)
        {
            if (!TableExistsNow(name)) _connection.ExecuteInNewTransaction(ddl);
        }
        if (!IndexExistsNow(LoadRuns.DownIndex)) _connection.ExecuteInNewTransaction(LoadRuns.DownIndexDdl);
        foreach (var (table, column, type) in CaptureObjects.AddedColumns)
        {
            if (!ColumnExistsNow(table, column)) _connection.ExecuteInNewTransaction($"ALTER TABLE {table} ADD {column} {type}");
        }
        foreach (var generator in new[] { CaptureObjects.Sequence, CaptureObjects.BaseSequence })
        {
            if (!GeneratorExistsNow(generator)) _connection.ExecuteInNewTransaction($"CREATE SEQUENCE {generator}");
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

        var schema = SyncSchema.Describe(wanted, installedIds, declarations);
        var newTotals = new List<SyncTable>();
        foreach (var table in schema.Tables)
        {
            if (!TableExistsNow("HZ$V_" + table.Id)) _connection.ExecuteInNewTransaction(CaptureObjects.VersionTableDdl(table));
            DropFormerVersionIndexes(table);
            // Running totals of additive columns: kept while the declaration stays; made anew (and seeded) when it changes.
            var totalsExist = TableExistsNow("HZ$A_" + table.Id);
            var sameDeclaration = previous.Additive.TryGetValue(table.Name, out var before)
                && before.SetEquals(table.AdditiveColumns.Select(c => c.Name));
            if (totalsExist && (!table.HasAdditive || !sameDeclaration))
            {
                _connection.ExecuteInNewTransaction($"DROP TABLE {table.TotalsTable}");
                totalsExist = false;
            }
            if (table.HasAdditive && !totalsExist)
            {
                _connection.ExecuteInNewTransaction(CaptureObjects.TotalsTableDdl(table));
                newTotals.Add(table);
            }
            _connection.ExecuteInNewTransaction(CaptureObjects.TriggerDdl(table, options.Site.Value, options.IsSiege));
        }

        long queued = 0;
        IReadOnlyList<GeneratorMove> moves;
        using (var tx = _connection.BeginTransaction())
        {
            _connection.Execute(tx,
                "UPDATE OR INSERT INTO HZ$NODE (ID, SITE_CODE, SITE_NUMBER, IS_SIEGE, KEY_LOW, KEY_HIGH, CAPTURE_VERSION, INSTALLED_AT) " +
                "VALUES (1, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP) MATCHING (ID)",
                options.Site.Value, options.SiteNumber, options.IsSiege, options.KeyLow, options.KeyHigh, CaptureObjects.Version);
            WriteDeclarations(tx, schema);
            var loadedNow = new HashSet<string>(StringComparer.Ordinal);
            foreach (var table in schema.Tables)
            {
                var loaded = _connection.ExecuteScalar(tx, "SELECT LOADED FROM HZ$TABLES WHERE ID = ?", table.Id);
                if (loaded is true) continue;
                if (options.InitialLoad)
                {
                    queued += HoldExistingRows(tx, table);
                    loadedNow.Add(table.Name);
                }
                _connection.Execute(tx, "UPDATE HZ$TABLES SET LOADED = TRUE WHERE ID = ?", table.Id);
            }
            foreach (var table in newTotals)
            {
                // Rows this node brings (initial load) are its own contribution, so at a join the values of all nodes add
                // up; rows that already travelled are the chain's common value: the Siège holds it as its own, a site as
                // what it received from the Siège (docs/sync-engine.md, "Derived values").
                var own = loadedNow.Contains(table.Name) || options.IsSiege;
                SeedTotals(tx, table, own ? options.Site.Value : CaptureObjects.OthersOrigin);
            }
            if (previous.WasSiege && !options.IsSiege)
            {
                foreach (var table in schema.Tables.Where(t => t.HasAdditive && !newTotals.Contains(t))) AdoptSiegeTotals(tx, table, options.Site.Value);
            }
            moves = options.ReseedGenerators ? ReseedGenerators(tx, options, schema) : MoveGeneratorsIntoRange(tx, options, unused);
            tx.Commit();
        }
        if (!options.IsSiege)
        {
            // A site's new version rows take the master sequence it has applied as their base (an upgraded site: what it had).
            using var tx = _connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
            var applied = Convert.ToInt64(_connection.ExecuteScalar(tx, "SELECT APPLIED_SEQ FROM HZ$NODE WHERE ID = 1"), System.Globalization.CultureInfo.InvariantCulture);
            tx.Commit();
            Sync.VersionRows.RaiseBase(_connection, applied);
        }

        var triggers = BusinessTriggerGuards.Apply(_connection.Settings, schema, options);
        var kept = wanted.Select(t => t.Name).Where(n => !added.Contains(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        return new CaptureInstallResult(added, kept, removed, queued, moves, schema.Fingerprint) { Triggers = triggers };
    }

    /// <summary>Removes every HeitzSync object from the database (and init's guard from the business triggers); business
    /// tables and their rows are untouched.</summary>
    public void Remove()
    {
        BusinessTriggerGuards.RemoveAll(_connection.Settings);
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
        foreach (var generator in new[] { CaptureObjects.Sequence, CaptureObjects.BaseSequence })
        {
            if (GeneratorExistsNow(generator)) _connection.ExecuteInNewTransaction($"DROP SEQUENCE {generator}");
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
        return SyncSchema.Describe(tables, ids, ReadDeclarations(connection, transaction));
    }

    /// <summary>The additive and local columns as the last init installed them (HZ$COLUMNS: exact table and column
    /// names), without describing the tables (a table dropped since does not stop the reading).</summary>
    public static ColumnDeclarations ReadInstalledDeclarations(FbConnection connection)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return ReadDeclarations(connection, tx);
    }

    /// <summary>The additive and local columns as installed (HZ$COLUMNS).</summary>
    private static ColumnDeclarations ReadDeclarations(FbConnection connection, FbTransaction transaction)
    {
        if (!connection.Schema.TableExists(transaction, "HZ$COLUMNS"))
        {
            return ColumnDeclarations.None;
        }
        var additive = new List<string>();
        var local = new List<string>();
        using var command = connection.Prepare(transaction, "SELECT TABLE_NAME, COLUMN_NAME, KIND FROM HZ$COLUMNS");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var entry = reader.GetString(0).Trim() + "." + reader.GetString(1).Trim();
            if (reader.GetString(2) == "A") additive.Add(entry);
            else local.Add(entry);
        }
        return new ColumnDeclarations(additive, local);
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

    private static ColumnDeclarations Declarations(CaptureOptions options) => new(options.AdditiveColumns, options.LocalColumns);

    private sealed class PreviousInstall
    {
        /// <summary>Whether the database held the Siège's identity before (a site restored from the master's full package).</summary>
        public bool WasSiege { get; init; }

        /// <summary>The additive columns each table had (their running totals are kept while this stays the same).</summary>
        public Dictionary<string, HashSet<string>> Additive { get; } = new(StringComparer.Ordinal);
    }

    private PreviousInstall ReadPreviousInstall(FbTransaction tx)
    {
        var wasSiege = TableExists(tx, "HZ$NODE") && _connection.ExecuteScalar(tx, "SELECT IS_SIEGE FROM HZ$NODE WHERE ID = 1") is true;
        var previous = new PreviousInstall { WasSiege = wasSiege };
        if (!TableExists(tx, "HZ$COLUMNS")) return previous;
        using var command = _connection.Prepare(tx, "SELECT TABLE_NAME, COLUMN_NAME FROM HZ$COLUMNS WHERE KIND = 'A'");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var table = reader.GetString(0).Trim();
            if (!previous.Additive.TryGetValue(table, out var columns)) previous.Additive[table] = columns = new HashSet<string>(StringComparer.Ordinal);
            columns.Add(reader.GetString(1).Trim());
        }
        return previous;
    }

    private void WriteDeclarations(FbTransaction tx, SyncSchema schema)
    {
        _connection.Execute(tx, "DELETE FROM HZ$COLUMNS");
        foreach (var table in schema.Tables)
        {
            foreach (var column in table.AdditiveColumns) _connection.Execute(tx, "INSERT INTO HZ$COLUMNS (TABLE_NAME, COLUMN_NAME, KIND) VALUES (?, ?, 'A')", table.Name, column.Name);
            foreach (var column in table.LocalColumns) _connection.Execute(tx, "INSERT INTO HZ$COLUMNS (TABLE_NAME, COLUMN_NAME, KIND) VALUES (?, ?, 'L')", table.Name, column.Name);
        }
    }

    /// <summary>Fills a new HZ$A_n with each row's current values under one origin (rows whose values are all 0 need none).</summary>
    private void SeedTotals(FbTransaction tx, SyncTable table, string origin)
    {
        var keys = string.Join(", ", table.KeyColumns.Select(c => c.Quoted));
        var columns = string.Join(", ", table.AdditiveColumns.Select(c => c.Quoted));
        var values = string.Join(", ", table.AdditiveColumns.Select(c => $"COALESCE({c.Quoted}, 0)"));
        var nonZero = string.Join(" OR ", table.AdditiveColumns.Select(c => $"COALESCE({c.Quoted}, 0) <> 0"));
        _connection.Execute(tx, $"INSERT INTO {table.TotalsTable} ({keys}, HZ$ORIGIN, {columns}) SELECT {keys}, ?, {values} FROM {table.Quoted} WHERE {nonZero}", origin);
    }

    /// <summary>A site restored from the Siège's full package holds the master's totals, one per node: this node's own stay
    /// its own, the rest become what it received from the Siège (so the totals of a key still sum to its value).</summary>
    private void AdoptSiegeTotals(FbTransaction tx, SyncTable table, string siteCode)
    {
        var keys = string.Join(", ", table.KeyColumns.Select(c => c.Quoted));
        var columns = string.Join(", ", table.AdditiveColumns.Select(c => c.Quoted));
        var sums = string.Join(", ", table.AdditiveColumns.Select(c => $"SUM({c.Quoted})"));
        var others = CaptureObjects.OthersOrigin;
        _connection.Execute(tx,
            $"INSERT INTO {table.TotalsTable} ({keys}, HZ$ORIGIN, {columns}) SELECT {keys}, '{others}', {sums} FROM {table.TotalsTable} " +
            $"WHERE HZ$ORIGIN <> ? AND HZ$ORIGIN <> '{others}' GROUP BY {keys}", siteCode);
        _connection.Execute(tx, $"DELETE FROM {table.TotalsTable} WHERE HZ$ORIGIN <> ? AND HZ$ORIGIN <> '{others}'", siteCode);
    }

    /// <summary>
    /// A site's generators hand out keys up to the end of its range: every single-column INTEGER, BIGINT or NUMERIC(n,0)
    /// primary key of a synchronised table must hold it (DESIGN.md §3). SMALLINT keys and the columns of composite keys are
    /// not fed by a site's generators (no useful range fits 32,767 values; line numbers...), so they are not checked.
    /// </summary>
    private static void CheckKeysFitTheRange(IEnumerable<FbTableInfo> tables, CaptureOptions options)
    {
        var tooSmall = new List<(string Column, string Type, long Max)>();
        foreach (var table in tables.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (table.PrimaryKey.Count != 1) continue;
            var column = table.Columns.First(c => c.Name == table.PrimaryKey[0]);
            var limit = GeneratedKeyLimit(column);
            if (limit is { } max && options.KeyHigh > max) tooSmall.Add(($"{table.Name}.{column.Name}", SqlTypeText.Of(column), max));
        }
        if (tooSmall.Count == 0) return;
        var smallest = tooSmall.Min(t => t.Max);
        var size = options.KeyHigh - options.KeyLow + 1;
        var forThisNumber = (smallest + 1) / (options.SiteNumber + 1);
        var forTwenty = (smallest + 1) / 21;
        throw new CaptureSetupException(
            $"The key range [{options.KeyLow}, {options.KeyHigh}] of {options.Site} (site number {options.SiteNumber}, keyRangeSize {size}) does not fit " +
            string.Join("; ", tooSmall.GroupBy(t => (t.Type, t.Max)).Select(g => $"the {g.Key.Type} key column(s) {string.Join(", ", g.Select(t => t.Column))} (at most {g.Key.Max})")) +
            $": its generators would hand out keys these columns cannot hold. Set keyRangeSize (at the top level of heitzsync.json, the same on every node) " +
            $"to at most {smallest + 1} / (highest site number + 1): {forThisNumber} for site numbers up to {options.SiteNumber}, {forTwenty} for up to 20. " +
            "Then run init on every node. Nothing was changed.");
    }

    /// <summary>The largest key a generator may give the column, for the key types a site's range feeds; null otherwise.</summary>
    private static long? GeneratedKeyLimit(FbColumnInfo column) => column.Type switch
    {
        FbDbType.Integer => int.MaxValue,
        FbDbType.BigInt => long.MaxValue,
        FbDbType.Numeric when column.Scale == 0 => column.Length switch { 2 => null, 4 => int.MaxValue, _ => long.MaxValue },
        _ => null,
    };

    /// <summary>tables.additiveColumns and tables.localColumns must name columns of synchronised tables that can be
    /// handled so; every problem is listed at once.</summary>
    private void CheckDeclarations(FbTransaction tx, IReadOnlyList<FbTableInfo> tables, ColumnDeclarations declarations)
    {
        var problems = new List<string>();
        var additive = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (setting, entries, kind) in new[] { ("tables.additiveColumns", declarations.Additive, ColumnKind.Additive), ("tables.localColumns", declarations.Local, ColumnKind.Local) })
        {
            foreach (var entry in entries)
            {
                var parsed = ColumnDeclarations.Parse(entry);
                if (parsed is not { } name)
                {
                    problems.Add($"{setting}: '{entry}' is not TABLE.COLUMN (e.g. ARTICLE.STOCK)");
                    continue;
                }
                var table = tables.FirstOrDefault(t => string.Equals(t.Name, name.Table, StringComparison.OrdinalIgnoreCase));
                if (table is null)
                {
                    problems.Add($"{setting}: {entry}: {name.Table} is not a synchronised table of this database");
                    continue;
                }
                var column = table.Columns.FirstOrDefault(c => string.Equals(c.Name, name.Column, StringComparison.OrdinalIgnoreCase));
                if (column is null)
                {
                    problems.Add($"{setting}: {entry}: {table.Name} has no column {name.Column}");
                    continue;
                }
                var full = $"{table.Name}.{column.Name}";
                if (table.PrimaryKey.Contains(column.Name)) problems.Add($"{setting}: {full} is part of the primary key, which always travels as it is");
                else if (column.IsComputed) problems.Add($"{setting}: {full} is computed: it is never carried anyway");
                else if (kind == ColumnKind.Additive)
                {
                    if (column.Type is not (FbDbType.SmallInt or FbDbType.Integer or FbDbType.BigInt or FbDbType.Numeric))
                        problems.Add($"{setting}: {full} is {SqlTypeText.Of(column)}; an additive column must be an exact number (SMALLINT, INTEGER, BIGINT, NUMERIC or DECIMAL), so that sums are the same everywhere");
                    additive.Add(full);
                }
                else if (additive.Contains(full))
                {
                    problems.Add($"{full} is in both tables.additiveColumns and tables.localColumns: choose one");
                }
                else if (!column.IsNullable && !HasDefault(tx, table.Name, column.Name))
                {
                    problems.Add($"{setting}: {full} is NOT NULL without a default: a row arriving from another node (which never carries it) could not be inserted; give it a DEFAULT");
                }
            }
        }
        if (problems.Count > 0)
        {
            throw new CaptureSetupException("The column declarations cannot be installed: " + string.Join("; ", problems) + ". Fix them in heitzsync.json (the same on every node). Nothing was changed.");
        }
    }

    private bool HasDefault(FbTransaction tx, string table, string column) =>
        Convert.ToInt64(_connection.ExecuteScalar(tx,
            "SELECT COUNT(*) FROM RDB$RELATION_FIELDS rf JOIN RDB$FIELDS f ON f.RDB$FIELD_NAME = rf.RDB$FIELD_SOURCE " +
            "WHERE rf.RDB$RELATION_NAME = ? AND rf.RDB$FIELD_NAME = ? AND (rf.RDB$DEFAULT_SOURCE IS NOT NULL OR f.RDB$DEFAULT_SOURCE IS NOT NULL)", table, column),
            System.Globalization.CultureInfo.InvariantCulture) > 0;

    /// <summary>
    /// The initial load (DESIGN.md §3): every row the table holds now is this node's to send, as a row it brings when it
    /// joins. Nothing is written per row (a Firebird file never shrinks, and the load would double it): the rows are
    /// <em>held</em>, marked by one sequence in HZ$TABLES.HELD_SEQ, and the extract reads them from the table itself
    /// (every row without a version row) until the Siège acknowledges that sequence (docs/sync-engine.md, "What each
    /// node keeps"). Returns how many rows that is.
    /// </summary>
    private long HoldExistingRows(FbTransaction tx, SyncTable table)
    {
        _connection.Execute(tx, $"UPDATE HZ$TABLES SET HELD_SEQ = GEN_ID({CaptureObjects.Sequence}, 1) WHERE ID = ?", table.Id);
        return Convert.ToInt64(_connection.ExecuteScalar(tx, $"SELECT COUNT(*) FROM {table.Quoted}"), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Drops the version table's indexes that earlier versions made (<see cref="CaptureObjects.FormerVersionTableIndexNames"/>):
    /// a version table has its primary key only.</summary>
    private void DropFormerVersionIndexes(SyncTable table)
    {
        foreach (var name in CaptureObjects.FormerVersionTableIndexNames(table))
        {
            if (IndexExistsNow(name)) _connection.ExecuteInNewTransaction($"DROP INDEX {name}");
        }
    }

    /// <summary>Generators an earlier init put at the start of this node's previous key range, never used since, and where
    /// to move them in the new range.</summary>
    private sealed record UnusedGenerators(HashSet<string> Names, long MoveTo)
    {
        public static readonly UnusedGenerators None = new(new HashSet<string>(StringComparer.Ordinal), 0);
    }

    /// <summary>
    /// The generators an earlier init put at the start of this node's previous key range and that never handed out a key
    /// since (each still stands at that start, and no synchronised key lies in that range): keyRangeSize or site.number
    /// was corrected before the node's first key, e.g. at a Siège set up with the default before its first site was
    /// refused for INTEGER keys (README: init at the Siège first). Init may move them into the new range, past the highest
    /// key any table already holds there (the rows from before HeitzSync, whose generator value that init moved up);
    /// a range a key was taken from stays the node's, and is refused below.
    /// </summary>
    private UnusedGenerators UnusedInPreviousRange(FbTransaction tx, IEnumerable<FbTableInfo> tables, CaptureOptions options)
    {
        if (!TableExists(tx, "HZ$NODE")) return UnusedGenerators.None;
        long previousLow, previousHigh;
        using (var command = _connection.Prepare(tx, "SELECT KEY_LOW, KEY_HIGH FROM HZ$NODE WHERE ID = 1"))
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read()) return UnusedGenerators.None;
            (previousLow, previousHigh) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        if (previousLow == options.KeyLow && previousHigh == options.KeyHigh) return UnusedGenerators.None;
        if (HighestKey(tx, tables, previousLow, previousHigh) is not null) return UnusedGenerators.None;
        var names = new HashSet<string>(UserGenerators(tx).Where(g => g.CurrentValue == previousLow).Select(g => g.Name), StringComparer.Ordinal);
        var allTables = _connection.Schema.GetTables(tx).Where(t => !t.Name.StartsWith("HZ$", StringComparison.Ordinal));
        return new UnusedGenerators(names, Math.Max(options.KeyLow, HighestKey(tx, allTables, options.KeyLow, options.KeyHigh) ?? options.KeyLow));
    }

    /// <summary>The highest value in [low, high] of the tables' single-column keys of the types a generator feeds, or null.</summary>
    private long? HighestKey(FbTransaction tx, IEnumerable<FbTableInfo> tables, long low, long high)
    {
        long? highest = null;
        foreach (var table in tables.Where(t => t.PrimaryKey.Count == 1))
        {
            var key = table.Columns.First(c => c.Name == table.PrimaryKey[0]);
            if (GeneratedKeyLimit(key) is null) continue;
            var quoted = FbSql.QuoteIdentifier(key.Name);
            var max = _connection.ExecuteScalar(tx, $"SELECT MAX({quoted}) FROM {FbSql.QuoteIdentifier(table.Name)} WHERE {quoted} BETWEEN ? AND ?", low, high);
            if (max is not null) highest = Math.Max(highest ?? long.MinValue, Convert.ToInt64(max, System.Globalization.CultureInfo.InvariantCulture));
        }
        return highest;
    }

    private void CheckGenerators(FbTransaction tx, CaptureOptions options, UnusedGenerators unused)
    {
        var beyond = UserGenerators(tx).Where(g => g.CurrentValue > options.KeyHigh && !unused.Names.Contains(g.Name)).ToList();
        if (beyond.Count > 0)
        {
            throw new CaptureSetupException(
                $"Generators already beyond the key range [{options.KeyLow}, {options.KeyHigh}] of site {options.Site} (number {options.SiteNumber}): " +
                string.Join(", ", beyond.Select(g => $"{g.Key} = {g.CurrentValue}")) +
                ". Check site.number and keyRangeSize: two sites must never share a range. Nothing was changed.");
        }
    }

    private IReadOnlyList<GeneratorMove> MoveGeneratorsIntoRange(FbTransaction tx, CaptureOptions options, UnusedGenerators unused)
    {
        var moves = new List<GeneratorMove>();
        foreach (var generator in UserGenerators(tx))
        {
            if (unused.Names.Contains(generator.Name) && generator.CurrentValue != unused.MoveTo)
            {
                KeyGenerators.MoveTo(_connection, tx, generator, unused.MoveTo);
                moves.Add(new GeneratorMove(generator.Key, generator.CurrentValue, unused.MoveTo));
                continue;
            }
            if (generator.CurrentValue >= options.KeyLow) continue;
            KeyGenerators.MoveTo(_connection, tx, generator, options.KeyLow);
            moves.Add(new GeneratorMove(generator.Key, generator.CurrentValue, options.KeyLow));
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
            KeyGenerators.MoveTo(_connection, tx, generator, highest);
            moves.Add(new GeneratorMove(generator.Key, generator.CurrentValue, highest));
        }
        return moves;
    }

    /// <summary>The generators that feed keys: user sequences and identity columns' generators (<see cref="KeyGenerators"/>).</summary>
    private IReadOnlyList<KeyGenerator> UserGenerators(FbTransaction tx) => KeyGenerators.Read(_connection, tx);

    private void DropTableCapture(int id)
    {
        var trigger = "HZ$T_" + id;
        if (TriggerExistsNow(trigger)) _connection.ExecuteInNewTransaction($"DROP TRIGGER {trigger}");
        if (TableExistsNow("HZ$V_" + id)) _connection.ExecuteInNewTransaction($"DROP TABLE {FbSql.QuoteIdentifier("HZ$V_" + id)}");
        if (TableExistsNow("HZ$A_" + id)) _connection.ExecuteInNewTransaction($"DROP TABLE {FbSql.QuoteIdentifier("HZ$A_" + id)}");
        // A table added later may take this id again: the load runs of this one must not speak for it.
        if (TableExistsNow(LoadRuns.TableName)) _connection.ExecuteInNewTransaction($"DELETE FROM {LoadRuns.TableName} WHERE TABLE_ID = ?", id);
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

    private bool TableExists(FbTransaction tx, string name) => _connection.Schema.TableExists(tx, name);

    private bool TableExistsNow(string name)
    {
        using var tx = _connection.BeginTransaction();
        return TableExists(tx, name);
    }

    private bool ColumnExistsNow(string table, string column)
    {
        using var tx = _connection.BeginTransaction();
        return Convert.ToInt64(_connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM RDB$RELATION_FIELDS WHERE RDB$RELATION_NAME = ? AND RDB$FIELD_NAME = ?", table, column), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private bool IndexExistsNow(string name)
    {
        using var tx = _connection.BeginTransaction();
        return Convert.ToInt64(_connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM RDB$INDICES WHERE RDB$INDEX_NAME = ?", name), System.Globalization.CultureInfo.InvariantCulture) > 0;
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
