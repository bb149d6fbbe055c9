using HeitzSync.Core.Configuration;
using HeitzSync.Core.Model;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Core.Secrets;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Night;

/// <summary>Everything one node needs, built from its configuration: database, drop, group key, folders.</summary>
public sealed class NodeContext : IDisposable
{
    private NodeContext(HzSyncConfig config, FbConnectionSettings database, IDropTransport drop, SyncKey key)
    {
        Config = config;
        Database = database;
        Drop = drop;
        Key = key;
    }

    public HzSyncConfig Config { get; }
    public FbConnectionSettings Database { get; }
    public IDropTransport Drop { get; }
    public SyncKey Key { get; }
    public SiteCode Site => SiteCode.Parse(Config.Site.Code);
    public string WorkFolder => Config.Resolve(Config.WorkFolder);
    public ReportStore Reports => ReportsFor(Config);

    public static SecretStore SecretsFor(HzSyncConfig config) => SecretStore.ForConfig(config);

    /// <summary>The node's report store, masking the node's configured passwords wherever they would appear.</summary>
    public static ReportStore ReportsFor(HzSyncConfig config) =>
        new(config.Resolve(config.Reports.Folder), config.Reports.Keep, SecretValues(config));

    /// <summary>
    /// The values of the node's configured secrets (database, drop and mail passwords), for exact-value masking in
    /// reports. A secret that is not stored, or cannot be read, is left out: the run itself says so.
    /// </summary>
    public static IReadOnlyList<string> SecretValues(HzSyncConfig config)
    {
        if (config is null) throw new ArgumentNullException(nameof(config));
        var store = SecretsFor(config);
        var values = new List<string>();
        foreach (var name in new[] { config.Database?.PasswordSecret, config.Drop?.PasswordSecret, config.Mail?.PasswordSecret })
        {
            if (name is null || !SecretStore.IsValidName(name)) continue;
            try
            {
                if (store.Get(name) is { Length: > 0 } value) values.Add(value);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
            {
                // Unreadable here: the run that needs it fails with its own message, which never contains the value.
            }
        }
        return values;
    }

    /// <summary>The node's database as its configuration names it (embedded file, or a server with its stored password).</summary>
    public static FbConnectionSettings DatabaseSettings(HzSyncConfig config)
    {
        if (config is null) throw new ArgumentNullException(nameof(config));
        return new FbConnectionSettings
        {
            Database = config.Database.Server is null ? config.Resolve(config.Database.Path) : config.Database.Path,
            Server = config.Database.Server,
            Port = config.Database.Port,
            User = config.Database.User,
            Password = config.Database.PasswordSecret is { } name ? SecretsFor(config).Require(name, "the database") : null,
        };
    }

    public static NodeContext Create(HzSyncConfig config)
    {
        var secrets = SecretsFor(config);
        var database = DatabaseSettings(config);
        IDropTransport drop = config.Drop.Kind switch
        {
            // Only the Siège makes its drop's root; a site that does not find it is misconfigured (or the share is not mounted).
            DropKind.Folder => new FolderDropTransport(config.Resolve(config.Drop.Path), mayCreateRoot: config.Role == NodeRole.Siege),
            _ => new FtpDropTransport(new FtpDropSettings
            {
                Host = config.Drop.Host!,
                Port = config.Drop.Port,
                User = config.Drop.User!,
                Password = config.Drop.PasswordSecret is { } ftpSecret ? secrets.Require(ftpSecret, "the FTP login") : null,
                RootPath = string.IsNullOrEmpty(config.Drop.Path) ? "/" : config.Drop.Path,
                Security = config.Drop.Security == "None" ? FtpSecurity.None : FtpSecurity.ExplicitTls,
                ServerCertificateThumbprint = config.Drop.CertificateThumbprint,
                ConnectTimeout = TimeSpan.FromSeconds(config.Drop.TimeoutSeconds),
                ReadWriteTimeout = TimeSpan.FromSeconds(config.Drop.TimeoutSeconds),
                MaxRetries = config.Drop.Retries,
                Passive = config.Drop.Passive,
            }),
        };
        if (config.Role == NodeRole.Site && config.Drop.Scope == DropScope.Site) drop = new SiteFolderDrop(drop, SiteCode.Parse(config.Site.Code));
        return new NodeContext(config, database, drop, SyncKey.Load(config.Resolve(config.KeyFile)));
    }

    public void Dispose()
    {
        Drop.Dispose();
        Key.Dispose();
    }
}
