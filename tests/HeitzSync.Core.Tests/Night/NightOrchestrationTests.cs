using HeitzSync.Core.Checks;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Night;

/// <summary>
/// How the nodes of a chain find each other and end a night together (DESIGN.md §6): registration by init, the Siège
/// waiting for tonight's packages, sites waiting for the answer to what they sent, full restores, damaged packages.
/// Nodes run from configuration files with a Folder drop, concurrently where the schedule makes them overlap.
/// </summary>
[Trait("Category", "EndToEnd")]
public class NightOrchestrationTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-orch");

    public NightOrchestrationTests()
    {
        using var key = SyncKey.Generate();
        key.Save(Path.Combine(_temp.Path, "group.key"));
    }

    public void Dispose() => _temp.Dispose();

    private string DropFolder => Path.Combine(_temp.Path, "drop");

    private HzSyncConfig Node(string code, int number, NodeRole role = NodeRole.Site, int members = 5)
    {
        var folder = Path.Combine(_temp.Path, code);
        Directory.CreateDirectory(folder);
        var config = new HzSyncConfig
        {
            Role = role,
            Site = new SiteIdentity { Code = code, Number = number },
            Database = new DatabaseConfig { Path = code + ".fdb" },
            Drop = new DropConfig { Kind = DropKind.Folder, Path = DropFolder },
            KeyFile = Path.Combine(_temp.Path, "group.key"),
            Tables = new TableRules { LocalOnly = new[] { "WORKSTATION_*" } },
            Schedule = new ScheduleConfig { RestartHour = DateTime.Now.AddHours(-1).ToString("HH:mm"), ReceptionMinutes = 1, PackageWaitMinutes = 1, PollSeconds = 1 },
            BaseFolder = folder,
        };
        Directory.CreateDirectory(DropFolder);
        HzSyncConfigStore.Save(config, Path.Combine(folder, "heitzsync.json"));
        var loaded = HzSyncConfigStore.Load(Path.Combine(folder, "heitzsync.json"));
        using var connection = FbConnection.CreateDatabase(new FbConnectionSettings { Database = loaded.Resolve(loaded.Database.Path) });
        SampleSchema.Create(connection);
        SampleData.SeedExisting(connection, number, loaded.KeyRange.Low, members, new Random(number));
        return loaded;
    }

    private static FbConnectionSettings Db(HzSyncConfig node) => new() { Database = node.Resolve(node.Database.Path) };

    private static long Scalar(HzSyncConfig node, string sql)
    {
        using var connection = FbConnection.Open(Db(node));
        using var tx = connection.BeginTransaction();
        return Convert.ToInt64(connection.ExecuteScalar(tx, sql));
    }

    private static void Execute(HzSyncConfig node, string sql)
    {
        using var connection = FbConnection.Open(Db(node));
        connection.ExecuteInNewTransaction(sql);
    }

    private static long Members(HzSyncConfig node, string lastName) =>
        Scalar(node, $"SELECT COUNT(*) FROM MEMBERS WHERE LAST_NAME = '{lastName}'");

    private static async Task<HzSyncConfig[]> Initialised(params HzSyncConfig[] nodes)
    {
        foreach (var node in nodes)
        {
            var init = await NodeRunner.InitializeAsync(node, null, CancellationToken.None);
            Assert.True(init.State == ReportState.OK, $"{node.Site.Code}: {init.Summary}");
        }
        return nodes;
    }

    /// <summary>A night in which every step must succeed: the site sends, the Siège consolidates and publishes, the site receives.</summary>
    private static async Task CleanNight(HzSyncConfig siege, HzSyncConfig site)
    {
        Assert.Equal(ReportState.OK, (await NodeRunner.SendAsync(site, null, CancellationToken.None)).State);
        Assert.Equal(ReportState.OK, (await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None)).State);
        Assert.Equal(ReportState.OK, (await NodeRunner.ReceiveAsync(site, TimeSpan.Zero, null, CancellationToken.None)).State);
    }

    private static string Why(SyncReport report) => report.Summary + " | " + string.Join(" | ", report.Errors.Select(e => e.ErrorId + ": " + e.Message));

    /// <summary>Progress that completes a task when the Siège starts waiting for the sites.</summary>
    private static (IProgress<SyncProgress> Progress, Task Reception) WatchReception()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (new InlineProgress<SyncProgress>(p => { if (p.Activity == "Reception") started.TrySetResult(); }), started.Task);
    }

    private static void AssertIdentical(HzSyncConfig a, HzSyncConfig b)
    {
        using var left = FbConnection.Open(Db(a));
        using var right = FbConnection.Open(Db(b));
        Assert.All(DatabaseComparer.Compare(left, right, SampleSchema.SynchronisedTables), t => Assert.True(t.Identical, $"{a.Site.Code}/{b.Site.Code} {t.Table}"));
    }

    [Fact]
    public async Task On_a_fresh_drop_the_siege_waits_for_the_sites_that_registered_with_init_and_one_is_removed_by_a_command()
    {
        var (siege, lyon, nice) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2), Node("NICE02", 3));
        await Initialised(siege, lyon, nice);

        var (progress, reception) = WatchReception();
        var night = NodeRunner.ConsolidateAsync(siege, TimeSpan.FromSeconds(60), progress, CancellationToken.None);
        await reception;
        foreach (var site in new[] { lyon, nice }) Assert.Equal(ReportState.OK, (await NodeRunner.SendAsync(site, null, CancellationToken.None)).State);
        var consolidated = await night;
        Assert.True(consolidated.State == ReportState.OK, Why(consolidated));
        Assert.Equal(2, consolidated.SitesExpected);
        Assert.Equal(2, consolidated.SitesDelivered);

        var removed = await NodeRunner.UnregisterAsync(siege, SiteCode.Parse("NICE02"), null, CancellationToken.None);
        Assert.True(removed.State == ReportState.OK, Why(removed));
        var next = await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None);
        Assert.Equal(1, next.SitesExpected);
        var full = await NodeRunner.PublishFullAsync(siege, SiteCode.Parse("NICE02"), null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, full.State);

        // The number of a removed site is never given to another one.
        var pau = Node("PAU03", 3);
        var refused = await NodeRunner.InitializeAsync(pau, null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, refused.State);
        Assert.Contains("NICE02", refused.Summary);
        Assert.Contains("site.number", refused.Summary);
    }

    [Fact]
    public async Task Init_refuses_to_renumber_a_registered_site_or_to_take_another_sites_number_and_changes_nothing()
    {
        var (siege, lyon) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2));
        await Initialised(siege, lyon);
        Assert.Equal(ReportState.OK, (await NodeRunner.SendAsync(lyon, null, CancellationToken.None)).State);
        Assert.Equal(ReportState.OK, (await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None)).State);
        var generator = Scalar(lyon, "SELECT GEN_ID(GEN_MEMBERS, 0) FROM RDB$DATABASE");

        var renumbered = await NodeRunner.InitializeAsync(lyon with { Site = lyon.Site with { Number = 4 } }, null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, renumbered.State);
        Assert.Contains("site.number", renumbered.Summary);
        Assert.Contains("2", renumbered.Summary);
        Assert.Equal(generator, Scalar(lyon, "SELECT GEN_ID(GEN_MEMBERS, 0) FROM RDB$DATABASE"));
        Assert.Equal(2, Scalar(lyon, "SELECT SITE_NUMBER FROM HZ$NODE"));

        var duplicate = await NodeRunner.InitializeAsync(Node("NICE03", 2), null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, duplicate.State);
        Assert.Contains("LYON01", duplicate.Summary);
    }

    [Fact]
    public async Task A_full_package_for_an_unknown_site_is_refused_naming_the_registered_ones_and_creates_nothing()
    {
        var (siege, lyon) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2));
        await Initialised(siege, lyon);
        var full = await NodeRunner.PublishFullAsync(siege, SiteCode.Parse("NOSUCH"), null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, full.State);
        Assert.Contains("LYON01", full.Summary);
        Assert.False(Directory.Exists(Path.Combine(DropFolder, "NOSUCH")));
    }

    [Fact]
    public async Task Consolidate_with_a_site_configuration_and_a_run_under_another_identity_are_refused_up_front()
    {
        var (siege, lyon, nice) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2), Node("NICE02", 3));
        await Initialised(siege, lyon, nice);
        Assert.Equal(ReportState.OK, (await NodeRunner.SendAsync(lyon, null, CancellationToken.None)).State);
        var waiting = Directory.GetFiles(Path.Combine(DropFolder, "LYON01", "up"));

        var wrongRole = await NodeRunner.ConsolidateAsync(nice, TimeSpan.Zero, null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, wrongRole.State);
        Assert.Contains("NICE02", wrongRole.Summary);
        Assert.Equal(waiting, Directory.GetFiles(Path.Combine(DropFolder, "LYON01", "up")));
        Assert.False(Directory.Exists(Path.Combine(DropFolder, "LYON01", "quarantine")));

        var wrongCode = await NodeRunner.SyncAsync(lyon with { Site = lyon.Site with { Code = "LYON09" } }, null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, wrongCode.State);
        Assert.Contains("LYON01", wrongCode.Summary);
        Assert.Contains("LYON09", wrongCode.Summary);
        Assert.Equal(waiting, Directory.GetFiles(Path.Combine(DropFolder, "LYON01", "up")));
        Assert.False(Directory.Exists(lyon.Resolve(lyon.Backup.Folder)), "a backup was made under the wrong identity");
    }

    [Fact]
    public async Task A_site_waits_for_the_sieges_answer_to_what_it_just_sent_not_for_the_old_package_in_down()
    {
        var (siege, lyon) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2));
        await Initialised(siege, lyon);
        Assert.Equal(ReportState.OK, (await NodeRunner.SendAsync(lyon, null, CancellationToken.None)).State);
        Assert.Equal(ReportState.OK, (await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None)).State);
        // LYON01 missed that answer; tonight the Siège has a new member, and LYON01 a new one of its own.
        Execute(siege, "INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Tonight at the Siege')");
        Execute(lyon, "INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Tonight at Lyon')");

        var (progress, reception) = WatchReception();
        var siegeNight = NodeRunner.ConsolidateAsync(siege, TimeSpan.FromSeconds(60), progress, CancellationToken.None);
        await reception;
        var siteNight = await NodeRunner.SyncAsync(lyon, TimeSpan.Zero, TimeSpan.FromMinutes(2), null, CancellationToken.None);
        Assert.True((await siegeNight).State == ReportState.OK, Why(await siegeNight));
        Assert.True(siteNight.State == ReportState.OK, Why(siteNight) + " SIEGE: " + Why(await siegeNight) + string.Join(",", (await siegeNight).SiteLines.Select(l => l.State + " " + l.PackageName)) + " started " + (await siegeNight).StartedUtc.ToString("HH:mm:ss.fff") + " / " + siteNight.StartedUtc.ToString("HH:mm:ss.fff"));
        Assert.Equal(1, Members(lyon, "Tonight at the Siege"));
        AssertIdentical(siege, lyon);
    }

    [Fact]
    public async Task An_upload_left_from_a_night_the_siege_missed_is_consolidated_but_tonight_waits_for_tonights()
    {
        var (siege, lyon) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2));
        await Initialised(siege, lyon);
        // The night the Siège missed: LYON01 sends and waits in vain.
        Execute(lyon, "INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Missed night')");
        var missed = await NodeRunner.SyncAsync(lyon, TimeSpan.Zero, TimeSpan.FromSeconds(1), null, CancellationToken.None);
        Assert.Equal(ReportState.Partial, missed.State);

        Execute(lyon, "INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Tonight')");
        var (progress, reception) = WatchReception();
        var siegeNight = NodeRunner.ConsolidateAsync(siege, TimeSpan.FromSeconds(60), progress, CancellationToken.None);
        await reception;
        var sent = await NodeRunner.SendAsync(lyon, null, CancellationToken.None);
        var night = await siegeNight;
        Assert.True(night.State == ReportState.OK, Why(night));
        Assert.Equal(1, night.SitesDelivered);
        Assert.Contains(night.SiteLines, l => l.PackageName == sent.SiteLines.Single().PackageName && l.State == "Consolidated");
        Assert.Equal(1, Members(siege, "Missed night"));
        Assert.Equal(1, Members(siege, "Tonight"));
    }

    [Fact]
    public async Task A_rerun_publishes_what_a_crashed_run_consolidated_and_did_not_publish()
    {
        var (siege, lyon) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2));
        await Initialised(siege, lyon);
        Execute(lyon, "INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Before the crash')");
        Assert.Equal(ReportState.OK, (await NodeRunner.SendAsync(lyon, null, CancellationToken.None)).State);
        Execute(siege, "INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Siege before the crash')");
        // What a run killed during Publish leaves: LYON01's package consolidated (and gone from up/), nothing published.
        using (var context = NodeContext.Create(siege))
        {
            var run = await new SiegeNight(context.Database, context.Drop, context.Key, context.WorkFolder, Array.Empty<string>())
                .ConsolidateAsync(new[] { SiteCode.Parse("LYON01") }, 1, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
            Assert.Equal("Consolidated", Assert.Single(run.Deliveries).State);
        }
        var rerun = await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None);
        Assert.Contains("published", rerun.Summary);
        var received = await NodeRunner.ReceiveAsync(lyon, TimeSpan.Zero, null, CancellationToken.None);
        Assert.True(received.State == ReportState.OK, Why(received));
        Assert.Equal(1, Members(lyon, "Siege before the crash"));
    }

    [Fact]
    public async Task A_damaged_package_in_down_is_reported_once_never_copied_again_and_the_next_valid_one_applies()
    {
        var (siege, lyon) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2));
        await Initialised(siege, lyon);
        Assert.Equal(ReportState.OK, (await NodeRunner.SendAsync(lyon, null, CancellationToken.None)).State);
        Assert.Equal(ReportState.OK, (await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None)).State);
        var junk = Path.Combine(DropFolder, "LYON01", "down", PackageNames.ForSiegeDelta(SiteCode.Parse("LYON01"), CycleId.FromTime(DateTimeOffset.UtcNow.AddDays(1))));
        File.WriteAllBytes(junk, new byte[300_000]);
        var junkTime = File.GetLastWriteTimeUtc(junk);

        var first = await NodeRunner.ReceiveAsync(lyon, TimeSpan.Zero, null, CancellationToken.None);
        Assert.True(first.RowsApplied > 0, Why(first));
        Assert.Contains(first.Errors, e => e.Message.Contains(Path.GetFileName(junk)));
        // The account may not delete in down/, so the junk is still there the next night: neither reported nor copied again.
        File.WriteAllBytes(junk, new byte[300_000]);
        File.SetLastWriteTimeUtc(junk, junkTime);
        var quarantine = lyon.Resolve("work/quarantine");
        var kept = Directory.GetFiles(quarantine).Length;
        var second = await NodeRunner.ReceiveAsync(lyon, TimeSpan.Zero, null, CancellationToken.None);
        Assert.DoesNotContain(second.Errors, e => e.Message.Contains(Path.GetFileName(junk)));
        Assert.Equal(kept, Directory.GetFiles(quarantine).Length);
        AssertIdentical(siege, lyon);
    }

    [Fact]
    public async Task A_full_restore_keeps_the_sites_unsent_changes_and_sends_them_next_night()
    {
        var (siege, lyon) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2));
        await Initialised(siege, lyon);
        await CleanNight(siege, lyon);

        Assert.Equal(ReportState.OK, (await NodeRunner.PublishFullAsync(siege, SiteCode.Parse("LYON01"), null, CancellationToken.None)).State);
        Execute(lyon, "SELECT GEN_ID(GEN_MEMBERS, 100) FROM RDB$DATABASE");   // years of members created and removed: keys above any row the Siège holds
        for (var i = 0; i < 3; i++) Execute(lyon, $"INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Unsent {i}')");
        Execute(lyon, "UPDATE MEMBERS SET FIRST_NAME = 'Edited' WHERE ID = (SELECT MIN(ID) FROM MEMBERS)");
        Execute(lyon, "INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Joined and left the same day')");
        Execute(lyon, "DELETE FROM MEMBERS WHERE LAST_NAME = 'Joined and left the same day'");
        var handedOut = Scalar(lyon, "SELECT GEN_ID(GEN_MEMBERS, 0) FROM RDB$DATABASE");
        Execute(lyon, "UPDATE WORKSTATION_SETTINGS SET SETTING_VALUE = 'printer=Star TSP100' WHERE WORKSTATION = 'POS2-2'");
        var restored = await NodeRunner.ReceiveAsync(lyon, TimeSpan.Zero, null, CancellationToken.None);
        Assert.True(restored.State == ReportState.OK, Why(restored));
        Assert.Equal(3, Scalar(lyon, "SELECT COUNT(*) FROM MEMBERS WHERE LAST_NAME STARTING WITH 'Unsent'"));
        // A local table never leaves its node: the site keeps its own workstations, the Siège's do not come with the package.
        Assert.Equal(0, Scalar(lyon, "SELECT COUNT(*) FROM WORKSTATION_SETTINGS WHERE WORKSTATION NOT STARTING WITH 'POS2-'"));
        Assert.Equal(1, Scalar(lyon, "SELECT COUNT(*) FROM WORKSTATION_SETTINGS WHERE WORKSTATION = 'POS2-2' AND SETTING_VALUE = 'printer=Star TSP100'"));
        // The site's generators go on from where they stood: no key it handed out (kept rows, a deleted one) is given again.
        Assert.True(Scalar(lyon, "SELECT GEN_ID(GEN_MEMBERS, 0) FROM RDB$DATABASE") >= handedOut, "GEN_MEMBERS went back below the keys LYON01 had handed out");
        Execute(lyon, "INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Unsent 3, after the restore')");

        Assert.Equal(ReportState.OK, (await NodeRunner.SendAsync(lyon, null, CancellationToken.None)).State);
        Assert.Equal(ReportState.OK, (await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None)).State);
        Assert.Equal(4, Scalar(siege, "SELECT COUNT(*) FROM MEMBERS WHERE LAST_NAME STARTING WITH 'Unsent'"));
        Assert.Equal(ReportState.OK, (await NodeRunner.ReceiveAsync(lyon, TimeSpan.Zero, null, CancellationToken.None)).State);
        AssertIdentical(siege, lyon);
    }

    [Fact]
    public async Task A_full_package_still_waiting_in_down_is_not_replaced_by_the_next_publish_and_nothing_is_lost()
    {
        var (siege, lyon) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2));
        await Initialised(siege, lyon);
        await CleanNight(siege, lyon);

        Assert.Equal(ReportState.OK, (await NodeRunner.PublishFullAsync(siege, SiteCode.Parse("LYON01"), null, CancellationToken.None)).State);
        Execute(lyon, "INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Sent before the restore')");
        Assert.Equal(ReportState.OK, (await NodeRunner.SendAsync(lyon, null, CancellationToken.None)).State);
        var published = await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None);
        Assert.Single(Directory.GetFiles(Path.Combine(DropFolder, "LYON01", "down"), "*_full.hzp"));

        var received = await NodeRunner.ReceiveAsync(lyon, TimeSpan.Zero, null, CancellationToken.None);
        Assert.True(received.State == ReportState.OK, Why(received));
        Assert.Contains("restored", received.Summary);
        Assert.Equal(1, Members(lyon, "Sent before the restore"));
        await CleanNight(siege, lyon);
        AssertIdentical(siege, lyon);
    }

    [Fact]
    public async Task The_sieges_test_reports_overlapping_key_ranges_among_registered_sites()
    {
        var (siege, lyon, nice) = (Node("SIEGE", 1, NodeRole.Siege), Node("LYON01", 2), Node("NICE02", 2));
        await Initialised(siege, lyon, nice);   // neither was known to the Siège when the other registered
        var checks = await SiegeChecks.RunAsync(siege, CancellationToken.None);
        var ranges = Assert.Single(checks, c => c.Check == "KeyRanges");
        Assert.Equal(CheckStatus.Failed, ranges.Status);
        Assert.Contains("LYON01", ranges.Detail);
        Assert.Contains("NICE02", ranges.Detail);
    }
}
