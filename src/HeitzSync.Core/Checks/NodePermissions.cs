using System.Globalization;
using HeitzSync.Core.Backup;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Secrets;
using HeitzSync.Core.Transport;

namespace HeitzSync.Core.Checks;

/// <summary>A file or folder of the node that others may read, and the command that closes it.</summary>
public sealed record LoosePermission(string Path, string What, int Mode, string Fix)
{
    public string Octal => Convert.ToString(Mode, 8).PadLeft(4, '0');

    /// <summary>Who besides the owner may reach it.</summary>
    public string Whom => (Mode & 0x7) != 0 ? "every account" : "its group";

    public override string ToString() => $"{What} {Path} is open to {Whom} (mode {Octal}): {Fix}";
}

/// <summary>
/// What of a node only its service account should read (Unix modes): the group key and the secrets (owner only: 0600
/// files in a 0700 folder), the work, backup and report folders and the backups (nobody but the owner and its group:
/// they hold the members' data). HeitzSync creates them so; a file or folder made otherwise (copied by hand, an older
/// version, a umask) is reported by Test-HzSiege and by every night, with the chmod that fixes it. On Windows the folders'
/// ACLs apply (docs: a folder only the service account and administrators can read), and nothing is reported here.
/// </summary>
public static class NodePermissions
{
    private const int GroupOrOthers = 0x3F;   // 0077
    private const int Others = 0x7;           // 0007

    public static IReadOnlyList<LoosePermission> Find(HzSyncConfig config)
    {
        if (config is null) throw new ArgumentNullException(nameof(config));
        var loose = new List<LoosePermission>();
        void Check(string path, string what, int forbidden, string mode)
        {
            if (LocalEntry.PermissionsOf(path) is { } bits && (bits & forbidden) != 0)
                loose.Add(new LoosePermission(path, what, bits, $"chmod {mode} {Quote(path)}"));
        }

        Check(config.Resolve(config.KeyFile), "The group key", GroupOrOthers, "600");
        var secrets = SecretStore.ForConfig(config);
        Check(secrets.Folder, "The secrets folder", GroupOrOthers, "700");
        foreach (var name in secrets.Names()) Check(Path.Combine(secrets.Folder, name + ".secret"), $"The secret '{name}'", GroupOrOthers, "600");
        Check(config.Resolve(config.WorkFolder), "The work folder", Others, "700");
        Check(config.Resolve(config.Reports.Folder), "The reports folder", Others, "700");
        var backups = config.Resolve(config.Backup.Folder);
        Check(backups, "The backup folder", Others, "700");
        try
        {
            var database = new Firebird.FbConnectionSettings
            {
                Database = config.Database.Server is null ? config.Resolve(config.Database.Path) : config.Database.Path,
                Server = config.Database.Server,
            };
            foreach (var backup in SafetyBackup.ListBackups(backups, database)) Check(backup.Path, "The safety backup", Others, "600");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // An unreadable backup folder is the backup's own error.
        }
        return loose;
    }

    private static string Quote(string path) => path.IndexOfAny(new[] { ' ', '\'', '"', '$' }) < 0 ? path : "'" + path.Replace("'", "'\\''") + "'";

    /// <summary>The summary for a node without loose permissions.</summary>
    public static string AllClosed(HzSyncConfig config) => Path.DirectorySeparatorChar == '\\'
        ? "on Windows the folders' ACLs apply: keep the configuration, work, backup and report folders where only the service account and administrators can read"
        : string.Format(CultureInfo.InvariantCulture, "the group key, secrets, work, backup and report folders of {0} are closed to other accounts", config.Site.Code);
}
