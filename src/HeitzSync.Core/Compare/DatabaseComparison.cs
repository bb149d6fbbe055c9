using System.Globalization;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Compare;

/// <summary>
/// hzsync compare and Compare-HzDatabase: this node's database (from its configuration) against another one (a site's,
/// or a copy of it), every synchronised table as installed by the capture (optionally only those matching
/// <c>tables</c> patterns), full row content. <see cref="Compare"/> reads only (one read-only snapshot per side);
/// <see cref="Repair"/> (Siège) re-queues the differing keys in the master so that the next night fixes the other side.
/// </summary>
public sealed class DatabaseComparison : IDisposable
{
    private readonly FbConnection _here;
    private readonly FbConnection _there;

    private DatabaseComparison(HzSyncConfig config, FbConnection here, FbConnection there, IReadOnlyList<string> tables,
        IReadOnlyDictionary<string, IReadOnlyList<string>> notCompared)
    {
        Config = config;
        _here = here;
        _there = there;
        Tables = tables;
        NotCompared = notCompared;
    }

    public HzSyncConfig Config { get; }

    /// <summary>This node's database as text (no password).</summary>
    public string Here => _here.Settings.ToString();

    /// <summary>The other database as text (no password).</summary>
    public string There => _there.Settings.ToString();

    /// <summary>The tables compared: the installed synchronised tables (that match the patterns given), in name order.</summary>
    public IReadOnlyList<string> Tables { get; }

    /// <summary>Per table, its local columns as installed (<c>tables.localColumns</c>): never carried, kept by each node
    /// its own way, so neither compared nor repaired.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> NotCompared { get; }

    /// <summary>
    /// True when <paramref name="spec"/> names a database on a Firebird server (<c>host/port:path</c>), false for a
    /// local file path (including a Windows drive path such as <c>C:\data\club.fdb</c>).
    /// </summary>
    public static bool IsServerSpec(string spec) =>
        spec is not null && spec.Split(':') is { Length: 2 } parts && parts[0].Contains('/');

    /// <summary>
    /// The other database from its text form, as <c>hzsync compare --with</c> takes it: a file path (attached through the
    /// embedded engine; <paramref name="resolvePath"/> makes it absolute, by default against the process's current
    /// folder), or <c>host/port:path</c> on a Firebird server with the SYSDBA password held by the node's stored secret
    /// <paramref name="passwordSecret"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The text is empty or its port is not a number.</exception>
    /// <exception cref="InvalidOperationException">The secret is not stored.</exception>
    public static FbConnectionSettings Target(HzSyncConfig config, string spec, string? passwordSecret, Func<string, string>? resolvePath = null)
    {
        if (config is null) throw new ArgumentNullException(nameof(config));
        if (string.IsNullOrWhiteSpace(spec)) throw new ArgumentException("Name the other database: a file path, or host/port:path on a Firebird server.", nameof(spec));
        string? server = null;
        var port = 3050;
        string database;
        if (IsServerSpec(spec))
        {
            var parts = spec.Split(':');
            var hostPort = parts[0].Split('/');
            if (hostPort.Length != 2 || hostPort[0].Length == 0 || !int.TryParse(hostPort[1], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                throw new ArgumentException($"'{spec}' is not host/port:path (e.g. siege-db/3050:/data/club.fdb): the port must be a number from 1 to 65535.", nameof(spec));
            }
            server = hostPort[0];
            database = parts[1];
        }
        else
        {
            database = (resolvePath ?? Path.GetFullPath)(spec);
        }
        return new FbConnectionSettings
        {
            Database = database,
            Server = server,
            Port = port,
            Password = passwordSecret is { } name ? NodeContext.SecretsFor(config).Require(name, "the other database") : null,
            Charset = "NONE",
        };
    }

    /// <summary>
    /// Attaches this node's database and <paramref name="other"/> (both with character set NONE, so text compares byte
    /// for byte) and reads which tables the capture installed. <paramref name="tables"/>: only the tables matching one
    /// of these patterns (exact names, or <c>*</c> and <c>?</c> wildcards, case-insensitive); null or empty: all of them.
    /// </summary>
    /// <exception cref="FbException">A database cannot be attached.</exception>
    public static DatabaseComparison Open(HzSyncConfig config, FbConnectionSettings other, IReadOnlyCollection<string>? tables = null)
    {
        if (config is null) throw new ArgumentNullException(nameof(config));
        if (other is null) throw new ArgumentNullException(nameof(other));
        FbConnection? here = null;
        FbConnection? there = null;
        try
        {
            here = FbConnection.Open(NodeContext.DatabaseSettings(config) with { Charset = "NONE" });
            there = FbConnection.Open(other with { Charset = "NONE" });
            var installed = CaptureInstaller.ReadInstalledSchemaNames(here);
            var selected = tables is null || tables.Count == 0 ? installed : installed.Where(t => Glob.MatchesAny(tables, t)).ToList();
            return new DatabaseComparison(config, here, there, selected, LocalColumns(here));
        }
        catch
        {
            there?.Dispose();
            here?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Compares every table of <see cref="Tables"/>, this node's database first (left), the other second (right). Reads
    /// only. Progress: one report per table, before it is read.
    /// </summary>
    public IReadOnlyList<TableComparison> Compare(IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default,
        int maxDifferencesPerTable = DatabaseComparer.MaxDifferencesPerTable) =>
        DatabaseComparer.Compare(_here, _there, Tables, maxDifferencesPerTable, cancellationToken, progress, NotCompared);

    /// <summary>The local columns of each synchronised table, as this node's capture installed them.</summary>
    private static IReadOnlyDictionary<string, IReadOnlyList<string>> LocalColumns(FbConnection connection) =>
        CaptureInstaller.ReadInstalledDeclarations(connection).Local
            .Select(ColumnDeclarations.Parse)
            .Where(entry => entry is not null)
            .GroupBy(entry => entry!.Value.Table, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(entry => entry!.Value.Column).ToList(), StringComparer.Ordinal);

    /// <summary>
    /// Siège: re-queues in the master every key of <see cref="Tables"/> that differs from the other database, so that
    /// the next publish brings the other side in line (<see cref="DatabaseRepair"/>). Changes this node's database.
    /// </summary>
    /// <exception cref="CaptureSetupException">This node is not the Siège.</exception>
    public RepairResult Repair() => DatabaseRepair.Requeue(_here, _there, Tables);

    public void Dispose()
    {
        _there.Dispose();
        _here.Dispose();
    }
}
