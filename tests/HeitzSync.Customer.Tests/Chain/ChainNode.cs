using System.Globalization;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;
using HeitzSync.Core.Reports;
using HeitzSync.Firebird;

namespace HeitzSync.Customer.Tests.Chain;

/// <summary>
/// One node of the chain on this machine: a folder holding its heitzsync.json (written as README's "Running it for
/// real" shows it), its secrets, work, backups and reports; its database on the Firebird server (127.0.0.1:3050) or
/// an embedded file in the folder.
/// </summary>
public sealed class ChainNode
{
    public ChainNode(string code, int number, NodeRole role, string folder, string databasePath, bool onServer)
    {
        Code = code;
        Number = number;
        Role = role;
        Folder = folder;
        DatabasePath = databasePath;
        OnServer = onServer;
    }

    public string Code { get; }
    public int Number { get; }
    public NodeRole Role { get; }
    public string Folder { get; }

    /// <summary>The database file (on the server: its path as the server sees it, on this machine).</summary>
    public string DatabasePath { get; }

    public bool OnServer { get; }
    public bool IsSiege => Role == NodeRole.Siege;
    public string ConfigPath => Path.Combine(Folder, "heitzsync.json");

    /// <summary>The configuration as hzsync loads it (read again each time: the test edits the file as a user would).</summary>
    public HzSyncConfig Config => HzSyncConfigStore.Load(ConfigPath);

    /// <summary>The first key of this node's range (<see cref="ChainWorld.KeyRangeSize"/>).</summary>
    public int KeyLow => checked((int)(Number * ChainWorld.KeyRangeSize));

    /// <summary>A NONE attachment (text as stored), as the engine opens it, through the configuration's settings.</summary>
    public FbConnection Open() => FbConnection.Open(NodeContext.DatabaseSettings(Config) with { Charset = "NONE" });

    /// <summary>
    /// The environment of this node's hzsync processes: a Firebird lock folder of its own (FIREBIRD_LOCK), as a node
    /// has on its own machine. Embedded Firebird keys its lock files by inode in one folder, and the nodes' nights here
    /// create and drop temporary databases at once (each safety backup is verified by a restore): in a shared folder, a
    /// file could reuse the inode of one another process still holds.
    /// </summary>
    public IReadOnlyDictionary<string, string> ProcessEnvironment
    {
        get
        {
            var folder = Path.Combine(Folder, "fblock");
            Directory.CreateDirectory(folder);
            return new Dictionary<string, string> { ["FIREBIRD_LOCK"] = folder };
        }
    }

    /// <summary>The node's reports, newest first.</summary>
    public IReadOnlyList<SyncReport> Reports(int last = 100) => NodeContext.ReportsFor(Config).List(last);

    /// <summary>
    /// heitzsync.json as a user writes it from README: the customer's tables (TILL_LOG local, ARTICLE.STOCK additive,
    /// ARTICLE.LINES_SOLD local with its trigger run during applies), a folder drop beside the nodes, the group key, and
    /// the schedule. <paramref name="keyRangeSize"/> null leaves the setting out (its default).
    /// </summary>
    public void WriteConfig(long? keyRangeSize, string? code = null, int? number = null, string? databasePath = null, int receptionMinutes = 3)
    {
        var database = OnServer
            ? $"{{ \"path\": \"{databasePath ?? DatabasePath}\", \"server\": \"127.0.0.1\", \"passwordSecret\": \"db\" }}"
            : $"{{ \"path\": \"{Path.GetFileName(databasePath ?? DatabasePath)}\" }}";
        // The deadline (restartHour) an hour before now: tonight's run has the whole day before it.
        var restart = DateTime.Now.AddHours(-1).ToString("HH:mm", CultureInfo.InvariantCulture);
        var text = $$"""
            {
              "role": "{{Role}}",
              "site": { "code": "{{code ?? Code}}", "number": {{number ?? Number}} },
              "database": {{database}},
              "drop": { "kind": "Folder", "path": "../drop" },
              "keyFile": "../group.key",
              "tables": { "localOnly": ["TILL_LOG"], "siegeWins": [],
                          "additiveColumns": ["ARTICLE.STOCK"], "localColumns": ["ARTICLE.LINES_SOLD"], "triggersRunDuringApply": ["SALE_LINE_COUNT"] },
            {{(keyRangeSize is { } size ? $"  \"keyRangeSize\": {size.ToString(CultureInfo.InvariantCulture)}," : "  // keyRangeSize: the default")}}
              "backup": { "folder": "backups", "keep": 2 },
              "schedule": { "startTime": "02:00", "staggerMinutes": 5, "restartHour": "{{restart}}", "receptionMinutes": {{receptionMinutes}}, "packageWaitMinutes": 4, "pollSeconds": 1 },
              "reports": { "folder": "reports", "keep": 100 }
            }
            """;
        File.WriteAllText(ConfigPath, text);
    }

    public override string ToString() => Code;
}
