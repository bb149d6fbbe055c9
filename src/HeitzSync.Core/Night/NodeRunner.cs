using System.Globalization;
using HeitzSync.Core.Backup;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Model;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Core.Runs;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Night;

/// <summary>
/// The operations of a node as the cmdlets and hzsync run them, each under the node's run lock, each writing a
/// report (Running at once, then its final state). <see cref="SyncAsync"/> is the whole night for the node's role.
/// </summary>
public static class NodeRunner
{
    /// <summary>Exit codes for RMM tools: 0 OK, 1 partial, 2 failed or stopped.</summary>
    public static int ExitCode(ReportState state) => state switch
    {
        ReportState.OK => 0,
        ReportState.Partial => 1,
        _ => 2,
    };

    /// <summary>This node's capture identity, from its configuration.</summary>
    public static CaptureOptions Identity(HzSyncConfig config) => new()
    {
        Site = SiteCode.Parse(config.Site.Code),
        SiteNumber = config.Site.Number,
        IsSiege = config.Role == NodeRole.Siege,
        KeyLow = config.KeyRange.Low,
        KeyHigh = config.KeyRange.High,
        IsSynchronised = t => config.Tables.Classify(t) == TableClass.Synchronised,
        AdditiveColumns = config.Tables.AdditiveColumns,
        LocalColumns = config.Tables.LocalColumns,
        TriggersRunDuringApply = config.Tables.TriggersRunDuringApply,
        TriggersOffDuringApply = config.Tables.TriggersOffDuringApply,
    };

