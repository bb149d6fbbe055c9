using System.CommandLine;
using System.Globalization;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Core.Runs;
using HeitzSync.Core.Scheduling;

namespace HeitzSync.Cli;

/// <summary>The node's operations, with the same names as the cmdlets (DESIGN.md §9). Each prints a one-line summary
/// last (or one JSON object with --json) and exits 0 OK, 1 partial, 2 failed.</summary>
internal static class NodeCommands
{
    private static readonly Option<string> ConfigOption = new("--config", "-c")
    {
        Description = "The node's configuration file (default: HEITZSYNC_CONFIG, else /etc/heitzsync/heitzsync.json).",
        DefaultValueFactory = _ => HzSyncConfigStore.DefaultPath,
    };

    private static readonly Option<bool> JsonOption = new("--json") { Description = "Write the result as one JSON object." };

    private static readonly Option<bool> VerboseOption = new("--verbose", "-v")
    {
        Description = "Every progress line (gbak's own lines...) on stderr. Without it, progress is one line rewritten in place when stderr is a terminal, and nothing when it is redirected; the detail is in the report.",
    };

    public static IEnumerable<Command> Create()
    {
        yield return Operation("init", "Installs change capture in this node's database (idempotent): triggers, version tables, identity, key range; lists each business trigger and what it does during an apply.",
            async (config, ct, parse) =>
            {
                var report = await NodeRunner.InitializeAsync(config, ConsoleOutput.Progress(quiet: false), ct).ConfigureAwait(false);
                ConsoleOutput.EndProgress();
                if (!parse.GetValue(JsonOption))
                {
                    foreach (var trigger in report.TriggerLines)
                        Console.WriteLine($"Trigger {trigger.Trigger} on {trigger.Table} ({trigger.Event}{(trigger.IsActive ? "" : ", inactive")}): {trigger.DuringApply}: {trigger.Detail}");
                }
                return report;
            });
        // backup = Start-HzBackup (-Kind), send = Start-HzBackup -Kind Delta | Send-HzBackup in one run,
        // send --pending = Send-HzBackup with no input (README, "hzsync and the cmdlets").
        var kind = new Option<string?>("--kind") { Description = "safety (verified full backup), delta (package of changes, sites only, not sent) or both (default: both on a site, safety at the Siège)." };
        kind.AcceptOnlyFromAmong("safety", "delta", "both");
        yield return Operation("backup", "Makes the verified full safety backup (keeping the last N) and/or, on a site, the delta package in the outgoing folder (not sent).",
            async (config, ct, parse) =>
            {
                var wanted = parse.GetValue(kind) is { } text ? (BackupKind)Enum.Parse(typeof(BackupKind), text, ignoreCase: true) : NodeRunner.DefaultBackupKind(config);
                var run = await NodeRunner.StartBackupAsync(config, wanted, ConsoleOutput.Progress(quiet: false), ct).ConfigureAwait(false);
                ConsoleOutput.EndProgress();
                if (!parse.GetValue(JsonOption))
                {
                    foreach (var made in run.Artefacts)
                        Console.WriteLine($"{made.Kind,-6} {made.Path} ({made.SizeBytes / 1024} KB{(made.Kind == BackupKind.Delta ? $", {made.Rows} change(s)" : "")})");
                }
                return run.Report;
            }, kind);
        var pending = new Option<bool>("--pending") { Description = "Upload only the packages extracted and not sent yet (by backup --kind delta, or left by a failed send): no new extract." };
        yield return Operation("send", "Site: extracts every change the Siège has not acknowledged and uploads it (--pending: uploads what was extracted already).",
            (config, ct, parse) => parse.GetValue(pending)
                ? NodeRunner.UploadAsync(config, null, ConsoleOutput.Progress(quiet: false), ct)
                : NodeRunner.SendAsync(config, ConsoleOutput.Progress(quiet: false), ct), pending);

        var wait = new Option<int?>("--wait-minutes") { Description = "How long to wait for the Siège's package (default: schedule.packageWaitMinutes)." };
        yield return Operation("receive", "Site: downloads the Siège's package for this site and applies it.",
            (config, ct, parse) => NodeRunner.ReceiveAsync(config, TimeSpan.FromMinutes(parse.GetValue(wait) is >= 0 and var w ? w : config.Schedule.PackageWaitMinutes), ConsoleOutput.Progress(quiet: false), ct), wait);

        var reception = new Option<int?>("--reception-minutes") { Description = "How long to wait for the sites (default: schedule.receptionMinutes)." };
        yield return Operation("consolidate", "Siège: waits for the sites' packages, consolidates them into the master and publishes one package per site.",
            (config, ct, parse) => NodeRunner.ConsolidateAsync(config, TimeSpan.FromMinutes(parse.GetValue(reception) is >= 0 and var r ? r : config.Schedule.ReceptionMinutes), ConsoleOutput.Progress(quiet: false), ct), reception);

        var target = new Option<string>("--site") { Description = "The site the full package is for (a registered site).", Required = true };
        target.Validators.Add(MustBeSiteCode);
        yield return Operation("full", "Siège: publishes a full package of the master for one site (seed a new site, recover a lost one).",
            (config, ct, parse) => NodeRunner.PublishFullAsync(config, Core.Model.SiteCode.Parse(parse.GetValue(target)), ConsoleOutput.Progress(quiet: false), ct), target);

        var removed = new Option<string>("--site") { Description = "The site to remove (its code).", Required = true };
        removed.Validators.Add(MustBeSiteCode);
        yield return Operation("unregister", "Siège: removes a site from the chain: the Siège stops waiting and publishing for it; its number is retired for good.",
            (config, ct, parse) => NodeRunner.UnregisterAsync(config, Core.Model.SiteCode.Parse(parse.GetValue(removed)!), ConsoleOutput.Progress(quiet: false), ct), removed);

        yield return Operation("sync", "The whole night for this node's role (what the scheduled task runs).",
            (config, ct) => NodeRunner.SyncAsync(config, ConsoleOutput.Progress(quiet: false), ct));

        yield return TestCommand();
        yield return CompareCommand();
        yield return Report();
        yield return Stop();
        yield return Key();
        yield return Register();
    }

