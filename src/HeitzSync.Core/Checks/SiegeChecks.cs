using System.Net.Sockets;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Sync;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Checks;

public enum CheckStatus { Passed, Warning, Failed }

/// <summary>One check of Test-HzSiege: what was checked, how it went, what was seen, and what to try.</summary>
public sealed record CheckResult(string Node, string Check, CheckStatus Status, string Detail, string? Fix);

/// <summary>
/// Test-HzSiege (DESIGN.md §9): from a site, everything a night needs from the Siège; from the Siège, its drop and
/// its sites. Every check runs (one failing does not hide the others) and changes nothing: the write-right check writes a
/// one-byte probe file (<c>probe-&lt;guid&gt;.tmp</c>) in the node's drop folder and always deletes it again, even when a
/// later step of that check fails or is cancelled (only a connection lost for good before the delete can leave one behind;
/// the failed WriteRight check then says so, and the file can be deleted by hand).
/// </summary>
public static class SiegeChecks
{
    public static readonly TimeSpan SkewWarning = TimeSpan.FromMinutes(5);

    public static Task<IReadOnlyList<CheckResult>> RunAsync(HzSyncConfig config, CancellationToken cancellationToken) =>
        RunAsync(config, null, cancellationToken);

    /// <summary>Runs every check; <paramref name="progress"/> hears of each group of checks before it starts ("Test", what, percentage).</summary>
    public static async Task<IReadOnlyList<CheckResult>> RunAsync(HzSyncConfig config, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        if (config is null) throw new ArgumentNullException(nameof(config));
        var results = new List<CheckResult>();
        var node = config.Site.Code;
        void Add(string check, CheckStatus status, string detail, string? fix = null) => results.Add(new CheckResult(node, check, status, detail, fix));

        SyncKey? key = null;
        progress?.Report(new SyncProgress("Test", "Group key", 0));
        try
        {
            key = SyncKey.Load(config.Resolve(config.KeyFile));
            Add("GroupKey", CheckStatus.Passed, $"group key {key.KeyId}");
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            Add("GroupKey", CheckStatus.Failed, ex.Message, $"Copy the group key file made by {FrontCommands.NewKey} at the Siège to keyFile.");
        }
        finally
        {
            key?.Dispose();
        }

        string? localFingerprint = null;
        NodeIdentity? identity = null;
        IReadOnlyList<RegisteredSite> registry = Array.Empty<RegisteredSite>();
        progress?.Report(new SyncProgress("Test", "Database", 10));
        try
        {
            var database = NodeContext.DatabaseSettings(config);   // not NodeContext.Create: a missing group key is its own check
            using var connection = FbConnection.Open(database with { Charset = "NONE" });
            using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
            identity = NodeIdentity.Read(connection, tx);
            localFingerprint = CaptureInstaller.ReadInstalledSchema(connection, tx).Fingerprint;
            if (identity.Site.Value != config.Site.Code || identity.SiteNumber != config.Site.Number)
            {
                Add("Database", CheckStatus.Failed, $"the database is initialised as {identity.Site} number {identity.SiteNumber}, the configuration says {config.Site.Code} number {config.Site.Number}",
                    $"Run {FrontCommands.Initialize} with this configuration (or fix site.code/site.number).");
            }
            else
            {
                Add("Database", CheckStatus.Passed, $"{database} is {identity.Site} (number {identity.SiteNumber}, keys {config.KeyRange}), server {connection.ServerVersion}");
            }
            if (identity.IsSiege) registry = new SitePublisher(connection).RegisteredSites();
        }
        catch (Exception ex) when (ex is FbException or CaptureSetupException or InvalidOperationException)
        {
            Add("Database", CheckStatus.Failed, ex.Message, $"Check database.path (and server, user, passwordSecret), then run {FrontCommands.Initialize}.");
        }

        if (config.Drop.Kind == DropKind.Ftp)
        {
            progress?.Report(new SyncProgress("Test", $"Reachability of {config.Drop.Host}:{config.Drop.Port}", 30));
            await CheckNetwork(config, Add, cancellationToken).ConfigureAwait(false);
        }
        progress?.Report(new SyncProgress("Test", "Drop: login, write right, clock, Siège document", 50));
        await CheckDrop(config, localFingerprint, Add, cancellationToken).ConfigureAwait(false);
        if (config.Role == NodeRole.Siege)
        {
            progress?.Report(new SyncProgress("Test", "Registered sites", 90));
            CheckRegistry(config, registry, identity, await ReadRegistrationsAsync(config, cancellationToken).ConfigureAwait(false), Add);
        }
        var loose = NodePermissions.Find(config);
        foreach (var item in loose) Add("Permissions", CheckStatus.Warning, item.ToString(), item.Fix);
        if (loose.Count == 0) Add("Permissions", CheckStatus.Passed, NodePermissions.AllClosed(config));
        progress?.Report(new SyncProgress("Test", "Done", 100));
        return results;
    }

