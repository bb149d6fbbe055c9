using System.Globalization;
using HeitzSync.Core.Backup;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Model;
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
    };

    public static Task<SyncReport> InitializeAsync(HzSyncConfig config, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(config, "Init", progress, cancellationToken, (context, report, _, _) =>
        {
            using var connection = FbConnection.Open(context.Database with { Charset = "NONE" });
            var range = config.KeyRange;
            var result = new CaptureInstaller(connection).Install(Identity(config));
            report.Summary = $"capture installed: {result.TablesAdded.Count} table(s) added, {result.TablesKept.Count} kept, {result.TablesRemoved.Count} removed, {result.RowsQueued} existing row(s) queued, {result.GeneratorsMoved.Count} generator(s) moved into {range}";
            if (config.Role == NodeRole.Siege && config.Drop.Kind == DropKind.Folder)
            {
                // The Siège makes its drop's root (sites never do: theirs must be there, or it is a typo or an unmounted share).
                context.Drop.CreateFolderAsync(Transport.DropPath.Root, CancellationToken.None).GetAwaiter().GetResult();
            }
            report.RowsSent = result.RowsQueued;
            return Task.FromResult(ReportState.OK);
        });

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
            if (config.Role != NodeRole.Siege) throw new InvalidOperationException("Full packages are made at the Siège, from the master.");
            var published = await FullPackage.PublishAsync(context.Database, context.Drop, context.Key, context.WorkFolder, site, CycleId.Parse(report.CycleId), p, ct).ConfigureAwait(false);
            report.BytesSent = published.Bytes;
            report.SiteLines.Add(new SiteReportLine(site.Value, "Published", published.PackageName, 0, 0, published.Bytes, null));
            report.Summary = $"full package {published.PackageName} published for {site}; it restores with its next receive";
            return ReportState.OK;
        });

    /// <summary>The whole night for this node's role (DESIGN.md §1), stopped cleanly at the restart hour or by Stop-HzSync.</summary>
    public static Task<SyncReport> SyncAsync(HzSyncConfig config, IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(config, "Sync", progress, cancellationToken, async (context, report, p, ct) =>
        {
            var cycle = CycleId.Parse(report.CycleId);
            await Backup(context, report, p, ct).ConfigureAwait(false);
            if (config.Role == NodeRole.Siege)
            {
                return await Consolidate(context, report, cycle, TimeSpan.FromMinutes(config.Schedule.ReceptionMinutes), p, ct).ConfigureAwait(false);
            }
            await Send(context, report, cycle, p, ct).ConfigureAwait(false);
            return await Receive(context, report, TimeSpan.FromMinutes(config.Schedule.PackageWaitMinutes), p, ct).ConfigureAwait(false);
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

    private static void AppendSummary(SyncReport report, string text) => report.Summary += (report.Summary.Length > 0 ? "; " : "") + text;

    private static SiteNight SiteNightOf(NodeContext context) =>
        new(context.Database, context.Drop, context.Key, context.WorkFolder, context.Config.Tables.TriggersOffDuringApply, Identity(context.Config));

    private static async Task Send(NodeContext context, SyncReport report, CycleId cycle, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        RequireSite(context.Config, "A delta package");
        var site = SiteNightOf(context);
        await site.CheckGroupKeyAsync(cancellationToken).ConfigureAwait(false);
        var package = await site.ExtractAsync(cycle, progress, cancellationToken).ConfigureAwait(false);
        foreach (var note in package.Notes) report.Errors.Add(new ErrorLine(context.Site.Value, "Extract", "AckIgnored", note));
        await Upload(context, report, site, package, progress, cancellationToken).ConfigureAwait(false);
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

    private static async Task<ReportState> Receive(NodeContext context, SyncReport report, TimeSpan wait, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var site = SiteNightOf(context);
        await site.CheckGroupKeyAsync(cancellationToken).ConfigureAwait(false);
        var received = await site.ReceiveAsync(DateTimeOffset.UtcNow + wait, TimeSpan.FromSeconds(context.Config.Schedule.PollSeconds), progress, cancellationToken).ConfigureAwait(false);
        if (!received.Found)
        {
            AppendSummary(report, $"no package from the Siège within {wait.TotalMinutes:0} min: it will be applied next run");
            return ReportState.Partial;
        }
        if (received.FullRestoreNote is { } restore)
        {
            report.BytesReceived += received.Bytes;
            AppendSummary(report, $"restored the Siège's full package {received.PackageName} ({restore})");
            return ReportState.OK;
        }
        report.RowsReceived += received.RowsApplied + received.RowsSkipped;
        report.RowsApplied += received.RowsApplied;
        report.RowsSkipped += received.RowsSkipped;
        report.BytesReceived += received.Bytes;
        foreach (var table in received.Tables)
        {
            report.TableLines.Add(new TableReportLine(context.Site.Value, table.Key, "Applied", table.Value.Upserts, table.Value.Deletes, table.Value.Skipped));
        }
        foreach (var problem in received.Unapplied) report.Errors.Add(new ErrorLine(context.Site.Value, "Apply", "RowNotApplied", problem));
        AppendSummary(report, $"applied {received.RowsApplied} row(s) from {received.PackageName}, {received.RowsSkipped} kept for the next night");
        return received.Unapplied.Count > 0 ? ReportState.Partial : ReportState.OK;
    }

    private static async Task<ReportState> Consolidate(NodeContext context, SyncReport report, CycleId cycle, TimeSpan reception, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var siege = new SiegeNight(context.Database, context.Drop, context.Key, context.WorkFolder, config.Tables.SiegeWins, config.Tables.TriggersOffDuringApply);
        var known = KnownSites(context.Config, ignored => report.Errors.Add(new ErrorLine(null, "Consolidate", "DropEntryIgnored", ignored)));
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
        if (run.SitesDelivered.Count == 0)
        {
            var refused = run.Deliveries.Count(d => d.Error is not null);
            report.Summary = refused > 0
                ? $"no site delivered a package that could be taken ({refused} refused, listed in the report): nothing consolidated, waiting for the next night"
                : $"no site delivered within the reception time ({reception.TotalMinutes:0} min): nothing consolidated, waiting for the next night";
            return ReportState.Partial;
        }
        var before = siege.Ignored.Count;
        var publications = await siege.PublishAsync(cycle, progress, cancellationToken).ConfigureAwait(false);
        var unpublished = siege.Ignored.Skip(before).ToList();
        foreach (var ignored in unpublished) report.Errors.Add(new ErrorLine(null, "Publish", "DropEntryIgnored", ignored));
        report.RowsSent = publications.Sum(p => p.Rows);
        report.BytesSent = publications.Sum(p => p.Bytes);
        report.Summary = $"{run.SitesDelivered.Count} of {expected} site(s) delivered, {run.RowsApplied} row(s) consolidated, {run.Conflicts} conflict(s), {publications.Count} package(s) published";
        if (unpublished.Count > 0) AppendSummary(report, $"{unpublished.Count} site(s) got no package: their down/ folder cannot be used (see the report)");
        return run.Errors > 0 || run.SitesDelivered.Count < expected || unpublished.Count > 0 ? ReportState.Partial : ReportState.OK;
    }

    /// <summary>The sites the Siège looks for: configured ones, registered ones, and any site folder in its drop (also
    /// what Invoke-HzConsolidation -FullPackageFor completes). A site folder must be a plain folder: one that is a link is
    /// no site's, and is told to <paramref name="ignored"/>.</summary>
    public static IReadOnlyCollection<SiteCode> KnownSites(HzSyncConfig config, Action<string>? ignored = null)
    {
        var codes = new SortedSet<string>(config.Schedule.Sites, StringComparer.Ordinal);
        var drop = config.Resolve(config.Drop.Path);
        if (Directory.Exists(drop))
        {
            foreach (var folder in Directory.GetDirectories(drop))
            {
                var name = Path.GetFileName(folder);
                if (Transport.LocalEntry.KindOf(folder) == Transport.EntryKind.Folder) codes.Add(name);
                else if (SiteCode.TryParse(name, out _))
                    ignored?.Invoke($"{name} in the drop {drop} is a link, not a site's folder: it was not followed; remove it (only the Siège makes the sites' folders).");
            }
        }
        codes.Remove(config.Site.Code);
        return codes.Where(c => SiteCode.TryParse(c, out _)).Select(SiteCode.Parse).ToList();
    }

}
