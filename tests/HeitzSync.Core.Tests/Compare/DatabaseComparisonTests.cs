using System.Globalization;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Night;
using HeitzSync.Core.Reports;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Compare;

/// <summary>
/// DatabaseComparison, what hzsync compare and Compare-HzDatabase both call: a node's configuration against a real copy
/// of its embedded database, identical, or changed by one inserted, one updated and one deleted row.
/// </summary>
[Trait("Category", "Firebird")]
public sealed class DatabaseComparisonTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-comparison");

    private HzSyncConfig Node(string code, int number, NodeRole role, IReadOnlyList<string>? localColumns = null)
    {
        var folder = Path.Combine(_temp.Path, code);
        Directory.CreateDirectory(folder);
        var config = new HzSyncConfig
        {
            Role = role,
            Site = new SiteIdentity { Code = code, Number = number },
            Database = new DatabaseConfig { Path = code + ".fdb" },
            Drop = new DropConfig { Kind = DropKind.Folder, Path = Path.Combine(_temp.Path, "drop") },
            KeyFile = _temp.File("group.key"),
            Tables = new TableRules { LocalOnly = new[] { "WORKSTATION_SETTINGS" }, LocalColumns = localColumns ?? Array.Empty<string>() },
            BaseFolder = folder,
        };
        Directory.CreateDirectory(config.Drop.Path!); // the Siège's drop, which a site never creates itself
        if (!File.Exists(config.KeyFile))
        {
            using var key = HeitzSync.Core.Packaging.SyncKey.Generate();
            key.Save(config.KeyFile);
        }
        using (var connection = FbConnection.CreateDatabase(new FbConnectionSettings { Database = config.Resolve(config.Database.Path) }))
        {
            SampleSchema.Create(connection);
            SampleData.SeedExisting(connection, number, config.KeyRange.Low, 12, new Random(number));
        }
        var init = NodeRunner.InitializeAsync(config, null, CancellationToken.None).GetAwaiter().GetResult();
        Assert.True(init.State == ReportState.OK, init.Summary);
        return config;
    }

    /// <summary>A byte-for-byte copy of the node's database (no attachment is open), as the other side.</summary>
    private string CopyOf(HzSyncConfig config, string name)
    {
        var copy = _temp.File(name + ".fdb");
        File.Copy(config.Resolve(config.Database.Path), copy);
        return copy;
    }

    private static void Sql(string database, string sql, params object?[] values)
    {
        using var connection = FbConnection.Open(new FbConnectionSettings { Database = database });
        using var tx = connection.BeginTransaction();
        connection.Execute(tx, sql, values);
        tx.Commit();
    }

    private static long Long(FbConnectionSettings database, string sql)
    {
        using var connection = FbConnection.Open(database);
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return Convert.ToInt64(connection.ExecuteScalar(tx, sql), CultureInfo.InvariantCulture);
    }

    /// <summary>The node's change sequence (HZ$SEQ): every captured or re-queued change moves it.</summary>
    private static long Sequence(HzSyncConfig config) => Long(NodeContext.DatabaseSettings(config), $"SELECT GEN_ID({CaptureObjects.Sequence}, 0) FROM RDB$DATABASE");

    private static IReadOnlyList<TableComparison> Compare(HzSyncConfig config, string other, IReadOnlyCollection<string>? tables = null)
    {
        using var comparison = DatabaseComparison.Open(config, DatabaseComparison.Target(config, other, null), tables);
        return comparison.Compare();
    }

    /// <summary>The copy gets one new subscription type, one member with a changed balance, one entry fewer.</summary>
    private (string Inserted, long Updated, long Deleted) Drift(string database)
    {
        using var connection = FbConnection.Open(new FbConnectionSettings { Database = database });
        long updated, deleted;
        using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            updated = Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT MIN(ID) FROM MEMBERS"), CultureInfo.InvariantCulture);
            deleted = Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT MAX(ID) FROM ENTRIES"), CultureInfo.InvariantCulture);
        }
        using (var tx = connection.BeginTransaction())
        {
            connection.Execute(tx, "INSERT INTO SUBSCRIPTION_TYPES (CODE, LABEL, PRICE, MONTHS) VALUES ('ZDRIFT', 'Drift', 1.00, 1)");
            connection.Execute(tx, "UPDATE MEMBERS SET BALANCE = BALANCE + 0.01 WHERE ID = ?", updated);
            connection.Execute(tx, "DELETE FROM ENTRIES WHERE ID = ?", deleted);
            tx.Commit();
        }
        return ("ZDRIFT", updated, deleted);
    }

    [Fact]
    public void An_identical_copy_is_identical_in_every_installed_synchronised_table()
    {
        var siege = Node("SIEGE", 1, NodeRole.Siege);
        var copy = CopyOf(siege, "copy");
        using var comparison = DatabaseComparison.Open(siege, DatabaseComparison.Target(siege, copy, null));
        Assert.Equal(SampleSchema.SynchronisedTables.OrderBy(t => t, StringComparer.Ordinal), comparison.Tables);
        Assert.DoesNotContain("WORKSTATION_SETTINGS", comparison.Tables);   // local-only: not compared
        var progress = new List<SyncProgress>();
        var tables = comparison.Compare(new InlineProgress<SyncProgress>(progress.Add));
        Assert.Equal(comparison.Tables, tables.Select(t => t.Table));
        Assert.All(tables, t => Assert.True(t.Identical, t.ToString()));
        Assert.Contains(tables, t => t.RowsLeft > 0);
        Assert.Equal(comparison.Tables.Count, progress.Count);
        Assert.All(progress, p => Assert.Equal("Compare", p.Activity));
        Assert.StartsWith("MEMBERS (", progress.Single(p => p.Status.StartsWith("MEMBERS", StringComparison.Ordinal)).Status);
        Assert.Contains(copy, comparison.There);
    }

    [Fact]
    public void An_inserted_an_updated_and_a_deleted_row_are_each_one_differing_key_and_comparing_changes_nothing()
    {
        var site = Node("LYON01", 2, NodeRole.Site);
        var copy = CopyOf(site, "drifted");
        var (inserted, updated, deleted) = Drift(copy);
        var sequence = Sequence(site);

        var tables = Compare(site, copy);
        Assert.Equal(new[] { "ENTRIES", "MEMBERS", "SUBSCRIPTION_TYPES" }, tables.Where(t => !t.Identical).Select(t => t.Table));
        var onlyThere = Assert.Single(tables.Single(t => t.Table == "SUBSCRIPTION_TYPES").Differences);
        Assert.Equal((RowDifferenceKind.OnlyRight, $"CODE='{inserted}'"), (onlyThere.Kind, onlyThere.Key));
        var changed = Assert.Single(tables.Single(t => t.Table == "MEMBERS").Differences);
        Assert.Equal((RowDifferenceKind.ColumnsDiffer, $"ID={updated}", "BALANCE"), (changed.Kind, changed.Key, changed.Columns));
        var onlyHere = Assert.Single(tables.Single(t => t.Table == "ENTRIES").Differences);
        Assert.Equal((RowDifferenceKind.OnlyLeft, $"ID={deleted}"), (onlyHere.Kind, onlyHere.Key));
        Assert.All(tables.Where(t => !t.Identical), t => Assert.Equal(1, t.DifferingRows));

        // Reading only: a second comparison sees the same, and this node's change sequence did not move.
        Assert.Equal(tables.Select(t => t.ToString()), Compare(site, copy).Select(t => t.ToString()));
        Assert.Equal(sequence, Sequence(site));
    }

    [Fact]
    public void Table_patterns_select_installed_tables_case_insensitively()
    {
        var site = Node("LYON01", 2, NodeRole.Site);
        var copy = CopyOf(site, "drifted");
        Drift(copy);
        Assert.Equal(new[] { "MEMBERS" }, Compare(site, copy, new[] { "members" }).Select(t => t.Table));
        Assert.Equal(new[] { "SUBSCRIPTIONS", "SUBSCRIPTION_TYPES" }, Compare(site, copy, new[] { "SUBSCRIPTION*" }).Select(t => t.Table));
        Assert.Equal(new[] { "Accounting Entries", "ENTRIES" }, Compare(site, copy, new[] { "*entries", "NOPE" }).Select(t => t.Table));
        Assert.Empty(Compare(site, copy, new[] { "WORKSTATION_*" }));   // local-only tables are never compared
    }

    [Fact]
    public void Repair_at_the_Siege_requeues_each_differing_key_and_a_site_cannot_repair()
    {
        var siege = Node("SIEGE", 1, NodeRole.Siege);
        var copy = CopyOf(siege, "drifted");
        Drift(copy);
        var sequence = Sequence(siege);
        using (var comparison = DatabaseComparison.Open(siege, DatabaseComparison.Target(siege, copy, null)))
        {
            var repaired = comparison.Repair();
            Assert.Equal(3, repaired.KeysRequeued);
            Assert.Equal(new Dictionary<string, int> { ["ENTRIES"] = 1, ["MEMBERS"] = 1, ["SUBSCRIPTION_TYPES"] = 1 }, repaired.PerTable.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value));
        }
        Assert.Equal(sequence + 3, Sequence(siege));   // one new master change per key
        Assert.Equal(3, Compare(siege, copy).Sum(t => t.DifferingRows));   // the other side changes with the next night, not now

        var site = Node("LYON01", 2, NodeRole.Site);
        var siteCopy = CopyOf(site, "site-drifted");
        Drift(siteCopy);
        using var atSite = DatabaseComparison.Open(site, DatabaseComparison.Target(site, siteCopy, null));
        var refused = Assert.Throws<CaptureSetupException>(() => atSite.Repair());
        Assert.Contains("Siège", refused.Message);
    }

    [Fact]
    public void Local_columns_are_neither_compared_nor_repaired_and_each_result_names_them()
    {
        var siege = Node("SIEGE", 1, NodeRole.Siege, localColumns: new[] { "members.notes" });
        var copy = CopyOf(siege, "own-notes");
        const string first = "(SELECT MIN(ID) FROM MEMBERS)";
        Sql(copy, $"UPDATE MEMBERS SET NOTES = 'kept by this node alone' WHERE ID = {first}");

        var members = Compare(siege, copy, new[] { "MEMBERS" }).Single();
        Assert.True(members.Identical, members.ToString());
        Assert.Equal(new[] { "NOTES" }, members.NotCompared);
        Assert.Contains("local column(s) not compared: NOTES", members.ToString());
        Assert.Empty(Compare(siege, copy, new[] { "ENTRIES" }).Single().NotCompared);
        using (var comparison = DatabaseComparison.Open(siege, DatabaseComparison.Target(siege, copy, null)))
        {
            Assert.Equal(0, comparison.Repair().KeysRequeued);   // no night would change a local column: no drift to repair
        }

        // A real difference beside it is still found, and named by its own column alone.
        Sql(copy, $"UPDATE MEMBERS SET BALANCE = BALANCE + 1, NOTES = 'and again' WHERE ID = {first}");
        var drift = Assert.Single(Compare(siege, copy, new[] { "MEMBERS" }).Single().Differences);
        Assert.Equal(RowDifferenceKind.ColumnsDiffer, drift.Kind);
        Assert.Equal("BALANCE", drift.Columns);
        using (var comparison = DatabaseComparison.Open(siege, DatabaseComparison.Target(siege, copy, null)))
        {
            Assert.Equal(1, comparison.Repair().KeysRequeued);
        }
    }

    [Fact]
    public void Targets_are_a_file_path_resolved_as_asked_or_host_port_path_with_a_stored_password()
    {
        var config = new HzSyncConfig
        {
            Role = NodeRole.Siege,
            Site = new SiteIdentity { Code = "SIEGE", Number = 1 },
            Database = new DatabaseConfig { Path = "SIEGE.fdb" },
            Drop = new DropConfig { Kind = DropKind.Folder, Path = "drop" },
            BaseFolder = _temp.Path,
        };
        var local = DatabaseComparison.Target(config, "copies/lyon.fdb", null, p => "/base/" + p);
        Assert.Equal(("/base/copies/lyon.fdb", (string?)null, "NONE"), (local.Database, local.Server, local.Charset));
        Assert.Equal(Path.GetFullPath("lyon.fdb"), DatabaseComparison.Target(config, "lyon.fdb", null).Database);
        Assert.False(DatabaseComparison.IsServerSpec(@"C:\data\lyon.fdb"));
        Assert.False(DatabaseComparison.IsServerSpec("/data/lyon.fdb"));
        Assert.True(DatabaseComparison.IsServerSpec("lyon-db/3051:/data/lyon.fdb"));

        var missing = Assert.Throws<InvalidOperationException>(() => DatabaseComparison.Target(config, "lyon-db/3051:/data/lyon.fdb", "lyon-db"));
        Assert.Contains("lyon-db", missing.Message);
        NodeContext.SecretsFor(config).Set("lyon-db", "s3cret-Lyon");
        var server = DatabaseComparison.Target(config, "lyon-db/3051:/data/lyon.fdb", "lyon-db");
        Assert.Equal(("lyon-db", 3051, "/data/lyon.fdb", "s3cret-Lyon"), (server.Server, server.Port, server.Database, server.Password));
        Assert.DoesNotContain("s3cret", server.ToString());

        Assert.Throws<ArgumentException>(() => DatabaseComparison.Target(config, "lyon-db/port:/data/lyon.fdb", null));
        Assert.Throws<ArgumentException>(() => DatabaseComparison.Target(config, "lyon-db/70000:/data/lyon.fdb", null));
        Assert.Throws<ArgumentException>(() => DatabaseComparison.Target(config, " ", null));
    }

    [Fact]
    public void A_missing_other_database_is_a_Firebird_error_and_leaves_no_file_behind()
    {
        var site = Node("LYON01", 2, NodeRole.Site);
        var nowhere = _temp.File("nowhere.fdb");
        Assert.Throws<FbException>(() => DatabaseComparison.Open(site, DatabaseComparison.Target(site, nowhere, null)));
        Assert.False(File.Exists(nowhere));
    }

    public void Dispose() => _temp.Dispose();
}
