using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Packaging;
using HeitzSync.Firebird;

namespace HeitzSync.Cli.Tests;

/// <summary>A site LYON01 under a test folder: its configuration, and with <see cref="Initialized"/> its key, a sample database and capture.</summary>
internal static class CliNode
{
    public static HzSyncConfig Site(string root)
    {
        var folder = Path.Combine(root, "LYON01");
        Directory.CreateDirectory(folder);
        Directory.CreateDirectory(Path.Combine(root, "drop"));   // the Siège's drop: a site never creates it
        var config = new HzSyncConfig
        {
            Role = NodeRole.Site,
            Site = new SiteIdentity { Code = "LYON01", Number = 2 },
            Database = new DatabaseConfig { Path = "LYON01.fdb" },
            Drop = new DropConfig { Kind = DropKind.Folder, Path = Path.Combine(root, "drop") },
            KeyFile = Path.Combine(root, "group.key"),
            Tables = new TableRules { LocalOnly = new[] { "WORKSTATION_*" } },
            BaseFolder = folder,
        };
        var path = Path.Combine(folder, "heitzsync.json");
        HzSyncConfigStore.Save(config, path);
        return HzSyncConfigStore.Load(path);
    }

    /// <summary>The site with its key, a sample database and capture installed by <c>hzsync init</c>.</summary>
    public static HzSyncConfig Initialized(string root)
    {
        var config = Site(root);
        using (var key = SyncKey.Generate()) key.Save(config.Resolve(config.KeyFile));
        using (var connection = FbConnection.CreateDatabase(new FbConnectionSettings { Database = config.Resolve(config.Database.Path) }))
        {
            SampleSchema.Create(connection);
            SampleData.SeedExisting(connection, 2, config.KeyRange.Low, 5, new Random(2));
        }
        var init = Hzsync.Run("init", "--config", config.ConfigPath!);
        Assert.True(init.ExitCode == 0, init.ToString());
        // Each business trigger of the synchronised tables, with what it does during an apply, before the summary line.
        Assert.StartsWith("Trigger MEMBERS_BI on MEMBERS (BEFORE INSERT): Skipped: guard added by HeitzSync init", init.Stdout);
        return config;
    }
}