    private static void MustBeSiteCode(System.CommandLine.Parsing.OptionResult result)
    {
        var code = result.GetValueOrDefault<string>();
        if (code is not null && !Core.Model.SiteCode.TryParse(code, out _))
        {
            result.AddError($"'{code}' is not a site code (a capital letter then 1 to 15 capital letters, digits or '_', e.g. LYON01).");
        }
    }

    private static Command Operation(string name, string description, Func<HzSyncConfig, CancellationToken, Task<SyncReport>> run) =>
        Operation(name, description, (config, ct, _) => run(config, ct));

    private static Command Operation(string name, string description, Func<HzSyncConfig, CancellationToken, ParseResult, Task<SyncReport>> run, params Option[] extra)
    {
        var command = new Command(name, description) { ConfigOption, JsonOption, VerboseOption };
        foreach (var option in extra) command.Options.Add(option);
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            if (LoadConfig(parse) is not { } config) return ExitCodes.Failed;
            ConsoleOutput.Verbose = parse.GetValue(VerboseOption);
            SyncReport report;
            try
            {
                report = await run(config, cancellationToken, parse).ConfigureAwait(false);
            }
            catch (RunLockedException refused)
            {
                // Another run holds the node's lock: nothing ran and no report was written, one line says which run.
                ConsoleOutput.Error(refused.Message);
                return ExitCodes.Failed;
            }
            catch (ReportNotWrittenException ex)
            {
                ConsoleOutput.Error(ex.Message);
                return ExitCodes.Failed;
            }
            ConsoleOutput.EndProgress();
            if (parse.GetValue(JsonOption)) ConsoleOutput.WriteJson(report);
            else
            {
                // Each error once, on stderr; the summary line on stdout, without the error it would repeat.
                foreach (var error in report.Errors) ConsoleOutput.Error($"{error.Step} [{error.ErrorId}] {error.Message}");
                var repeats = report.Errors.Any(e => e.Message == report.Summary);
                Console.WriteLine(repeats ? $"{report.State}: {report.Node} {report.Operation} (report {report.Id})" : $"{report.State}: {report.Node} {report.Operation} {report.Summary}");
            }
            return NodeRunner.ExitCode(report.State);
        });
        return command;
    }

    /// <summary>
    /// The node's configuration, or null after printing why it cannot be used (missing, unreadable, invalid): every
    /// command then exits 2 with one 'hzsync: ...' line instead of an unhandled exception.
    /// </summary>
    private static HzSyncConfig? LoadConfig(ParseResult parse)
    {
        var path = parse.GetValue(ConfigOption)!;
        try
        {
            return HzSyncConfigStore.Load(path);
        }
        catch (Exception ex) when (ex is HzConfigException or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            ConsoleOutput.Error(ex is HzConfigException ? ex.Message : $"the configuration {path} cannot be read: {ex.Message}");
            return null;
        }
    }

    private static Command Report()
    {
        var last = new Option<int>("--last") { Description = "How many runs (newest first).", DefaultValueFactory = _ => 10 };
        var id = new Option<string?>("--id") { Description = "One run: the whole report as JSON, or its detail lines with --detail." };
        var detail = new Option<bool>("--detail") { Description = "The per-site, per-table, conflict and error lines of the run(s), one line each (the lines of Get-HzSyncReport -Detail)." };
        var command = new Command("report", "Lists the last runs of this node, or one run in detail.") { ConfigOption, JsonOption, last, id, detail };
        command.SetAction((ParseResult parse) =>
        {
            if (LoadConfig(parse) is not { } config) return ExitCodes.Failed;
            var store = new ReportStore(config.Resolve(config.Reports.Folder), config.Reports.Keep);
            IReadOnlyList<SyncReport> reports;
            if (parse.GetValue(id) is { } wanted)
            {
                var report = store.Get(wanted);
                if (report is null)
                {
                    ConsoleOutput.Error($"no report {wanted} in {config.Resolve(config.Reports.Folder)}");
                    return ExitCodes.Failed;
                }
                if (!parse.GetValue(detail))
                {
                    ConsoleOutput.WriteJson(report);
                    return ExitCodes.Ok;
                }
                reports = new[] { report };
            }
            else
            {
                reports = store.List(parse.GetValue(last));
            }
            if (parse.GetValue(detail))
            {
                var lines = reports.SelectMany(SyncReportLine.From).ToList();
                if (parse.GetValue(JsonOption)) ConsoleOutput.WriteJson(lines);
                else WriteDetail(lines);
                return ExitCodes.Ok;
            }
            if (parse.GetValue(JsonOption))
            {
                ConsoleOutput.WriteJson(reports);
                return ExitCodes.Ok;
            }
            Console.WriteLine($"{"Id",-40} {"State",-8} {"Started (UTC)",-19} {"Duration",9} {"Sent",8} {"Applied",8} {"Conflicts",9}  Summary");
            foreach (var r in reports)
            {
                Console.WriteLine($"{r.Id,-40} {r.State,-8} {r.StartedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),-19} {r.Duration.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s",9} {r.RowsSent,8} {r.RowsApplied,8} {r.Conflicts,9}  {r.Summary}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteDetail(IReadOnlyList<SyncReportLine> lines)
    {
        Console.WriteLine($"{"Kind",-8} {"Site",-10} {"Table",-24} {"State",-12} {"Rows",8} {"Upserts",8} {"Deletes",8} {"Skipped",8} {"Conflicts",9} {"Bytes",10}  {"ErrorId",-16} Key/Message");
        foreach (var l in lines)
        {
            var text = string.Join(" ", new[] { l.Key, l.PackageName, l.Message }.Where(t => t.Length > 0));
            Console.WriteLine($"{l.Kind,-8} {l.Site,-10} {l.Table,-24} {l.State,-12} {l.Rows,8} {l.Upserts,8} {l.Deletes,8} {l.Skipped,8} {l.Conflicts,9} {l.Bytes,10}  {l.ErrorId,-16} {text}");
        }
    }

    private static Command TestCommand()
    {
        var command = new Command("test", "Checks everything a night needs (drop reachable, TLS, login, site folder, write right, versions, schema, key ranges, clock skew); one line per check.")
            { ConfigOption, JsonOption };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            if (LoadConfig(parse) is not { } config) return ExitCodes.Failed;
            var results = await Core.Checks.SiegeChecks.RunAsync(config, null, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(JsonOption)) ConsoleOutput.WriteJson(results);
            else
            {
                foreach (var r in results)
                {
                    Console.WriteLine($"{r.Status,-8} {r.Check,-16} {r.Detail}");
                    if (r.Fix is not null) Console.WriteLine($"{"",-8} {"",-16} fix: {r.Fix}");
                }
            }
            return results.Any(r => r.Status == Core.Checks.CheckStatus.Failed) ? ExitCodes.Failed
                : results.Any(r => r.Status == Core.Checks.CheckStatus.Warning) ? ExitCodes.Partial : ExitCodes.Ok;
        });
        return command;
    }

    private static Command CompareCommand()
    {
        var other = new Option<string>("--with") { Description = "The other database (a site's, or a copy of it): a file path, or host/port:path with --server-password-secret.", Required = true };
        var secret = new Option<string?>("--server-password-secret") { Description = "Stored secret holding the other server's SYSDBA password." };
        var repair = new Option<bool>("--repair") { Description = "Siège: re-queue every differing key so the next night fixes the site." };
        var tables = new Option<string[]>("--table") { Description = "Only these synchronised tables (wildcards * and ?); repeat for several. Default: all." };
        var command = new Command("compare", "Compares every synchronised table, full row content, between this node's database and another; lists differing keys.")
            { ConfigOption, JsonOption, other, secret, repair, tables };
        command.SetAction((ParseResult parse, CancellationToken cancellationToken) => Task.FromResult(Run(parse, cancellationToken)));
        return command;

        int Run(ParseResult parse, CancellationToken cancellationToken)
        {
            if (LoadConfig(parse) is not { } config) return ExitCodes.Failed;
            IReadOnlyList<Core.Compare.TableComparison> comparisons;
            Core.Compare.RepairResult? repaired = null;
            try
            {
                var target = Core.Compare.DatabaseComparison.Target(config, parse.GetValue(other)!, parse.GetValue(secret));
                using var comparison = Core.Compare.DatabaseComparison.Open(config, target, parse.GetValue(tables));
                comparisons = comparison.Compare(cancellationToken: cancellationToken);
                if (parse.GetValue(repair)) repaired = comparison.Repair();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or HeitzSync.Firebird.FbException or Core.Capture.CaptureSetupException)
            {
                ConsoleOutput.Error(ex.Message);
                return ExitCodes.Failed;
            }
            if (parse.GetValue(JsonOption)) ConsoleOutput.WriteJson(new { comparisons, repaired });
            else
            {
                foreach (var c in comparisons)
                {
                    Console.WriteLine($"{c.Table,-28} {c.RowsLeft,9} {c.RowsRight,9}  {(c.Identical ? "identical" : "DIFFERENT")}"
                        + (c.NotCompared.Count == 0 ? "" : $"  (local, not compared: {string.Join(", ", c.NotCompared)})"));
                    foreach (var d in c.Differences) Console.WriteLine($"    {d.Key}: {d.What}");
                }
                if (repaired is not null) Console.WriteLine($"{repaired.KeysRequeued} key(s) re-queued: the next night brings the other database in line.");
            }
            return comparisons.All(c => c.Identical) ? ExitCodes.Ok : ExitCodes.Partial;
        }
    }

    private static Command Stop()
    {
        var reason = new Option<string>("--reason") { Description = "Why (kept in the report).", DefaultValueFactory = _ => "stopped by an operator" };
        var command = new Command("stop", "Asks the run in progress on this node to stop cleanly (nothing is left half-applied).") { ConfigOption, reason };
        command.SetAction((ParseResult parse) =>
        {
            if (LoadConfig(parse) is not { } config) return ExitCodes.Failed;
            var work = config.Resolve(config.WorkFolder);
            if (RunLock.CurrentHolder(work) is not { } running)
            {
                // Like Stop-HzSync: no request file is left behind that could stop the next night.
                Console.WriteLine($"No HeitzSync run is in progress on {config.Site.Code}: nothing to stop.");
                return ExitCodes.Ok;
            }
            new StopRequest(work).Request(parse.GetValue(reason)!);
            Console.WriteLine($"Stop requested for {running}: it stops at its next safe point.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Schedules <c>hzsync sync</c> for this node (Register-HzSyncTask schedules the module's script instead).</summary>
    private static Command Register()
    {
        var kind = new Option<ScheduleKind>("--kind") { Description = "auto (Task Scheduler on Windows, systemd on Linux with systemd, else cron), taskscheduler, systemd or cron.", DefaultValueFactory = _ => ScheduleKind.Auto };
        var path = new Option<string?>("--path") { Description = "Write the task's files into this folder instead of installing them." };
        var force = new Option<bool>("--force") { Description = "Replace an existing task (or existing files in --path)." };
        var command = new Command("register", "Schedules this node's night (hzsync sync) every day: the Siège at schedule.startTime, site n at n x staggerMinutes after it.")
            { ConfigOption, JsonOption, kind, path, force };
        command.SetAction((ParseResult parse) =>
        {
            if (LoadConfig(parse) is not { } config) return ExitCodes.Failed;
            var resolved = SchedulePlanner.Resolve(parse.GetValue(kind));
            var self = Environment.ProcessPath ?? "hzsync";
            var viaDotnet = Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
            var plan = SchedulePlanner.Plan(config, ScheduledCommand.Hzsync(self, viaDotnet ? new[] { typeof(NodeCommands).Assembly.Location } : Array.Empty<string>(), config.ConfigPath!));
            foreach (var warning in plan.Warnings) ConsoleOutput.Error("warning: " + warning);
            var installer = new ScheduleInstaller();
            ScheduleResult result;
            try
            {
                result = parse.GetValue(path) is { } folder
                    ? installer.WriteFiles(plan, resolved, Path.GetFullPath(folder), parse.GetValue(force))
                    : installer.Install(plan, resolved, parse.GetValue(force), password: null);
            }
            catch (Exception ex) when (ex is ScheduleExistsException or ScheduleInstallException or PlatformNotSupportedException or IOException or UnauthorizedAccessException)
            {
                ConsoleOutput.Error(ex.Message);
                return ExitCodes.Failed;
            }
            if (parse.GetValue(JsonOption))
            {
                ConsoleOutput.WriteJson(new
                {
                    name = plan.NameFor(resolved),
                    kind = resolved.ToString(),
                    node = plan.Site,
                    role = plan.Role.ToString(),
                    at = plan.AtText,
                    plan.OffsetMinutes,
                    command = result.Command,
                    files = result.Files,
                    installed = result.Installed,
                    warnings = plan.Warnings,
                });
            }
            else
            {
                foreach (var file in result.Files) Console.WriteLine($"wrote {file}");
                Console.WriteLine($"{(result.Installed ? "Registered" : "Written")}: {plan.Site} ({plan.Role}) {resolved} every day at {plan.AtText}: {result.Command}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Key()
    {
        var path = new Option<string>("--path") { Description = "Where to write the group key file (mode 0600).", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing key file (every node must then get the new one)." };
        var create = new Command("new", "Creates a new group key file; copy it to every node.") { path, force };
        create.SetAction((ParseResult parse) =>
        {
            using var key = SyncKey.Generate();
            try
            {
                key.Save(parse.GetValue(path)!, parse.GetValue(force));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                ConsoleOutput.Error(ex.Message);
                return ExitCodes.Failed;
            }
            Console.WriteLine($"Group key {key.KeyId} written to {parse.GetValue(path)}: copy this file to every node.");
            return ExitCodes.Ok;
        });
        return new Command("key", "Group key operations.") { create };
    }
}
