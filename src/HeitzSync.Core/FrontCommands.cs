namespace HeitzSync.Core;

/// <summary>The front a process runs HeitzSync through: the messages of the engine name that front's commands.</summary>
public enum HzFront
{
    /// <summary>The PowerShell module (cmdlets, scheduled scripts).</summary>
    PowerShell,

    /// <summary>The <c>hzsync</c> console.</summary>
    Console,
}

/// <summary>
/// The commands the engine's errors and fixes point to, in the words of the front that runs them: a user of
/// <c>hzsync</c> on a machine without PowerShell is told <c>hzsync secret set ftp</c>, a PowerShell user
/// <c>Set-HzSyncCredential -Name ftp</c>. One front runs per process; <c>hzsync</c> sets <see cref="Current"/> at start.
/// </summary>
public static class FrontCommands
{
    private static int _current = (int)HzFront.PowerShell;

    public static HzFront Current
    {
        get => (HzFront)Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, (int)value);
    }

    private static string Pick(string powerShell, string console) => Current == HzFront.Console ? console : powerShell;

    /// <summary>Makes a node's configuration file.</summary>
    public static string NewConfig => Pick("New-HzSyncConfig", "hzsync config new");

    /// <summary>Changes settings of the configuration.</summary>
    public static string SetConfig => Pick("Set-HzSyncConfig", "an edit of the configuration file");

    /// <summary>Makes the group key file.</summary>
    public static string NewKey => Pick("New-HzSyncKey", "hzsync key new");

    /// <summary>Replaces an existing group key file.</summary>
    public static string NewKeyForce => Pick("New-HzSyncKey -Force", "hzsync key new --force");

    /// <summary>Stores the secret <paramref name="name"/> (a password read without echo, never from the command line).</summary>
    public static string StoreSecret(string name) => Pick($"Set-HzSyncCredential -Name {name}", $"hzsync secret set {name}");

    /// <summary>Stores the password of a login and names its secret in the configuration; <paramref name="login"/> is
    /// Database, Ftp or Smtp, <paramref name="setting"/> the configuration's passwordSecret setting.</summary>
    public static string StoreLogin(string login, string setting) =>
        Pick($"Set-HzSyncCredential -For {login}", $"name a secret in {setting} and store it with hzsync secret set <name>");

    /// <summary>Installs capture in the node's database.</summary>
    public static string Initialize => Pick("Initialize-HzSite", "hzsync init");

    /// <summary>Checks everything a night needs.</summary>
    public static string Test => Pick("Test-HzSiege", "hzsync test");

    /// <summary>Asks a running night to stop.</summary>
    public static string Stop => Pick("Stop-HzSync", "hzsync stop");

    /// <summary>One run's report in detail.</summary>
    public static string Report(string id) => Pick($"Get-HzSyncReport -Id {id}", $"hzsync report --id {id}");

    /// <summary>The switch that lets a command replace what exists.</summary>
    public static string Force => Pick("-Force", "--force");

    /// <summary>Replaces an existing scheduled task.</summary>
    public static string RegisterForce => Pick("Register-HzSyncTask -Force", "hzsync register --force");

    /// <summary>Consolidates at the Siège.</summary>
    public static string Consolidate => Pick("Invoke-HzConsolidation", "hzsync consolidate");
}
