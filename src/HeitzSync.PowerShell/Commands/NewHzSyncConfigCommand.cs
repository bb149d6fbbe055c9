using System.Management.Automation;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Secrets;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Writes a node's configuration file from the essentials (role, identity, database, drop, key file); passwords go
/// to the secret store beside it, the file only names them. Other settings keep their defaults (Set-HzSyncConfig
/// changes them).
/// </summary>
[Cmdlet(VerbsCommon.New, "HzSyncConfig", SupportsShouldProcess = true, DefaultParameterSetName = FolderSet, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzSyncConfig))]
public sealed class NewHzSyncConfigCommand : HzCmdlet
{
    private const string FolderSet = "Folder";
    private const string FtpSet = "Ftp";

    /// <summary>The secret names this cmdlet stores passwords under.</summary>
    internal const string DatabaseSecret = NewNodeConfig.DatabaseSecret, FtpSecret = NewNodeConfig.FtpSecret;

    /// <summary>The configuration file to write; default: HEITZSYNC_CONFIG, else the platform's default path.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ConfigPath")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter(Mandatory = true)]
    public NodeRole Role { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string SiteCode { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 999)]
    public int SiteNumber { get; set; }

    /// <summary>The database file (embedded), or its path or alias on -DatabaseServer.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string DatabasePath { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DatabaseServer { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int DatabasePort { get; set; } = 3050;

    /// <summary>The Firebird server login; its password is stored as the secret "database".</summary>
    [Parameter]
    [Credential]
    public PSCredential? DatabaseCredential { get; set; }

    /// <summary>Folder drop: the Siège's drop folder. FTP drop: the drop root on the server (default "/").</summary>
    [Parameter(Mandatory = true, ParameterSetName = FolderSet)]
    [Parameter(ParameterSetName = FtpSet)]
    [ValidateNotNullOrEmpty]
    public string? DropPath { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = FtpSet)]
    [ValidateNotNullOrEmpty]
    public string FtpHost { get; set; } = "";

    [Parameter(ParameterSetName = FtpSet)]
    [ValidateRange(1, 65535)]
    public int FtpPort { get; set; } = 21;

    /// <summary>This site's FTP login; its password is stored as the secret "ftp".</summary>
    [Parameter(Mandatory = true, ParameterSetName = FtpSet)]
    [Credential]
    public PSCredential FtpCredential { get; set; } = PSCredential.Empty;

    [Parameter(ParameterSetName = FtpSet)]
    [ValidateNotNullOrEmpty]
    public string? FtpCertificateThumbprint { get; set; }

    /// <summary>Plain FTP instead of explicit TLS: only on a network where nobody can listen.</summary>
    [Parameter(ParameterSetName = FtpSet)]
    public SwitchParameter PlainFtp { get; set; }

    /// <summary>The group key file (New-HzSyncKey); default "group.key" beside the configuration.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyFile { get; set; }

    /// <summary>Replaces an existing configuration file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolvePath(string.IsNullOrEmpty(Path) ? HzSyncConfigStore.DefaultPath : Path!);
        var ftp = ParameterSetName == FtpSet;

        var config = new NewNodeConfig
        {
            Role = Role,
            SiteCode = SiteCode,
            SiteNumber = SiteNumber,
            // A server path is the server's business; a local file is made absolute from the current location.
            DatabasePath = DatabaseServer is null ? ResolvePath(DatabasePath) : DatabasePath,
            DatabaseServer = DatabaseServer,
            DatabasePort = DatabasePort,
            DatabaseUser = DatabaseCredential?.UserName,
            DropPath = ftp ? DropPath : ResolvePath(DropPath!),
            FtpHost = ftp ? FtpHost : null,
            FtpPort = FtpPort,
            FtpUser = ftp ? FtpCredential.UserName : null,
            FtpCertificateThumbprint = FtpCertificateThumbprint,
            PlainFtp = PlainFtp,
            KeyFile = KeyFile is null ? null : ResolvePath(KeyFile),
        }.Build(path);

        var problems = HzSyncConfigStore.Validate(config);
        if (problems.Count > 0)
        {
            WriteHzError(new HzConfigException(path, problems), ErrorIds.ConfigInvalid, ErrorCategory.InvalidArgument, path);
            return;
        }
        foreach (var credential in new[] { DatabaseCredential, ftp ? FtpCredential : null })
        {
            if (credential is not null && string.IsNullOrEmpty(credential.GetNetworkCredential().Password))
            {
                WriteHzError(new ArgumentException($"The credential of {credential.UserName} has an empty password: give the real password (nothing was written)."),
                    ErrorIds.CredentialPasswordEmpty, ErrorCategory.InvalidArgument, credential.UserName);
                return;
            }
        }
        var exists = File.Exists(path);
        try
        {
            NewNodeConfig.EnsureMayWrite(path, Force);
        }
        catch (IOException ex)
        {
            WriteHzError(ex, ErrorIds.ConfigExists, ErrorCategory.ResourceExists, path);
            return;
        }
        if (!ShouldProcess(path, exists ? "Replace the HeitzSync configuration" : "Create a HeitzSync configuration")) return;

        var secrets = SecretStore.ForConfig(config);
        try
        {
            if (DatabaseCredential is not null) StoreSecret(secrets, DatabaseSecret, DatabaseCredential);
            if (ftp) StoreSecret(secrets, FtpSecret, FtpCredential);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            WriteHzError(ex, ErrorIds.SecretWriteFailed, ErrorCategory.WriteError, secrets.Folder);
            return;
        }

        try
        {
            HzSyncConfigStore.Save(config, path);
            WriteObject(HzSyncConfigStore.Load(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HzConfigException)
        {
            WriteHzError(ex, ErrorIds.ConfigWriteFailed, ErrorCategory.WriteError, path);
        }
    }

    private void StoreSecret(SecretStore secrets, string name, PSCredential credential)
    {
        secrets.Set(name, credential.GetNetworkCredential().Password);
        WriteVerbose($"Stored the password of {credential.UserName} as secret '{name}' in {secrets.Folder}.");
    }
}
