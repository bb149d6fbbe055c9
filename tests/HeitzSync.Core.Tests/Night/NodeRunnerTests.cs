using HeitzSync.Core.Compare;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Core.Runs;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Night;

/// <summary>The night as a sysadmin runs it: one configuration file per node, the runner's operations, reports.</summary>
[Trait("Category", "EndToEnd")]
public class NodeRunnerTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-nodes");

    private HzSyncConfig Node(string code, int number, NodeRole role, int members = 10)
    {
        var folder = Path.Combine(_temp.Path, code);
        Directory.CreateDirectory(folder);
        Directory.CreateDirectory(Path.Combine(_temp.Path, "drop"));   // the Siège's drop: a site never creates it
        var config = new HzSyncConfig
        {
            Role = role,
            Site = new SiteIdentity { Code = code, Number = number },
            Database = new DatabaseConfig { Path = code + ".fdb" },
            Drop = new DropConfig { Kind = DropKind.Folder, Path = Path.Combine(_temp.Path, "drop") },
            KeyFile = Path.Combine(_temp.Path, "group.key"),
            Tables = new TableRules { LocalOnly = new[] { "WORKSTATION_*" } },
            Schedule = new ScheduleConfig { RestartHour = DateTime.Now.AddHours(-1).ToString("HH:mm"), ReceptionMinutes = 1, PackageWaitMinutes = 1, PollSeconds = 1 },
            BaseFolder = folder,
        };
        HzSyncConfigStore.Save(config, Path.Combine(folder, "heitzsync.json"));
        var loaded = HzSyncConfigStore.Load(Path.Combine(folder, "heitzsync.json"));
        using var connection = FbConnection.CreateDatabase(new FbConnectionSettings { Database = loaded.Resolve(loaded.Database.Path) });
        SampleSchema.Create(connection);
        SampleData.SeedExisting(connection, number, loaded.KeyRange.Low, members, new Random(number));
        return loaded;
    }

    [Fact]
    public async Task A_night_run_from_configuration_files_converges_and_reports_every_step()
    {
        using (var key = SyncKey.Generate()) key.Save(Path.Combine(_temp.Path, "group.key"));
        var siege = Node("SIEGE", 1, NodeRole.Siege);
        var sites = new[] { Node("LYON01", 2, NodeRole.Site), Node("NICE02", 3, NodeRole.Site) };
        foreach (var node in sites.Prepend(siege))
        {
            var init = await NodeRunner.InitializeAsync(node, null, CancellationToken.None);
            Assert.True(init.State == ReportState.OK, init.Summary);
        }
        foreach (var site in sites)
        {
            var sent = await NodeRunner.SendAsync(site, null, CancellationToken.None);
            Assert.True(sent.State == ReportState.OK, sent.Summary);
            Assert.True(sent.RowsSent > 0);
        }
        var night = await NodeRunner.SyncAsync(siege, null, CancellationToken.None);
        Assert.True(night.State == ReportState.OK, night.Summary + string.Join("; ", night.Errors.Select(e => e.Message)));
        Assert.Equal(2, night.SitesDelivered);
        Assert.Contains("backup", night.Summary + string.Join(" ", Directory.GetFiles(siege.Resolve(siege.Backup.Folder))));
        Assert.Single(Directory.GetFiles(siege.Resolve(siege.Backup.Folder), "*.fbk"));
        foreach (var site in sites)
        {
            var received = await NodeRunner.ReceiveAsync(site, TimeSpan.FromSeconds(5), null, CancellationToken.None);
            Assert.True(received.State == ReportState.OK, received.Summary);
            Assert.True(received.RowsApplied > 0);
            Assert.Equal(0, NodeRunner.ExitCode(received.State));
        }

        using var master = FbConnection.Open(new FbConnectionSettings { Database = siege.Resolve(siege.Database.Path) });
        foreach (var site in sites)
        {
            using var other = FbConnection.Open(new FbConnectionSettings { Database = site.Resolve(site.Database.Path) });
            Assert.All(DatabaseComparer.Compare(master, other, SampleSchema.SynchronisedTables), t => Assert.True(t.Identical, $"{site.Site.Code} {t.Table}"));
        }

        var reports = new ReportStore(siege.Resolve(siege.Reports.Folder)).List();
        Assert.Equal(new[] { "Sync", "Init" }, reports.Select(r => r.Operation));
        Assert.All(reports, r => Assert.NotNull(r.EndedUtc));
        Assert.Contains(reports[0].SiteLines, l => l.Site == "LYON01" && l.State == "Consolidated");
    }

    [Fact]
    public async Task A_second_run_on_the_same_node_is_refused_while_one_runs_and_leaves_no_report()
    {
        using (var key = SyncKey.Generate()) key.Save(Path.Combine(_temp.Path, "group.key"));
        var site = Node("LYON01", 2, NodeRole.Site);
        await NodeRunner.InitializeAsync(site, null, CancellationToken.None);
        var reports = new ReportStore(site.Resolve(site.Reports.Folder));
        var before = reports.List(100).Select(r => r.Id).ToList();
        using (RunLock.Acquire(site.Resolve(site.WorkFolder), "Sync"))
        {
            // A refused call is no run: an error for the caller, never a Failed report that a "-State Failed" monitor
            // would alarm on, that "the newest Sync" would pick, and that would use up reports.keep.
            var refused = await Assert.ThrowsAsync<RunLockedException>(() => NodeRunner.SendAsync(site, null, CancellationToken.None));
            Assert.Contains("already in progress on this node: Sync since", refused.Message);
            Assert.Equal("Sync", refused.Holder?.Operation);
            await Assert.ThrowsAsync<RunLockedException>(() => NodeRunner.SyncAsync(site, null, CancellationToken.None));
        }
        Assert.Equal(before, reports.List(100).Select(r => r.Id).ToList());
        var after = await NodeRunner.SendAsync(site, null, CancellationToken.None);
        Assert.Equal(ReportState.OK, after.State);
    }

    [Fact]
    public async Task A_site_whose_siege_never_publishes_ends_partial_and_a_siege_without_deliveries_waits_for_tomorrow()
    {
        using (var key = SyncKey.Generate()) key.Save(Path.Combine(_temp.Path, "group.key"));
        var siege = Node("SIEGE", 1, NodeRole.Siege);
        var site = Node("LYON01", 2, NodeRole.Site);
        await NodeRunner.InitializeAsync(siege, null, CancellationToken.None);
        await NodeRunner.InitializeAsync(site, null, CancellationToken.None);
        var waited = await NodeRunner.ReceiveAsync(site, TimeSpan.FromSeconds(2), null, CancellationToken.None);
        Assert.Equal(ReportState.Partial, waited.State);
        Assert.Equal(1, NodeRunner.ExitCode(waited.State));
        // The Siège waits for LYON01 (registered by its init); without its package it still publishes what the master holds.
        var nothing = await NodeRunner.ConsolidateAsync(siege, TimeSpan.FromSeconds(2), null, CancellationToken.None);
        Assert.Equal(ReportState.Partial, nothing.State);
        Assert.Equal(1, nothing.SitesExpected);
        Assert.Contains("no site delivered", nothing.Summary);
        Assert.Equal(ReportState.OK, (await NodeRunner.ReceiveAsync(site, TimeSpan.Zero, null, CancellationToken.None)).State);
    }

    [Fact]
    public async Task A_run_removes_parts_abandoned_for_a_day_in_its_work_folder_and_at_the_siege_in_the_drop()
    {
        using (var key = SyncKey.Generate()) key.Save(Path.Combine(_temp.Path, "group.key"));
        var siege = Node("SIEGE", 1, NodeRole.Siege);
        var site = Node("LYON01", 2, NodeRole.Site);
        await NodeRunner.InitializeAsync(siege, null, CancellationToken.None);
        await NodeRunner.InitializeAsync(site, null, CancellationToken.None);
        string Part(string folder, string name, TimeSpan age)
        {
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, name);
            File.WriteAllText(path, "partial");
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
            return path;
        }
        var siteWork = site.Resolve(site.WorkFolder);
        var staleIncoming = Part(Path.Combine(siteWork, "incoming"), "SIEGE_20260101T000000Z.hzp.part", TimeSpan.FromDays(2));
        var recentIncoming = Part(Path.Combine(siteWork, "incoming"), "SIEGE_20260102T000000Z.hzp.part", TimeSpan.FromHours(2));
        var drop = siege.Resolve(siege.Drop.Path);
        var staleUp = Part(Path.Combine(drop, "LYON01", "up"), "LYON01_20260101T000000Z_0-5.hzp.part", TimeSpan.FromDays(2));
        var recentUp = Part(Path.Combine(drop, "LYON01", "up"), "LYON01_20260102T000000Z_0-5.hzp.part", TimeSpan.FromMinutes(1));

        var sent = await NodeRunner.SendAsync(site, null, CancellationToken.None);
        Assert.Equal(ReportState.OK, sent.State);
        Assert.False(File.Exists(staleIncoming));
        Assert.True(File.Exists(recentIncoming));
        Assert.True(File.Exists(staleUp));   // a site leaves the drop to the Siège

        var consolidated = await NodeRunner.ConsolidateAsync(siege with { Schedule = siege.Schedule with { Sites = new[] { "LYON01" } } }, TimeSpan.Zero, null, CancellationToken.None);
        Assert.Equal(ReportState.OK, consolidated.State);
        Assert.False(File.Exists(staleUp));
        Assert.True(File.Exists(recentUp));
    }

    [Fact]
    public async Task A_failed_run_never_writes_the_configured_database_or_ftp_password_into_its_report()
    {
        const string dbPassword = "Db-Pw-7731x";
        const string ftpPassword = "Ftp-Pw-5512y";
        var folder = Path.Combine(_temp.Path, "LYON01");
        Directory.CreateDirectory(folder);
        var config = new HzSyncConfig
        {
            Role = NodeRole.Site,
            Site = new SiteIdentity { Code = "LYON01", Number = 2 },
            // Paths that carry the passwords, so the engine's own error messages hold them verbatim: only the
            // exact-value masking of the configured secrets keeps them out of the reports.
            Database = new DatabaseConfig { Path = Path.Combine(dbPassword, "club.fdb"), User = "SYSDBA", PasswordSecret = "database" },
            // Retries 0: init reads the drop first (registration); nothing listens on port 1, so no back-off is worth waiting.
            Drop = new DropConfig { Kind = DropKind.Ftp, Host = "127.0.0.1", Port = 1, User = "LYON01", PasswordSecret = "ftp", Security = "None", Retries = 0 },
            KeyFile = Path.Combine(_temp.Path, "group.key"),
            BaseFolder = folder,
        };
        HzSyncConfigStore.Save(config, Path.Combine(folder, "heitzsync.json"));
        config = HzSyncConfigStore.Load(Path.Combine(folder, "heitzsync.json"));
        var secrets = NodeContext.SecretsFor(config);
        secrets.Set("database", dbPassword);
        secrets.Set("ftp", ftpPassword);
        Assert.Equal(new[] { dbPassword, ftpPassword }, NodeContext.SecretValues(config));

        // The key file is missing and named after the FTP password: the run fails before the database is opened.
        var noKey = config with { KeyFile = Path.Combine(_temp.Path, ftpPassword + ".key") };
        var keyFailure = await NodeRunner.SendAsync(noKey, null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, keyFailure.State);
        using (var key = SyncKey.Generate()) key.Save(Path.Combine(_temp.Path, "group.key"));
        var databaseFailure = await NodeRunner.InitializeAsync(config, null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, databaseFailure.State);
        Assert.Equal("DatabaseError", Assert.Single(databaseFailure.Errors).ErrorId);

        foreach (var report in new[] { keyFailure, databaseFailure })
        {
            var message = Assert.Single(report.Errors).Message;
            Assert.Contains(SecretScrubber.Mask, message);   // the message did hold the password, masked
            Assert.DoesNotContain(dbPassword, message + report.Summary);
            Assert.DoesNotContain(ftpPassword, message + report.Summary);
        }
        var files = Directory.GetFiles(config.Resolve(config.Reports.Folder), "*.json");
        Assert.Equal(2, files.Length);
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain(dbPassword, text);
            Assert.DoesNotContain(ftpPassword, text);
        }
    }

    [Fact]
    public async Task A_run_refused_by_the_lock_neither_obeys_nor_clears_the_stop_asked_of_the_running_one()
    {
        using (var key = SyncKey.Generate()) key.Save(Path.Combine(_temp.Path, "group.key"));
        var site = Node("LYON01", 2, NodeRole.Site);
        var work = site.Resolve(site.WorkFolder);
        using (RunLock.Acquire(work, "Sync"))
        {
            new StopRequest(work).Request("maintenance");
            await Assert.ThrowsAsync<RunLockedException>(() => NodeRunner.SendAsync(site, null, CancellationToken.None));
            Assert.True(new StopRequest(work).IsRequested);
        }
        // A request left from before a run never stops it: the next run clears it when it has the lock.
        var next = await NodeRunner.InitializeAsync(site, null, CancellationToken.None);
        Assert.Equal(ReportState.OK, next.State);
        Assert.False(new StopRequest(work).IsRequested);
    }

    private static string[] Packages(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder, "*.hzp").Select(f => Path.GetFileName(f)!).OrderBy(n => n, StringComparer.Ordinal).ToArray() : Array.Empty<string>();

    private static void Edit(HzSyncConfig node, string notes)
    {
        using var connection = FbConnection.Open(new FbConnectionSettings { Database = node.Resolve(node.Database.Path) });
        connection.ExecuteInNewTransaction("UPDATE MEMBERS SET NOTES = ? WHERE ID = (SELECT MIN(ID) FROM MEMBERS WHERE ID > ?)", notes, node.KeyRange.Low);
    }

    private static void AssertIdentical(HzSyncConfig siege, HzSyncConfig site)
    {
        using var master = FbConnection.Open(new FbConnectionSettings { Database = siege.Resolve(siege.Database.Path) });
        using var other = FbConnection.Open(new FbConnectionSettings { Database = site.Resolve(site.Database.Path) });
        Assert.All(DatabaseComparer.Compare(master, other, SampleSchema.SynchronisedTables), t => Assert.True(t.Identical, $"{site.Site.Code} {t.Table}"));
    }

    [Fact]
    public async Task Extract_then_upload_is_what_send_does_and_the_siege_consolidates_both_kinds_of_site()
    {
        using (var key = SyncKey.Generate()) key.Save(Path.Combine(_temp.Path, "group.key"));
        var siege = Node("SIEGE", 1, NodeRole.Siege);
        var lyon = Node("LYON01", 2, NodeRole.Site);
        var nice = Node("NICE02", 3, NodeRole.Site);
        foreach (var node in new[] { siege, lyon, nice }) Assert.Equal(ReportState.OK, (await NodeRunner.InitializeAsync(node, null, CancellationToken.None)).State);
        var outgoing = Path.Combine(lyon.Resolve(lyon.WorkFolder), "outgoing");
        var up = Path.Combine(_temp.Path, "drop", "LYON01", "up");

        var extract = await NodeRunner.StartBackupAsync(lyon, BackupKind.Delta, null, CancellationToken.None);
        Assert.True(extract.Report.State == ReportState.OK, extract.Report.Summary);
        Assert.Equal("Extract", extract.Report.Operation);
        var package = Assert.Single(extract.Artefacts);
        Assert.Equal(BackupKind.Delta, package.Kind);
        Assert.Equal(extract.Report.Id, package.ReportId);
        Assert.Equal(new[] { Path.GetFileName(package.Path) }, Packages(outgoing));
        Assert.Equal(new FileInfo(package.Path).Length, package.SizeBytes);
        Assert.True(package.Rows > 0);
        Assert.Equal(0, extract.Report.RowsSent);   // extracted, not sent: nothing reached the drop
        Assert.Empty(Packages(up));
        var extracted = Assert.Single(extract.Report.SiteLines);
        Assert.Equal(("Extracted", Path.GetFileName(package.Path), package.Rows), (extracted.State, extracted.PackageName, extracted.Rows));

        var upload = await NodeRunner.UploadAsync(lyon, null, null, CancellationToken.None);
        Assert.True(upload.State == ReportState.OK, upload.Summary);
        Assert.Equal("Upload", upload.Operation);
        Assert.Equal(new[] { Path.GetFileName(package.Path) }, Packages(up));
        Assert.Empty(Packages(outgoing));   // sent: no longer pending
        Assert.Equal((package.Rows, package.SizeBytes), (upload.RowsSent, upload.BytesSent));

        var send = await NodeRunner.SendAsync(nice, null, CancellationToken.None);
        Assert.True(send.State == ReportState.OK, send.Summary);
        // The same record of a sending as Send's: one Sent line with the package, its tables, the same summary.
        foreach (var (report, site) in new[] { (upload, "LYON01"), (send, "NICE02") })
        {
            var line = Assert.Single(report.SiteLines);
            Assert.Equal((site, "Sent", report.RowsSent, report.BytesSent), (line.Site, line.State, line.Rows, line.Bytes));
            Assert.Equal(report.RowsSent, report.TableLines.Where(t => t.Direction == "Sent").Sum(t => t.Upserts));
            Assert.Equal($"sent {report.RowsSent} change(s) in {line.PackageName}", report.Summary);
        }
        Assert.Equal(extract.Report.TableLines.Select(t => (t.Table, t.Upserts)).OrderBy(t => t.Table, StringComparer.Ordinal),
            upload.TableLines.Select(t => (t.Table, t.Upserts)).OrderBy(t => t.Table, StringComparer.Ordinal));
        Assert.Empty(Packages(Path.Combine(nice.Resolve(nice.WorkFolder), "outgoing")));

        var night = await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None);
        Assert.True(night.State == ReportState.OK, night.Summary);
        Assert.Equal(2, night.SitesDelivered);
        Assert.Equal(package.Rows + send.RowsSent, night.RowsReceived);
        foreach (var site in new[] { lyon, nice })
        {
            Assert.Equal(ReportState.OK, (await NodeRunner.ReceiveAsync(site, TimeSpan.Zero, null, CancellationToken.None)).State);
            AssertIdentical(siege, site);
        }
    }

    [Fact]
    public async Task An_upload_with_nothing_pending_is_ok_and_says_so_and_the_siege_neither_extracts_nor_uploads()
    {
        using (var key = SyncKey.Generate()) key.Save(Path.Combine(_temp.Path, "group.key"));
        var siege = Node("SIEGE", 1, NodeRole.Siege);
        var site = Node("LYON01", 2, NodeRole.Site);
        await NodeRunner.InitializeAsync(siege, null, CancellationToken.None);
        await NodeRunner.InitializeAsync(site, null, CancellationToken.None);

        var nothing = await NodeRunner.UploadAsync(site, null, null, CancellationToken.None);
        Assert.Equal(ReportState.OK, nothing.State);
        Assert.StartsWith("nothing to upload: no package waits in ", nothing.Summary);
        Assert.Equal((0L, 0L), (nothing.RowsSent, nothing.BytesSent));
        Assert.Empty(nothing.SiteLines);
        Assert.Empty(Packages(Path.Combine(_temp.Path, "drop", "LYON01", "up")));
        Assert.Single(new ReportStore(site.Resolve(site.Reports.Folder)).List(), r => r.Operation == "Upload");

        // A file that is not this site's delta package is refused before anything is sent.
        var stray = Path.Combine(_temp.Path, "NICE02_20261122T020000Z_d_1-5.hzp");
        File.WriteAllText(stray, "not a package of LYON01");
        var refused = await NodeRunner.UploadAsync(site, new[] { stray }, null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, refused.State);
        Assert.Contains("is not a delta package of site LYON01", Assert.Single(refused.Errors).Message);

        Assert.Equal(BackupKind.Safety, NodeRunner.DefaultBackupKind(siege));
        Assert.Equal(BackupKind.Both, NodeRunner.DefaultBackupKind(site));
        foreach (var report in new[] { (await NodeRunner.StartBackupAsync(siege, BackupKind.Delta, null, CancellationToken.None)).Report, await NodeRunner.UploadAsync(siege, null, null, CancellationToken.None) })
        {
            Assert.Equal(ReportState.Failed, report.State);
            Assert.Contains("the Siège", Assert.Single(report.Errors).Message);
        }
        Assert.Empty(Packages(Path.Combine(siege.Resolve(siege.WorkFolder), "outgoing")));
    }

    [Fact]
    public async Task A_package_whose_upload_failed_is_sent_by_the_next_upload_and_nothing_is_lost_or_applied_twice()
    {
        using (var key = SyncKey.Generate()) key.Save(Path.Combine(_temp.Path, "group.key"));
        var siege = Node("SIEGE", 1, NodeRole.Siege);
        var site = Node("LYON01", 2, NodeRole.Site);
        await NodeRunner.InitializeAsync(siege, null, CancellationToken.None);
        await NodeRunner.InitializeAsync(site, null, CancellationToken.None);
        var outgoing = Path.Combine(site.Resolve(site.WorkFolder), "outgoing");
        var up = Path.Combine(_temp.Path, "drop", "LYON01", "up");
        var consolidate = siege with { Schedule = siege.Schedule with { Sites = new[] { "LYON01" } } };

        // The safety backup and the package in one run; then the drop cannot be reached (its folder is a file).
        var both = await NodeRunner.StartBackupAsync(site, BackupKind.Both, null, CancellationToken.None);
        Assert.True(both.Report.State == ReportState.OK, both.Report.Summary);
        Assert.Equal("Backup", both.Report.Operation);
        Assert.Equal(new[] { BackupKind.Safety, BackupKind.Delta }, both.Artefacts.Select(a => a.Kind));
        Assert.All(both.Artefacts, a => Assert.True(File.Exists(a.Path) && new FileInfo(a.Path).Length == a.SizeBytes, a.Path));
        Assert.EndsWith(".fbk", both.Artefacts[0].Path);
        var first = Path.GetFileName(both.Artefacts[1].Path);
        var unreachable = _temp.File("drop-is-a-file");
        File.WriteAllText(unreachable, "");
        var failed = await NodeRunner.UploadAsync(site with { Drop = site.Drop with { Path = unreachable } }, null, null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, failed.State);
        Assert.Equal("DropUnreachable", Assert.Single(failed.Errors).ErrorId);
        Assert.Equal(new[] { first }, Packages(outgoing));   // still pending

        // The next upload sends it; the Siège takes it once.
        var retried = await NodeRunner.UploadAsync(site, null, null, CancellationToken.None);
        Assert.True(retried.State == ReportState.OK, retried.Summary);
        Assert.Equal(first, Assert.Single(retried.SiteLines).PackageName);
        Assert.Empty(Packages(outgoing));
        var night1 = await NodeRunner.ConsolidateAsync(consolidate, TimeSpan.Zero, null, CancellationToken.None);
        Assert.True(night1.State == ReportState.OK, night1.Summary);
        Assert.Equal(both.Artefacts[1].Rows, night1.RowsReceived);
        Assert.Equal(ReportState.OK, (await NodeRunner.ReceiveAsync(site, TimeSpan.Zero, null, CancellationToken.None)).State);
        AssertIdentical(siege, site);

        // Two edits, each extracted, the first package never sent: the newest holds both, the older is forgotten unsent.
        Edit(site, "first edit");
        var older = Assert.Single((await NodeRunner.StartBackupAsync(site, BackupKind.Delta, null, CancellationToken.None)).Artefacts);
        Edit(site, "second edit");
        var newer = Assert.Single((await NodeRunner.StartBackupAsync(site, BackupKind.Delta, null, CancellationToken.None)).Artefacts);
        Assert.Equal(2, Packages(outgoing).Length);
        Assert.True(newer.Rows >= older.Rows, $"{newer.Rows} < {older.Rows}");
        var upload = await NodeRunner.UploadAsync(site, null, null, CancellationToken.None);
        Assert.True(upload.State == ReportState.OK, upload.Summary);
        Assert.Equal(new[] { ("Sent", Path.GetFileName(newer.Path)), ("Superseded", Path.GetFileName(older.Path)) },
            upload.SiteLines.Select(l => (l.State, l.PackageName!)));
        Assert.Equal(new[] { Path.GetFileName(newer.Path) }, Packages(up));
        Assert.Empty(Packages(outgoing));
        var again = await NodeRunner.UploadAsync(site, null, null, CancellationToken.None);
        Assert.StartsWith("nothing to upload", again.Summary);

        var night2 = await NodeRunner.ConsolidateAsync(consolidate, TimeSpan.Zero, null, CancellationToken.None);
        Assert.True(night2.State == ReportState.OK, night2.Summary);
        Assert.Equal(newer.Rows, night2.RowsReceived);
        var night3 = await NodeRunner.ConsolidateAsync(consolidate, TimeSpan.Zero, null, CancellationToken.None);
        Assert.Equal(0, night3.SitesDelivered);   // nothing delivered twice
        using (var master = FbConnection.Open(new FbConnectionSettings { Database = siege.Resolve(siege.Database.Path) }))
        using (var tx = master.BeginTransaction())
        {
            Assert.Equal("second edit", master.ExecuteScalar(tx, "SELECT CAST(NOTES AS VARCHAR(100)) FROM MEMBERS WHERE ID = (SELECT MIN(ID) FROM MEMBERS WHERE ID > ?)", site.KeyRange.Low));
        }
        Assert.Equal(ReportState.OK, (await NodeRunner.ReceiveAsync(site, TimeSpan.Zero, null, CancellationToken.None)).State);
        AssertIdentical(siege, site);
    }

    [Fact]
    public void The_deadline_is_the_next_restart_hour_and_never_more_than_24_hours()
    {
        var config = new HzSyncConfig { Schedule = new ScheduleConfig { RestartHour = "06:30" } };
        Assert.Equal(TimeSpan.FromHours(4.5), NodeRunner.UntilDeadline(config, new DateTime(2026, 11, 22, 2, 0, 0)));
        Assert.Equal(TimeSpan.FromHours(20.5), NodeRunner.UntilDeadline(config, new DateTime(2026, 11, 22, 10, 0, 0)));
    }

    [Fact]
    public void A_broken_configuration_names_every_problem_and_the_line_of_bad_json()
    {
        var path = _temp.File("bad.json");
        File.WriteAllText(path, "{ \"role\": \"Site\",\n  \"site\": { \"code\": \"lyon\", \"number\": 0 },\n  \"drop\": { \"kind\": \"Ftp\" } }");
        var error = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(path));
        Assert.Contains("site.code 'lyon'", error.Message);
        Assert.Contains("site.number 0", error.Message);
        Assert.Contains("database.path is required", error.Message);
        Assert.Contains("drop.host is required", error.Message);
        File.WriteAllText(path, "{ \"role\": \"Site\",\n  \"site\": { \"code\": \"LYON\" \n }");
        var json = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(path));
        Assert.Contains("line 3", json.Message);
        Assert.Equal(TableClass.LocalOnly, new TableRules { LocalOnly = new[] { "workstation_*" } }.Classify("WORKSTATION_SETTINGS"));
        Assert.Equal(TableClass.Excluded, new TableRules { Exclude = new[] { "LOG?" } }.Classify("LOG1"));
        Assert.True(KeyRange.For(2, 1000).Overlaps(new KeyRange(2999, 5000)));
        Assert.False(KeyRange.For(2, 1000).Overlaps(KeyRange.For(3, 1000)));
    }

    public void Dispose() => _temp.Dispose();
}