    private static async Task CheckNetwork(HzSyncConfig config, Action<string, CheckStatus, string, string?> add, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            var connect = client.ConnectAsync(config.Drop.Host!, config.Drop.Port);
            if (await Task.WhenAny(connect, Task.Delay(TimeSpan.FromSeconds(config.Drop.TimeoutSeconds), cancellationToken)).ConfigureAwait(false) != connect)
            {
                add("Reachability", CheckStatus.Failed, $"{config.Drop.Host}:{config.Drop.Port} did not answer within {config.Drop.TimeoutSeconds} s", "Check the address, the port, the firewall and that the Siège's FTP server runs.");
                return;
            }
            await connect.ConfigureAwait(false);
            add("Reachability", CheckStatus.Passed, $"{config.Drop.Host}:{config.Drop.Port} answers", null);
        }
        catch (SocketException ex)
        {
            add("Reachability", CheckStatus.Failed, $"{config.Drop.Host}:{config.Drop.Port}: {ex.SocketErrorCode}", "Check the address (DNS), the port, the firewall and that the Siège's FTP server runs.");
        }
    }

    private static async Task CheckDrop(HzSyncConfig config, string? localFingerprint, Action<string, CheckStatus, string, string?> add, CancellationToken cancellationToken)
    {
        NodeContext context;
        try
        {
            context = NodeContext.Create(config);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or FormatException)
        {
            add("Drop", CheckStatus.Failed, ex.Message, "Fix the configuration or store the missing secret.");
            return;
        }
        using (context)
        {
            var site = SiteCode.Parse(config.Site.Code);
            var folder = config.Role == NodeRole.Siege ? DropPath.Root : DropLayout.Up(site);
            var probe = folder.Append($"probe-{Guid.NewGuid():N}.tmp");
            try
            {
                await context.Drop.ListAsync(DropPath.Root, cancellationToken).ConfigureAwait(false);
                AddTls(config, add);
                add("Login", CheckStatus.Passed, $"{context.Drop.Description}: logged in and listed", null);
            }
            catch (DropTransportException ex)
            {
                var (check, fix) = ex.Kind switch
                {
                    DropTransportErrorKind.CertificateRejected => ("Tls", "Pin the Siège's certificate: drop.certificateThumbprint."),
                    DropTransportErrorKind.LoginFailed => ("Login", $"Check drop.user and the stored password ({FrontCommands.StoreSecret(config.Drop.PasswordSecret ?? "ftp")})."),
                    _ => ("Login", "Check that the Siège's drop is reachable."),
                };
                if (ex.Kind == DropTransportErrorKind.LoginFailed) AddTls(config, add);   // the login is refused inside the TLS session
                add(check, CheckStatus.Failed, ex.Message, fix);
                return;
            }

            SiegeDocument? siege = null;
            var wrongPlace = false;
            if (config.Role == NodeRole.Site)
            {
                (siege, wrongPlace) = await CheckSiteFolder(config, context.Drop, site, add, cancellationToken).ConfigureAwait(false);
            }

            var probeWritten = false;
            try
            {
                if (wrongPlace)
                {
                    // Creating up/ there would only make a folder the Siège never reads.
                    add("WriteRight", CheckStatus.Failed, $"not tried: {site}'s folder is not where drop.scope {config.Drop.Scope} puts it (see SiteFolder)", "Fix SiteFolder first.");
                }
                else
                {
                    await context.Drop.CreateFolderAsync(folder, cancellationToken).ConfigureAwait(false);
                    probeWritten = true;   // from here on, a half-written probe may exist: the finally below removes it
                    await context.Drop.WriteSmallFileAsync(probe, new byte[] { 1 }, cancellationToken).ConfigureAwait(false);
                    var serverTime = await context.Drop.GetLastModifiedAsync(probe, cancellationToken).ConfigureAwait(false);
                    await context.Drop.DeleteAsync(probe, cancellationToken).ConfigureAwait(false);
                    probeWritten = false;
                    add("WriteRight", CheckStatus.Passed, $"wrote and deleted a probe file in {(folder.IsRoot ? "the drop's root" : folder.ToString())}", null);
                    if (serverTime is { } written)
                    {
                        var skew = DateTimeOffset.UtcNow - written;
                        var status = skew.Duration() > SkewWarning ? CheckStatus.Warning : CheckStatus.Passed;
                        add("ClockSkew", status, $"this node's clock is {skew.TotalSeconds:+0;-0} s from the drop's",
                            status == CheckStatus.Passed ? null : "Synchronise the clocks (NTP): conflicts are decided by change time.");
                    }
                }
            }
            catch (DropTransportException ex)
            {
                add("WriteRight", CheckStatus.Failed, ex.Message, $"Give the account write access to {folder} on the Siège's drop.");
            }
            finally
            {
                if (probeWritten) await RemoveProbe(context, probe).ConfigureAwait(false);
            }

            if (siege is null) return;
            add("ModuleVersion", siege.ModuleVersion == ModuleInfo.Version ? CheckStatus.Passed : CheckStatus.Failed,
                $"this node runs {ModuleInfo.Version}, the Siège {siege.ModuleVersion}",
                siege.ModuleVersion == ModuleInfo.Version ? null : "Install the same HeitzSync version on every node.");
            if (localFingerprint is not null)
            {
                add("Schema", siege.SchemaFingerprint == localFingerprint ? CheckStatus.Passed : CheckStatus.Failed,
                    siege.SchemaFingerprint == localFingerprint ? "the synchronised schema matches the Siège's" : $"the synchronised schema differs from the Siège's ({localFingerprint.Substring(0, 12)} here, {siege.SchemaFingerprint.Substring(0, Math.Min(12, siege.SchemaFingerprint.Length))} there)",
                    siege.SchemaFingerprint == localFingerprint ? null : $"Bring this database to the Siège's schema (same business-software version), then run {FrontCommands.Initialize}.");
            }
            var mine = config.KeyRange;
            var others = siege.Sites.Where(s => s.Code != config.Site.Code).Select(s => (Code: s.Code, Number: s.Number, Range: new KeyRange(s.KeyLow, s.KeyHigh)))
                .Append((Code: siege.Siege, Number: siege.SiegeNumber, Range: new KeyRange(siege.SiegeKeyLow, siege.SiegeKeyHigh))).ToList();
            var overlap = others.FirstOrDefault(o => o.Number == config.Site.Number || o.Range.Overlaps(mine));
            add("KeyRange", overlap.Code is null ? CheckStatus.Passed : CheckStatus.Failed,
                overlap.Code is null ? $"keys {mine} overlap no other node's" : $"keys {mine} (number {config.Site.Number}) overlap {overlap.Code}'s {overlap.Range} (number {overlap.Number})",
                overlap.Code is null ? null : $"Give this site its own site.number (no two nodes may share a range), then run {FrontCommands.Initialize}.");
            // The group key: siege.json is signed with the Siège's, so a wrong key is found here, not by a quarantined package.
            var keyProblem = siege.Mac is null ? null : DropProof.Problem(siege, context.Key);
            add("KeyMatch", siege.Mac is null ? CheckStatus.Warning : keyProblem is null ? CheckStatus.Passed : CheckStatus.Failed,
                siege.Mac is null ? "siege.json is not signed yet (written by an older Siège): the group keys cannot be compared"
                    : keyProblem ?? $"siege.json is signed with group key {context.Key.KeyId}, the one this node holds",
                siege.Mac is null ? "Run a consolidation at the Siège with this version: it signs siege.json."
                    : keyProblem is null ? null : "Copy the Siège's group key file to this node's keyFile (every node holds the same key).");
        }
    }

    /// <summary>The TLS line: always printed for an FTP drop, so a passing test says how the Siège was authenticated.</summary>
    private static void AddTls(HzSyncConfig config, Action<string, CheckStatus, string, string?> add)
    {
        if (config.Drop.Kind != DropKind.Ftp) return;
        if (config.Drop.Security == "None")
        {
            add("Tls", CheckStatus.Warning, "plain FTP (drop.security None): the password and every package cross the network unprotected",
                "On anything but a trusted network, enable TLS on the Siège's FTP server and set drop.security to ExplicitTls.");
            return;
        }
        add("Tls", CheckStatus.Passed, config.Drop.CertificateThumbprint is { } pin
            ? $"explicit TLS 1.2, control and data; the Siège presented exactly the pinned certificate (SHA-256 {pin})"
            : $"explicit TLS 1.2, control and data; the Siège's certificate is valid for {config.Drop.Host} (chain and name checked)", null);
    }

    /// <summary>
    /// What a site sees of the drop against what the Siège publishes: the Siège writes siege.json into every site's
    /// folder, naming that site (<see cref="SiegeDocument.ForSite"/>), and ack.json once it has consolidated the site. The
    /// site must find its own copy where drop.scope says its folder is, and its ack.json when the Siège says it wrote one.
    /// Returns the Siège's document (null when unreadable) and whether the site's folder is positively in another place
    /// (drop.scope says the wrong thing, or the account starts in another folder).
    /// </summary>
    private static async Task<(SiegeDocument? Siege, bool WrongPlace)> CheckSiteFolder(HzSyncConfig config, IDropTransport drop, SiteCode site,
        Action<string, CheckStatus, string, string?> add, CancellationToken cancellationToken)
    {
        const string check = "SiteFolder";
        var scoped = config.Drop.Scope == DropScope.Site;
        var where = scoped ? "this account's root (drop.scope Site)" : $"{site}/ in the drop (drop.scope Drop)";
        var copy = DropLayout.SiegeFileFor(site);
        try
        {
            var siege = await ReadSiegeDocument(drop, copy, cancellationToken).ConfigureAwait(false);
            if (siege is null)
            {
                // Not where drop.scope says: look where the other layout would put it, through the account's own view.
                var raw = drop is SiteFolderDrop view ? view.Inner : drop;
                if (scoped && await ReadSiegeDocument(raw, copy, cancellationToken).ConfigureAwait(false) is { ForSite: { } below } && below == site.Value)
                {
                    add(check, CheckStatus.Failed, $"this account sees the whole drop ({site}/siege.json is below its root), but drop.scope is Site, so the night would read and write outside {site}'s folder",
                        $"Set drop.scope to Drop, or restrict the account to its folder on the Siège (vsftpd: its home <drop>/{site}, chrooted; docs/ftp-siege.md).");
                    return (null, true);
                }
                var atRoot = scoped ? null : await ReadSiegeDocument(raw, DropLayout.SiegeFile, cancellationToken).ConfigureAwait(false);
                if (atRoot is { ForSite: { } root })
                {
                    add(check, CheckStatus.Failed, root == site.Value
                            ? $"this account starts in {site}'s own folder (its siege.json is {site}'s copy), but drop.scope is Drop, so uploads would go to {site}/{site}/up where the Siège never looks"
                            : $"this account starts in {root}'s folder, not at the drop's root",
                        root == site.Value ? "Set drop.scope to Site." : $"Give {site} its own account on the Siège, whose home is <drop>/{site} (docs/ftp-siege.md); check drop.user.");
                    return (null, true);
                }
                if (atRoot is not null)
                {
                    // The account sees the whole drop, as drop.scope says; the Siège has not written this site's copy yet
                    // (it writes one into every site folder present, and in this layout the site's first send makes its
                    // folder). The other checks read the drop's own siege.json.
                    add(check, CheckStatus.Warning, $"this account sees the whole drop, as drop.scope Drop says, but the Siège has not written {site}'s copy of siege.json ({copy}) yet: it writes one into every site folder present in its drop at init and at every night, and never makes a site's folder itself",
                        $"Nothing to do before {site}'s first send (it makes {site}'s folder); after it, run hzsync init (or the night) at the Siège.");
                    return (atRoot, false);
                }
                add(check, CheckStatus.Failed, $"no siege.json for {site} in {where}: the Siège writes one into every site's folder at its init and at every night",
                    $"If {site}'s folder exists in the Siège's drop and the Siège has run init or a night since, this account does not start where drop.scope says: " +
                    (scoped ? $"its root must be <drop>/{site} (vsftpd: the account's home, chrooted; docs/ftp-siege.md), or set drop.scope to Drop if it sees the whole drop." : $"check drop.path, or set drop.scope to Site if the account sees only {site}'s folder."));
                return (null, false);
            }
            if (scoped && siege.ForSite is null)
            {
                add(check, CheckStatus.Failed, $"this account sees the whole drop (its root holds the drop's own siege.json), but drop.scope is Site, so the night would read and write outside {site}'s folder",
                    $"Set drop.scope to Drop, or restrict the account to its folder on the Siège (vsftpd: its home <drop>/{site}, chrooted; docs/ftp-siege.md).");
                return (null, true);
            }
            if (siege.ForSite != site.Value)
            {
                add(check, CheckStatus.Failed, $"the siege.json in {where} was written for {siege.ForSite ?? "the drop's root"}, not for {site}",
                    $"Give {site} its own account whose root is <drop>/{site} (its home, chrooted; docs/ftp-siege.md); check drop.user and drop.path.");
                return (null, true);
            }
            var registered = siege.Sites.FirstOrDefault(s => s.Code == site.Value);
            if (registered?.LastConsolidatedCycle is not { } consolidated)
            {
                add(check, CheckStatus.Passed, $"{site}'s folder is {where}, as the Siège publishes it (siege.json for {site}, updated {Stamp(siege.UpdatedUtc)}); nothing consolidated from {site} yet", null);
                return (siege, false);
            }
            var ack = DropJson.Deserialize<AckDocument>(await drop.ReadSmallFileAsync(DropLayout.Ack(site), cancellationToken).ConfigureAwait(false), "ack.json");
            if (ack is null)
            {
                add(check, CheckStatus.Failed, $"the Siège has consolidated {site} (cycle {consolidated}) but this account finds no ack.json in {where}: the night would resend everything every time",
                    $"The Siège writes <drop>/{site}/ack.json: give the account read access to its folder (docs/ftp-siege.md), and check drop.path and drop.scope.");
                return (siege, false);
            }
            _ = ack.Watermark;   // a document of a newer format is refused here, by name
            add(check, CheckStatus.Passed, $"{site}'s folder is {where}, as the Siège publishes it (siege.json for {site}, updated {Stamp(siege.UpdatedUtc)}; ack.json of cycle {ack.CycleId})", null);
            return (siege, false);
        }
        catch (Exception ex) when (ex is InvalidDataException or DropTransportException)
        {
            add(check, CheckStatus.Failed, ex.Message, "Run a night at the Siège: it rewrites siege.json and ack.json. If this says the account may not read them, fix its rights on the Siège (docs/ftp-siege.md).");
            return (null, false);
        }
    }

    private static async Task<SiegeDocument?> ReadSiegeDocument(IDropTransport drop, DropPath path, CancellationToken cancellationToken) =>
        DropJson.Deserialize<SiegeDocument>(await drop.ReadSmallFileAsync(path, cancellationToken).ConfigureAwait(false), "siege.json");

    private static string Stamp(DateTimeOffset utc) => utc.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " UTC";

    /// <summary>Best effort, uncancellable: the check failed or was cancelled after the probe may have been written.</summary>
    private static async Task RemoveProbe(NodeContext context, DropPath probe)
    {
        try
        {
            await context.Drop.DeleteAsync(probe, CancellationToken.None).ConfigureAwait(false);
        }
        catch (DropTransportException)
        {
            // Nothing more to do here: the failed check already says what is wrong with the drop.
        }
    }

    /// <summary>The registrations waiting in the Siège's drop (it works on its drop locally), registered or not yet.</summary>
    private static async Task<IReadOnlyList<(SiteCode Site, SiteRegistrationDocument? Registration)>> ReadRegistrationsAsync(HzSyncConfig config, CancellationToken cancellationToken)
    {
        var root = config.Resolve(config.Drop.Path);
        if (config.Drop.Kind != DropKind.Folder || !Directory.Exists(root)) return Array.Empty<(SiteCode, SiteRegistrationDocument?)>();
        try
        {
            using var drop = new FolderDropTransport(root);
            return await SiteRegistrations.ReadAsync(drop, root, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DropTransportException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return Array.Empty<(SiteCode, SiteRegistrationDocument?)>();   // the Drop checks above say what is wrong with it
        }
    }

    private static void CheckRegistry(HzSyncConfig config, IReadOnlyList<RegisteredSite> registry, NodeIdentity? siege,
        IReadOnlyList<(SiteCode Site, SiteRegistrationDocument? Registration)> registrations, Action<string, CheckStatus, string, string?> add)
    {
        var expected = config.Schedule.Sites.Union(registry.Select(r => r.Site)).OrderBy(s => s, StringComparer.Ordinal);
        foreach (var code in expected)
        {
            var site = registry.FirstOrDefault(r => r.Site == code);
            if (site is null)
            {
                add($"Site {code}", CheckStatus.Warning, $"{code} has never delivered a package", $"Check that site's {FrontCommands.Test} and its scheduled task.");
                continue;
            }
            var age = site.LastContactUtc is { } contact ? DateTime.UtcNow - contact : (TimeSpan?)null;
            var status = age is null || age > TimeSpan.FromDays(2) ? CheckStatus.Warning : CheckStatus.Passed;
            add($"Site {code}", status, $"number {site.Number}, keys [{site.KeyLow}, {site.KeyHigh}], last contact {(site.LastContactUtc is { } t ? t.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " UTC" : "never")}, last consolidated {site.ConsolidatedCycle ?? "none"}",
                status == CheckStatus.Passed ? null : "That site has not synced for more than two nights: check it.");
        }
        // Every node that holds or asks for a range: the Siège, the registry, and the registrations in the drop that the
        // Siège has not taken yet (two sites set up with one number before either was registered).
        var nodes = registry.Select(r => (Who: r.Site, r.Number, Range: new KeyRange(r.KeyLow, r.KeyHigh)))
            .Concat(registrations.Where(r => r.Registration is { } doc && !registry.Any(s => s.Site == doc.Site && s.Number == doc.Number && s.KeyLow == doc.KeyLow && s.KeyHigh == doc.KeyHigh))
                .Select(r => (Who: r.Site.Value + " (registration in the drop)", r.Registration!.Number, Range: new KeyRange(r.Registration.KeyLow, r.Registration.KeyHigh))))
            .ToList();
        if (siege is not null) nodes.Insert(0, (Who: siege.Site.Value + " (the Siège)", siege.SiteNumber, Range: new KeyRange(siege.KeyLow, siege.KeyHigh)));
        var overlaps = nodes.SelectMany((a, i) => nodes.Skip(i + 1).Where(b => a.Number == b.Number || a.Range.Overlaps(b.Range))
            .Select(b => $"{a.Who} number {a.Number} keys {a.Range} and {b.Who} number {b.Number} keys {b.Range}")).ToList();
        add("KeyRanges", overlaps.Count == 0 ? CheckStatus.Passed : CheckStatus.Failed,
            overlaps.Count == 0 ? $"{registry.Count} registered site(s), no overlapping key range" : "overlapping key ranges: " + string.Join("; ", overlaps),
            overlaps.Count == 0 ? null : "Give each site its own site.number: remove the wrong one (hzsync unregister --site X, or delete its site.json if it never synced), fix its configuration and run init there.");
    }
}