    /// <summary>
    /// Installs capture (identity, key range, triggers) and joins the chain (DESIGN.md §6): a site checks its number
    /// against the Siège's registry (siege.json) before anything changes, then writes its registration into the drop;
    /// the Siège writes siege.json. A site whose database does not exist yet only registers (it is then seeded with a
    /// full package). A drop that cannot be reached leaves the site unregistered (Partial): its first send registers it.
    /// </summary>
    public static Task<SyncReport> InitializeAsync(HzSyncConfig config, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(config, "Init", progress, cancellationToken, async (context, report, _, ct) =>
        {
            var isSite = config.Role == NodeRole.Site;
            string? notRegistered = null;
            if (isSite)
            {
                try
                {
                    var siege = DropJson.Deserialize<SiegeDocument>(await context.Drop.ReadSmallFileAsync(DropLayout.SiegeFile, ct).ConfigureAwait(false), "siege.json");
                    if (siege is not null) CheckNumberIsFree(config, siege);
                }
                catch (Transport.DropTransportException ex)
                {
                    notRegistered = ex.Message;
                }
                catch (InvalidDataException)
                {
                    // Unreadable siege.json: the Siège rewrites it, and refuses a taken number when it registers the site.
                }
            }
            var range = config.KeyRange;
            if (isSite && notRegistered is null && context.Database.IsEmbedded && !File.Exists(context.Database.Database))
            {
                // No database yet: the site registers all the same (so that the Siège can seed it with a full package),
                // then fails below on the missing file, as any run would.
                try
                {
                    await SiteRegistrations.WriteAsync(context.Drop, config, ct).ConfigureAwait(false);
                }
                catch (Transport.DropTransportException)
                {
                    // The missing database is the error this run reports.
                }
            }
            using (var connection = FbConnection.Open(context.Database with { Charset = "NONE" }))
            {
                var result = new CaptureInstaller(connection).Install(Identity(config));
                report.Summary = $"capture installed: {result.TablesAdded.Count} table(s) added, {result.TablesKept.Count} kept, {result.TablesRemoved.Count} removed, {result.RowsQueued} existing row(s) queued, {result.GeneratorsMoved.Count} generator(s) moved into {range}";
                report.RowsSent = result.RowsQueued;
                // Each business trigger of a synchronised table, and what it does while replicated rows are applied.
                foreach (var trigger in result.Triggers)
                {
                    progress?.Report(new SyncProgress("Init", "trigger " + trigger, 100));
                    report.TriggerLines.Add(new TriggerReportLine(trigger.Name, trigger.Table, trigger.Event, trigger.IsActive, trigger.DuringApply.ToString(), trigger.Detail));
                }
                if (result.Triggers.Count > 0)
                {
                    var skipped = result.Triggers.Count(t => t.DuringApply == TriggerDuringApply.Skipped);
                    var others = result.Triggers.Where(t => t.DuringApply != TriggerDuringApply.Skipped).Select(t => $"{t.Name}: {t.DuringApply}");
                    AppendSummary(report, string.Join(", ", new[] { $"{result.Triggers.Count} business trigger(s), {skipped} skipped during applies" }.Concat(others)));
                }
            }
            try
            {
                if (isSite && notRegistered is null) await SiteRegistrations.WriteAsync(context.Drop, config, ct).ConfigureAwait(false);
                if (!isSite) await SiegeNightOf(context).WriteSiegeDocumentAsync(null, ct).ConfigureAwait(false);
            }
            catch (Transport.DropTransportException ex)
            {
                notRegistered = ex.Message;
            }
            if (notRegistered is null)
            {
                AppendSummary(report, isSite ? $"registered with the Siège as number {config.Site.Number}" : "siege.json written");
                return ReportState.OK;
            }
            AppendSummary(report, isSite
                ? $"not registered with the Siège yet, the drop cannot be reached ({notRegistered}): run init again, or the first send registers it"
                : $"siege.json not written, the drop cannot be reached ({notRegistered}): the first consolidation writes it");
            return ReportState.Partial;
        });

    /// <summary>
    /// Refuses a site number the Siège has given to another site (or retired), and a change of number of a site the
    /// Siège has registered (DESIGN.md §3): its packages would be refused from then on.
    /// </summary>
    private static void CheckNumberIsFree(HzSyncConfig config, SiegeDocument siege)
    {
        var code = config.Site.Code;
        var mine = config.KeyRange;
        if (siege.Sites.FirstOrDefault(s => s.Code == code) is { } registered && (registered.Number != config.Site.Number || registered.KeyLow != mine.Low || registered.KeyHigh != mine.High))
        {
            throw new SiteRegistrationException(
                $"{code} is registered at the Siège as number {registered.Number} (keys [{registered.KeyLow}, {registered.KeyHigh}]); this configuration says number {config.Site.Number} (keys {mine}). " +
                $"A registered site's number and key range never change: set site.number back to {registered.Number} (and keyRangeSize as it was), then run init. Nothing was changed.");
        }
        if (siege.Retired.FirstOrDefault(s => s.Code == code) is { } removed)
        {
            throw new SiteRegistrationException($"{code} was removed from the Siège (unregister): a site that joins again needs a new site.code and a new site.number. Nothing was changed.");
        }
        var taken = siege.Sites.Where(s => s.Code != code).Select(s => (s.Code, s.Number, s.KeyLow, s.KeyHigh))
            .Concat(siege.Retired.Select(s => (Code: s.Code + " (removed)", s.Number, s.KeyLow, s.KeyHigh)))
            .Append((Code: siege.Siege + " (the Siège)", Number: siege.SiegeNumber, KeyLow: siege.SiegeKeyLow, KeyHigh: siege.SiegeKeyHigh))
            .ToList();
        var clash = taken.FirstOrDefault(t => t.Number == config.Site.Number || new KeyRange(t.KeyLow, t.KeyHigh).Overlaps(mine));
        if (clash.Code is not null)
        {
            throw new SiteRegistrationException(
                $"site.number {config.Site.Number} (keys {mine}) is taken by {clash.Code} (number {clash.Number}, keys [{clash.KeyLow}, {clash.KeyHigh}]): set site.number to one no other site has " +
                $"(taken: {string.Join(", ", taken.OrderBy(t => t.Number).Select(t => $"{t.Number} {t.Code}"))}), then run init. Nothing was changed.");
        }
    }

    /// <summary>The safety backup alone (operation Backup). <see cref="StartBackupAsync"/> with <see cref="BackupKind.Delta"/>
    /// is the extract alone (operation Extract).</summary>
    public static async Task<SyncReport> BackupAsync(HzSyncConfig config, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        (await StartBackupAsync(config, BackupKind.Safety, progress, cancellationToken).ConfigureAwait(false)).Report;

    /// <summary>What Start-HzBackup and <c>hzsync backup</c> make when no kind is given: both on a site, the safety
    /// backup at the Siège (which makes no delta package: it publishes at consolidation).</summary>
    public static BackupKind DefaultBackupKind(HzSyncConfig config) => config.Role == NodeRole.Siege ? BackupKind.Safety : BackupKind.Both;

    /// <summary>
    /// The safety backup and/or the delta package, in one run (operation Backup, or Extract for the package alone): the
    /// backup first (gbak needs an embedded database closed), then the extract into the outgoing folder (no upload: see
    /// <see cref="UploadAsync"/>). Returns the run and what it made, even when a later step failed.
    /// </summary>
    public static async Task<BackupRun> StartBackupAsync(HzSyncConfig config, BackupKind kind, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        if ((kind & BackupKind.Both) == 0) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Safety, Delta or Both.");
        var made = new List<BackupArtefact>();
        var report = await RunAsync(config, kind == BackupKind.Delta ? "Extract" : "Backup", progress, cancellationToken, async (context, report, p, ct) =>
        {
            if ((kind & BackupKind.Delta) != 0) RequireSite(context.Config, "A delta package");
            if ((kind & BackupKind.Safety) != 0) made.Add(await Backup(context, report, p, ct).ConfigureAwait(false));
            if ((kind & BackupKind.Delta) != 0)
            {
                var package = await SiteNightOf(context).ExtractAsync(CycleId.Parse(report.CycleId), p, ct).ConfigureAwait(false);
                report.SiteLines.Add(new SiteReportLine(context.Site.Value, "Extracted", package.PackageName, package.Rows, 0, package.Bytes, null));
                foreach (var note in package.Notes) report.Errors.Add(new ErrorLine(context.Site.Value, "Extract", "AckIgnored", note));
                foreach (var table in package.TableCounts) report.TableLines.Add(new TableReportLine(context.Site.Value, table.Key, "Extracted", table.Value, 0, 0));
                AppendSummary(report, $"extracted {package.Rows} change(s) into {package.PackageName}, waiting in the outgoing folder to be sent");
                made.Add(new BackupArtefact(BackupKind.Delta, package.LocalPath, package.Bytes, package.Rows, File.GetLastWriteTimeUtc(package.LocalPath)));
            }
            return ReportState.OK;
        }).ConfigureAwait(false);
        return new BackupRun(report, made.Select(a => a with { ReportId = report.Id }).ToList());
    }

    /// <summary>Site: extract and upload in one run (operation Send), as the night does.</summary>
    public static Task<SyncReport> SendAsync(HzSyncConfig config, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(config, "Send", progress, cancellationToken, async (context, report, p, ct) =>
        {
            await Send(context, report, CycleId.Parse(report.CycleId), p, ct).ConfigureAwait(false);
            return ReportState.OK;
        });

    /// <summary>
    /// Site: uploads what was extracted and not sent yet (operation Upload, no extract). <paramref name="packages"/> are
    /// package files (from Start-HzBackup, or a copy); null or empty means the packages pending in the outgoing folder.
    /// Only the newest is sent: each package holds every change the Siège had not acknowledged when it was extracted, so
    /// it holds the older ones' changes, which are forgotten without being sent (the Siège would only apply them again).
    /// Nothing pending is OK, with a summary saying so.
    /// </summary>
    public static Task<SyncReport> UploadAsync(HzSyncConfig config, IReadOnlyCollection<string>? packages, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(config, "Upload", progress, cancellationToken, async (context, report, p, ct) =>
        {
            RequireSite(context.Config, "Uploading a package");
            var site = SiteNightOf(context);
            var ordered = packages is { Count: > 0 } ? site.InRangeOrder(packages) : site.Pending();
            if (ordered.Count == 0)
            {
                report.Summary = $"nothing to upload: no package waits in {Path.Combine(context.WorkFolder, "outgoing")}";
                return ReportState.OK;
            }
            var newest = site.Describe(ordered[ordered.Count - 1], ct);
            await Upload(context, report, site, newest, p, ct).ConfigureAwait(false);
            var older = ordered.Take(ordered.Count - 1).Select(Path.GetFileName).ToList();
            foreach (var old in older) report.SiteLines.Add(new SiteReportLine(context.Site.Value, "Superseded", old, 0, 0, 0, null));
            if (older.Count > 0) AppendSummary(report, $"{older.Count} older package(s) not sent: {newest.PackageName} holds their changes");
            return ReportState.OK;
        });

    public static Task<SyncReport> ReceiveAsync(HzSyncConfig config, TimeSpan wait, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(config, "Receive", progress, cancellationToken, async (context, report, p, ct) =>
            await Receive(context, report, wait, p, ct).ConfigureAwait(false));

    public static Task<SyncReport> ConsolidateAsync(HzSyncConfig config, TimeSpan reception, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(config, "Consolidate", progress, cancellationToken, async (context, report, p, ct) =>
            await Consolidate(context, report, CycleId.Parse(report.CycleId), reception, p, ct).ConfigureAwait(false));

    /// <summary>Siège: publishes a full package of the master for one site (to seed a new site or recover a lost one).</summary>
    public static Task<SyncReport> PublishFullAsync(HzSyncConfig config, SiteCode site, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(config, "FullPackage", progress, cancellationToken, async (context, report, p, ct) =>
        {
            RequireSiege(config, "A full package");
            await RegisterSitesAsync(context, report, ct).ConfigureAwait(false);
            var registered = RegisteredSites(context);
            if (!registered.Any(r => r.Site == site.Value))
            {
                throw new SiteRegistrationException($"{site} is not a registered site ({DescribeRegistered(registered)}): nothing was published. A site registers when it runs init against the drop (its database may not exist yet).");
            }
            var published = await FullPackage.PublishAsync(context.Database, context.Drop, context.Key, context.WorkFolder, site, CycleId.Parse(report.CycleId), p, ct).ConfigureAwait(false);
            report.BytesSent = published.Bytes;
            report.SiteLines.Add(new SiteReportLine(site.Value, "Published", published.PackageName, 0, 0, published.Bytes, null));
            report.Summary = $"full package {published.PackageName} published for {site}; it restores with its next receive, keeping {site}'s changes the master does not hold yet";
            return ReportState.OK;
        });

    /// <summary>
    /// Siège: removes a site from the chain (operation Unregister): the Siège stops waiting and publishing for it, its
    /// registration and the packages waiting for it in down/ are removed, and its number and key range are kept as
    /// retired, never given to another site. Its folder's other files stay for the administrator.
    /// </summary>
    public static Task<SyncReport> UnregisterAsync(HzSyncConfig config, SiteCode site, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(config, "Unregister", progress, cancellationToken, async (context, report, _, ct) =>
        {
            RequireSiege(config, "Removing a site");
            await RegisterSitesAsync(context, report, ct).ConfigureAwait(false);
            Sync.RetiredSite retired;
            using (var connection = FbConnection.Open(context.Database with { Charset = "NONE" }))
            {
                retired = Sync.SiteRegistry.Retire(connection, site);
            }
            await context.Drop.DeleteAsync(DropLayout.Registration(site), ct).ConfigureAwait(false);
            foreach (var waiting in await context.Drop.ListAsync(DropLayout.Down(site), ct).ConfigureAwait(false))
            {
                await context.Drop.DeleteAsync(DropLayout.Down(site).Append(waiting.Name), ct).ConfigureAwait(false);
            }
            await SiegeNightOf(context).WriteSiegeDocumentAsync(null, ct).ConfigureAwait(false);
            report.SiteLines.Add(new SiteReportLine(site.Value, "Unregistered", null, 0, 0, 0, null));
            report.Summary = $"{site} removed: the Siège no longer waits or publishes for it; its number {retired.Number} (keys [{retired.KeyLow}, {retired.KeyHigh}]) is retired and never given again";
            return ReportState.OK;
        });

    /// <summary>The whole night for this node's role (DESIGN.md §1), stopped cleanly at the restart hour or by Stop-HzSync.</summary>
    public static Task<SyncReport> SyncAsync(HzSyncConfig config, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        SyncAsync(config, TimeSpan.FromMinutes(config.Schedule.ReceptionMinutes), TimeSpan.FromMinutes(config.Schedule.PackageWaitMinutes), progress, cancellationToken);

    /// <summary>The whole night with waits finer than the configuration's minutes (tests and tools that run several nights
    /// of several nodes in one process): <paramref name="reception"/> at the Siège, <paramref name="packageWait"/> at a site.</summary>
    public static Task<SyncReport> SyncAsync(HzSyncConfig config, TimeSpan reception, TimeSpan packageWait, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(config, "Sync", progress, cancellationToken, async (context, report, p, ct) =>
        {
            var cycle = CycleId.Parse(report.CycleId);
            await Backup(context, report, p, ct).ConfigureAwait(false);
            if (config.Role == NodeRole.Siege)
            {
                return await Consolidate(context, report, cycle, reception, p, ct).ConfigureAwait(false);
            }
            var sent = await Send(context, report, cycle, p, ct).ConfigureAwait(false);
            // A site that does not wait at all (packageWaitMinutes 0) leaves its upload to the Siège's next run as it is.
            return await Receive(context, report, packageWait, p, ct, answering: packageWait > TimeSpan.Zero ? sent : null).ConfigureAwait(false);
        });

    private delegate Task<ReportState> Step(NodeContext context, SyncReport report, IProgress<SyncProgress>? progress, CancellationToken cancellationToken);

    private static async Task<SyncReport> RunAsync(HzSyncConfig config, string operation, IProgress<SyncProgress>? progress, CancellationToken cancellationToken, Step step)
    {
        var store = NodeContext.ReportsFor(config);
        var cycle = CycleId.FromTime(DateTimeOffset.UtcNow);
        var work = config.Resolve(config.WorkFolder);
        // The lock first: a call refused because another run holds it (RunLockedException, thrown to the caller) is no
        // run and leaves no report: a Failed one would alarm a -State Failed monitor and use up reports.keep. The
        // cmdlets write it as the RunInProgress error, hzsync as one line and exit code 2.
        var acquired = TryAcquire(work, operation, out var lockFailure);
        SyncReport report;
        try
        {
            report = store.Begin(config.Site.Code, config.Role.ToString(), operation, cycle.Value);
        }
        catch (Exception ex)
        {
            acquired?.Dispose();
            if (ReportNotWrittenException.IsWriteFailure(ex)) throw new ReportNotWrittenException(store.Folder, ex, null);
            throw;
        }
        var stop = new StopRequest(work);
        var locked = false;
        using var deadline = new CancellationTokenSource(UntilDeadline(config, DateTime.Now));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        // Polls only once this run holds the lock: a run refused by the lock must neither obey nor clear the stop
        // asked of the run that holds it.
        using var stopWatcher = new Timer(_ => { if (Volatile.Read(ref locked) && stop.IsRequested) linked.Cancel(); }, null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        try
        {
            using var runLock = acquired ?? throw lockFailure!;
            stop.Clear();   // a request left from before this run never stops it
            Volatile.Write(ref locked, true);
            if (runLock.RecoveredFrom is { } previous)
            {
                report.Errors.Add(new ErrorLine(null, operation, "StaleLockRecovered", $"A previous run did not finish ({previous}); its lock was recovered."));
            }
            StaleParts.CleanNode(config, DateTime.UtcNow);
            foreach (var loose in Checks.NodePermissions.Find(config)) report.Errors.Add(new ErrorLine(null, operation, "LoosePermissions", loose.ToString()));
            using var context = NodeContext.Create(config);
            if (operation != "Init") EnsureIdentity(context);
            try
            {
                report.State = await step(context, report, progress, linked.Token).ConfigureAwait(false);
            }
            finally
            {
                // Entries of the drop left alone (links, special files, stray names): said once, never fatal.
                foreach (var refused in context.Drop.Refused) report.Errors.Add(new ErrorLine(null, "Drop", "DropEntryIgnored", refused));
            }
        }
        // A stop (signal, Ctrl+C, stop request, restart hour) may surface as another failure of the step it cut short
        // (gbak killed by the same Ctrl+C): once the run was asked to stop, it ends Stopped either way.
        catch (Exception ex) when (ex is OperationCanceledException || (linked.IsCancellationRequested && ex is not OutOfMemoryException))
        {
            report.State = ReportState.Stopped;
            var why = stop.Reason is { } reason ? $"stopped by {FrontCommands.Stop}: " + reason
                : deadline.IsCancellationRequested ? $"stopped at the restart hour {config.Schedule.RestartHour}: the site keeps working on its own data, the next run catches up"
                : ProcessStop.ReasonFor(cancellationToken) is { } signal ? $"stopped by {signal}: nothing was left half-done, the next run catches up"
                : "cancelled";
            report.Errors.Add(new ErrorLine(null, operation, "Stopped", why));
            report.Summary = why;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            report.State = ReportState.Failed;
            report.Errors.Add(new ErrorLine(null, operation, ErrorId(ex), ex.Message) { Detail = (ex as IReportedError)?.Detail });
            report.Summary = ex.Message;
        }
        finally
        {
            if (locked) stop.Clear();
            report.EndedUtc = DateTime.UtcNow;
        }
        try
        {
            store.Save(report);
        }
        catch (Exception ex) when (ReportNotWrittenException.IsWriteFailure(ex))
        {
            throw new ReportNotWrittenException(store.Folder, ex, report);
        }
        await NotifyAsync(config, report).ConfigureAwait(false);
        return report;
    }

    /// <summary>The node's run lock; refused, RunLockedException goes to the caller; any other failure (rights, disk) is
    /// returned, to fail the run's report.</summary>
    private static RunLock? TryAcquire(string work, string operation, out Exception? failure)
    {
        failure = null;
        try
        {
            // Work files hold members' data: the folder is the owner's alone from its creation (0700 on Unix).
            Secrets.UnixPermissions.CreatePrivateFolder(work);
            return RunLock.Acquire(work, operation);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            failure = ex;
            return null;
        }
    }

    /// <summary>Emails the report when the configuration asks for it; a mail that cannot be sent is noted in the report, never fatal.</summary>
    private static async Task NotifyAsync(HzSyncConfig config, SyncReport report)
    {
        if (config.Mail is not { } mail) return;
        var notifier = new Notifications.MailNotifier(mail, name => NodeContext.SecretsFor(config).Get(name));
        if (!notifier.ShouldNotify(report)) return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await notifier.SendAsync(report, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Mail.SmtpException or InvalidOperationException or IOException or OperationCanceledException)
        {
            report.Errors.Add(new ErrorLine(null, "Notify", "MailNotSent", $"The email to {string.Join(", ", mail.To)} via {mail.SmtpHost}:{mail.Port} could not be sent: {ex.Message}"));
            try
            {
                NodeContext.ReportsFor(config).Save(report);
            }
            catch (Exception saveFailure) when (ReportNotWrittenException.IsWriteFailure(saveFailure))
            {
                // The run's own report is written; only this note about the mail is lost.
            }
        }
    }

    /// <summary>Until the next restart hour, and never more than the 24 h cap.</summary>
    internal static TimeSpan UntilDeadline(HzSyncConfig config, DateTime nowLocal)
    {
        var restart = TimeSpan.Parse(config.Schedule.RestartHour, CultureInfo.InvariantCulture);
        var deadline = nowLocal.Date + restart;
        if (deadline <= nowLocal) deadline = deadline.AddDays(1);
        var until = deadline - nowLocal;
        return until > TimeSpan.FromHours(24) ? TimeSpan.FromHours(24) : until;
    }

    private static string ErrorId(Exception ex) => ex switch
    {
        IReportedError reported => reported.ErrorId,
        HzConfigException => "ConfigInvalid",
        RunLockedException => "RunInProgress",
        CaptureSetupException => "CaptureNotReady",
        Sync.SchemaMismatchException => "SchemaMismatch",
        Sync.KeyRangeOverlapException => "KeyRangeOverlap",
        IdentityMismatchException => "IdentityMismatch",
        SiteRegistrationException => "RegistrationRefused",
        Packaging.PackageRejectedException => "PackageRejected",
        GroupKeyMismatchException => "KeyMismatch",
        Transport.DropTransportException drop => drop.Kind switch
        {
            Transport.DropTransportErrorKind.NoSpace => "DiskFull",
            Transport.DropTransportErrorKind.PermissionDenied => "DropNoRight",
            Transport.DropTransportErrorKind.NotFound => "DropNotFound",
            Transport.DropTransportErrorKind.Refused => "DropEntryRefused",
            Transport.DropTransportErrorKind.IntegrityMismatch => "TransferDamaged",
            _ => "DropUnreachable",
        },
        FbException => "DatabaseError",
        _ => ex.GetType().Name.Replace("Exception", ""),
    };

    private static async Task<BackupArtefact> Backup(NodeContext context, SyncReport report, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var result = await new SafetyBackup().RunAsync(context.Database, config.Resolve(config.Backup.Folder), config.Backup.Keep,
            progress is null ? null : new InlineProgress<BackupProgress>(b => progress.Report(new SyncProgress("Backup", b.Line, 0))), cancellationToken).ConfigureAwait(false);
        report.Summary = $"backup {Path.GetFileName(result.Path)} ({result.SizeBytes / 1024} KB, verified, {result.Deleted.Count} old removed)";
        return new BackupArtefact(BackupKind.Safety, result.Path, result.SizeBytes, 0, File.GetLastWriteTimeUtc(result.Path));
    }

    private static void RequireSite(HzSyncConfig config, string what)
    {
        if (config.Role != NodeRole.Site)
        {
            throw new InvalidOperationException($"{what} is made and sent by a site; {config.Site.Code} is the Siège, which publishes its packages when it consolidates.");
        }
    }

    private static void RequireSiege(HzSyncConfig config, string what)
    {
        if (config.Role != NodeRole.Siege)
        {
            throw new IdentityMismatchException($"{what} runs at the Siège, on the master; this is {config.Site.Code}'s configuration (role Site). Nothing was done: run it with the Siège's configuration (role Siege).");
        }
    }

    /// <summary>
    /// Refuses up front a run whose configuration does not describe the database it opens (another site's code or
    /// number, or the other role), before anything is read from the drop or changed: it would act as the database's
    /// identity and file the report under the configuration's. A database not initialised yet is left to the step.
    /// </summary>
    private static void EnsureIdentity(NodeContext context)
    {
        var database = context.Database with { Charset = "NONE" };
        if (database.IsEmbedded && !File.Exists(database.Database)) return;
        NodeIdentity identity;
        using (var connection = FbConnection.Open(database))
        using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            if (!CaptureInstaller.IsInstalled(connection, tx)) return;
            identity = NodeIdentity.Read(connection, tx);
        }
        var config = context.Config;
        var isSiege = config.Role == NodeRole.Siege;
        if (identity.Site.Value == config.Site.Code && identity.SiteNumber == config.Site.Number && identity.IsSiege == isSiege) return;
        string Role(bool siege) => siege ? "the Siège" : "a site";
        throw new IdentityMismatchException(
            $"The configuration says {config.Site.Code} (number {config.Site.Number}, {Role(isSiege)}), but its database {context.Database.Database} is {identity.Site} (number {identity.SiteNumber}, {Role(identity.IsSiege)}). " +
            $"Nothing was done: run this with {identity.Site}'s own configuration, or fix site.code/site.number/role (init sets a database's identity, and refuses a registered site's renumbering).");
    }

    private static void AppendSummary(SyncReport report, string text) => report.Summary += (report.Summary.Length > 0 ? "; " : "") + text;

    private static SiteNight SiteNightOf(NodeContext context) =>
        new(context.Database, context.Drop, context.Key, context.WorkFolder, context.Config.Tables.TriggersOffDuringApply, Identity(context.Config));

    /// <summary>
    /// Extracts and uploads (the site's registration first, when the drop lacks it). A package extracted and not sent by
    /// an earlier run (its upload cut) is resumed instead when nothing changed since it was extracted; otherwise the new
    /// package supersedes it and the fragment it left in up/ is removed.
    /// </summary>
    private static async Task<SendResult> Send(NodeContext context, SyncReport report, CycleId cycle, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        RequireSite(context.Config, "A delta package");
        var site = SiteNightOf(context);
        // The group key first: a node holding another key is found before anything travels (siege.json is signed).
        await site.CheckGroupKeyAsync(cancellationToken).ConfigureAwait(false);
        if (!await SiteRegistrations.ExistsAsync(context.Drop, context.Site, cancellationToken).ConfigureAwait(false))
        {
            await SiteRegistrations.WriteAsync(context.Drop, context.Config, cancellationToken).ConfigureAwait(false);
        }
        var pending = site.Pending();
        SendResult? package = null;
        if (pending.Count > 0)
        {
            try
            {
                var cut = site.Describe(pending[pending.Count - 1], cancellationToken);
                if (!site.HasChangesSince(cut.Covered)) package = cut;
            }
            catch (Exception ex) when (ex is InvalidDataException or PackageRejectedException or IOException)
            {
                // Not usable as it is: a new extract supersedes it.
            }
        }
        var resumed = package is not null;
        package ??= await site.ExtractAsync(cycle, progress, cancellationToken).ConfigureAwait(false);
        foreach (var note in package.Notes) report.Errors.Add(new ErrorLine(context.Site.Value, "Extract", "AckIgnored", note));
        await Upload(context, report, site, package, progress, cancellationToken).ConfigureAwait(false);
        var superseded = pending.Select(Path.GetFileName).Where(name => name != package.PackageName).ToList();
        foreach (var name in superseded) await site.ForgetFragmentAsync(name!, cancellationToken).ConfigureAwait(false);
        if (resumed) AppendSummary(report, "an earlier run's upload of it was cut and nothing changed since: resumed it");
        if (superseded.Count > 0) AppendSummary(report, $"{superseded.Count} earlier package(s) not sent superseded (they hold less), their fragments removed from up/");
        return package;
    }

    /// <summary>Uploads one extracted package and records it as sent (the lines and summary of Send and Upload).</summary>
    private static async Task Upload(NodeContext context, SyncReport report, SiteNight site, SendResult package, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        await site.UploadAsync(package, progress is null ? null : new InlineProgress<Transport.TransferProgress>(t =>
            progress.Report(new SyncProgress("Send", $"{t.Name}: {t.BytesDone / 1024} of {t.TotalBytes / 1024} KB", t.TotalBytes == 0 ? 100 : (int)(100 * t.BytesDone / t.TotalBytes)))), cancellationToken).ConfigureAwait(false);
        report.RowsSent += package.Rows;
        report.BytesSent += package.Bytes;
        report.SiteLines.Add(new SiteReportLine(context.Site.Value, "Sent", package.PackageName, package.Rows, 0, package.Bytes, null));
        foreach (var table in package.TableCounts) report.TableLines.Add(new TableReportLine(context.Site.Value, table.Key, "Sent", table.Value, 0, 0));
        report.Summary = $"sent {package.Rows} change(s) in {package.PackageName}";
    }

    private static async Task<ReportState> Receive(NodeContext context, SyncReport report, TimeSpan wait, IProgress<SyncProgress>? progress, CancellationToken cancellationToken,
        SendResult? answering = null)
    {
        var site = SiteNightOf(context);
        await site.CheckGroupKeyAsync(cancellationToken).ConfigureAwait(false);
        var received = await site.ReceiveAsync(DateTimeOffset.UtcNow + wait, TimeSpan.FromSeconds(context.Config.Schedule.PollSeconds), progress, cancellationToken, answering).ConfigureAwait(false);
        foreach (var refused in received.Refused) report.Errors.Add(new ErrorLine(context.Site.Value, "Receive", "PackageSetAside", refused));
        if (received.OutageNote is { } outage) AppendSummary(report, outage);
        if (!received.Found)
        {
            AppendSummary(report, $"no package from the Siège within {wait.TotalMinutes:0.#} min: it will be applied next run");
            return ReportState.Partial;
        }
        report.BytesReceived += received.Bytes;
        if (received.FullRestoreNote is { } restore)
        {
            AppendSummary(report, $"restored the Siège's full package {received.RestoredPackage} ({restore})" +
                (received.RowsRequeued > 0 ? $", keeping {received.RowsRequeued} change(s) of this site that the package did not hold: they go with the next send" : ""));
        }
        report.RowsReceived += received.RowsApplied + received.RowsSkipped;
        report.RowsApplied += received.RowsApplied;
        report.RowsSkipped += received.RowsSkipped;
        foreach (var table in received.Tables)
        {
            report.TableLines.Add(new TableReportLine(context.Site.Value, table.Key, "Applied", table.Value.Upserts, table.Value.Deletes, table.Value.Skipped));
        }
        foreach (var problem in received.Unapplied) report.Errors.Add(new ErrorLine(context.Site.Value, "Apply", "RowNotApplied", problem));
        if (received.FullRestoreNote is null || received.RowsApplied + received.RowsSkipped > 0)
        {
            AppendSummary(report, $"applied {received.RowsApplied} row(s) from {received.PackageName}, {received.RowsSkipped} kept for the next night");
        }
        if (!received.Answered)
        {
            AppendSummary(report, $"the Siège did not answer {answering!.PackageName} within {wait.TotalMinutes:0.#} min: it takes it at its next night, and this site gets the answer then");
            return ReportState.Partial;
        }
        return received.Unapplied.Count > 0 || received.Refused.Count > 0 ? ReportState.Partial : ReportState.OK;
    }

    private static async Task<ReportState> Consolidate(NodeContext context, SyncReport report, CycleId cycle, TimeSpan reception, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var config = context.Config;
        RequireSiege(config, "Consolidation");
        var siege = SiegeNightOf(context);
        var refusedRegistrations = await RegisterSitesAsync(context, report, cancellationToken).ConfigureAwait(false);
        var known = KnownSites(context);
        NoteLinkedSiteFolders(context, report);
        var expected = config.Schedule.ExpectedSites ?? known.Count;
        report.SitesExpected = expected;
        ConsolidationRun run;
        try
        {
            run = await siege.ConsolidateAsync(known, expected, DateTimeOffset.UtcNow + reception, TimeSpan.FromSeconds(config.Schedule.PollSeconds), progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var ignored in siege.Ignored) report.Errors.Add(new ErrorLine(null, "Consolidate", "DropEntryIgnored", ignored));
        }
        report.SitesDelivered = run.SitesDelivered.Count;
        foreach (var delivery in run.Deliveries)
        {
            report.SiteLines.Add(new SiteReportLine(delivery.Site, delivery.State, delivery.PackageName, delivery.RowsApplied, delivery.Conflicts.Count, delivery.Bytes, delivery.Error));
            report.RowsReceived += delivery.RowsApplied + delivery.RowsSkipped;
            report.RowsApplied += delivery.RowsApplied;
            report.RowsSkipped += delivery.RowsSkipped;
            report.BytesReceived += delivery.Bytes;
            report.Conflicts += delivery.Conflicts.Count;
            foreach (var table in delivery.Tables)
                report.TableLines.Add(new TableReportLine(delivery.Site, table.Key, "Consolidated", table.Value.Upserts, table.Value.Deletes, table.Value.Skipped));
            foreach (var c in delivery.Conflicts)
                report.ConflictLines.Add(new ConflictLine(c.Table, c.Key, c.WinnerSite, c.WinnerTimeUtc, c.LoserSite, c.LoserTimeUtc, c.Resolution.ToString()));
            if (delivery.Error is not null) report.Errors.Add(new ErrorLine(delivery.Site, "Consolidate", "PackageRefused", delivery.Error));
        }
        // On record before publishing: the consolidation is committed, and a run that dies now must not take its
        // conflicts with it (the rerun publishes what it consolidated, but has no conflicts of its own to report).
        NodeContext.ReportsFor(config).Save(report);
        // Always published, deliveries or not: the master may hold what a crashed run consolidated and did not publish,
        // or what the Siège itself changed, and each new package holds everything the older ones did.
        var before = siege.Ignored.Count;
        var publications = await siege.PublishAsync(cycle, progress, cancellationToken).ConfigureAwait(false);
        var unpublished = siege.Ignored.Skip(before).ToList();
        foreach (var ignored in unpublished) report.Errors.Add(new ErrorLine(null, "Publish", "DropEntryIgnored", ignored));
        report.RowsSent = publications.Sum(p => p.Rows);
        report.BytesSent = publications.Sum(p => p.Bytes);
        foreach (var kept in publications.Where(p => p.FullWaiting is not null))
        {
            report.SiteLines.Add(new SiteReportLine(kept.Site, "FullWaiting", kept.FullWaiting, 0, 0, 0, null));
        }
        var late = run.LatePackages > 0 ? $" ({run.LatePackages} package(s) left from a night the Siège missed consolidated too, not counted as tonight's)" : "";
        var published = $"{publications.Count} package(s) published ({report.RowsSent} row(s))";
        var fullWaiting = publications.Where(p => p.FullWaiting is not null).Select(p => $"{p.Site}'s full package {p.FullWaiting} still waits in its down/ folder, kept beside tonight's").ToList();
        report.Summary = run.SitesDelivered.Count == 0
            ? $"no site delivered tonight within the reception time ({reception.TotalMinutes:0.#} min){late}; {run.RowsApplied} row(s) consolidated; {published}: what the master holds that the sites have not received"
            : $"{run.SitesDelivered.Count} of {expected} site(s) delivered{late}, {run.RowsApplied} row(s) consolidated, {run.Conflicts} conflict(s), {published}";
        foreach (var note in fullWaiting) AppendSummary(report, note);
        if (unpublished.Count > 0) AppendSummary(report, $"{unpublished.Count} site(s) got no package: their down/ folder cannot be used (see the report)");
        return run.Errors > 0 || refusedRegistrations > 0 || run.SitesDelivered.Count < expected || unpublished.Count > 0 ? ReportState.Partial : ReportState.OK;
    }

    /// <summary>A folder of the drop named like a site that is a link (not a site's folder: it is never followed) is said once.</summary>
    private static void NoteLinkedSiteFolders(NodeContext context, SyncReport report)
    {
        var drop = context.Config.Resolve(context.Config.Drop.Path);
        if (context.Config.Drop.Kind != DropKind.Folder || !Directory.Exists(drop)) return;
        foreach (var entry in new DirectoryInfo(drop).EnumerateFileSystemInfos())
        {
            if (SiteCode.TryParse(entry.Name, out _) && Transport.LocalEntry.KindOf(entry.FullName) is Transport.EntryKind.Link or Transport.EntryKind.Special)
                report.Errors.Add(new ErrorLine(null, "Consolidate", "DropEntryIgnored", $"{entry.Name} in the drop {drop} is a link, not a site's folder: it was not followed; remove it (only the Siège makes the sites' folders)."));
        }
    }

    private static SiegeNight SiegeNightOf(NodeContext context) =>
        new(context.Database, context.Drop, context.Key, context.WorkFolder, context.Config.Tables.SiegeWins, context.Config.Tables.TriggersOffDuringApply)
        {
            SiteFolders = SiteFoldersInDrop(context),
        };

    /// <summary>Registers the sites whose registration waits in the drop; each refused one is an error line. Returns how many were refused.</summary>
    private static async Task<int> RegisterSitesAsync(NodeContext context, SyncReport report, CancellationToken cancellationToken)
    {
        var refused = await SiegeNightOf(context).RegisterSitesAsync(context.Config.Resolve(context.Config.Drop.Path), cancellationToken).ConfigureAwait(false);
        foreach (var r in refused) report.Errors.Add(new ErrorLine(r.Site, "Register", "RegistrationRefused", r.Reason));
        return refused.Count;
    }

    private static IReadOnlyList<Sync.RegisteredSite> RegisteredSites(NodeContext context)
    {
        using var connection = FbConnection.Open(context.Database with { Charset = "NONE" });
        return new Sync.SitePublisher(connection).RegisteredSites();
    }

    private static string DescribeRegistered(IReadOnlyList<Sync.RegisteredSite> sites) => sites.Count == 0
        ? "no site is registered yet"
        : "registered: " + string.Join(", ", sites.Select(s => $"{s.Site} ({s.Number})"));

    /// <summary>The sites the Siège waits for: the registered ones (DESIGN.md §6), and any listed in schedule.sites that
    /// has not registered yet.</summary>
    private static IReadOnlyCollection<SiteCode> KnownSites(NodeContext context)
    {
        var codes = new SortedSet<string>(RegisteredSites(context).Select(s => s.Site), StringComparer.Ordinal);
        foreach (var listed in context.Config.Schedule.Sites) codes.Add(listed);
        codes.Remove(context.Site.Value);
        return codes.Where(c => SiteCode.TryParse(c, out _)).Select(SiteCode.Parse).ToList();
    }

    /// <summary>The folders of the Siège's drop (a local folder: validated) named like a site, the Siège's own excepted.</summary>
    private static IReadOnlyCollection<SiteCode> SiteFoldersInDrop(NodeContext context)
    {
        var drop = context.Config.Resolve(context.Config.Drop.Path);
        if (!Directory.Exists(drop)) return Array.Empty<SiteCode>();
        // Plain folders only: a link named like a site is no site's folder (NoteLinkedSiteFolders says so once).
        return Directory.GetDirectories(drop).Where(f => Transport.LocalEntry.KindOf(f) == Transport.EntryKind.Folder)
            .Select(Path.GetFileName).Where(c => SiteCode.TryParse(c, out _)).Select(c => SiteCode.Parse(c!))
            .Where(s => s != context.Site).ToList();
    }

    /// <summary>
    /// The sites a Siège's configuration can name without opening its database (what Invoke-HzConsolidation
    /// -FullPackageFor and Unregister-HzSite complete): the sites registered in its drop (a site.json in their up/ folder,
    /// written by their init) and in siege.json, and schedule.sites.
    /// </summary>
    public static IReadOnlyCollection<SiteCode> KnownSites(HzSyncConfig config)
    {
        if (config is null) throw new ArgumentNullException(nameof(config));
        var codes = new SortedSet<string>(config.Schedule.Sites, StringComparer.Ordinal);
        var drop = config.Resolve(config.Drop.Path);
        if (Directory.Exists(drop))
        {
            foreach (var folder in Directory.GetDirectories(drop))
            {
                if (SiteCode.TryParse(Path.GetFileName(folder), out var site) && File.Exists(DropLayout.Registration(site).ToLocalPath(drop))) codes.Add(site.Value);
            }
            try
            {
                var siege = DropJson.Deserialize<SiegeDocument>(File.Exists(Path.Combine(drop, "siege.json")) ? File.ReadAllBytes(Path.Combine(drop, "siege.json")) : null, "siege.json");
                foreach (var site in siege?.Sites ?? Array.Empty<SiegeDocumentSite>()) codes.Add(site.Code);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // Only a completion list: the registered folders above still count.
            }
        }
        codes.Remove(config.Site.Code);
        return codes.Where(c => SiteCode.TryParse(c, out _)).Select(SiteCode.Parse).ToList();
    }
}
