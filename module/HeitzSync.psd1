# HeitzSync module manifest. ModuleVersion is stamped by build.ps1 from Directory.Build.props (the one place the
# version lives); the value here is only what an unbuilt checkout says.
@{
    RootModule             = 'HeitzSync.PowerShell.dll'
    ModuleVersion          = '0.1.0'
    GUID                   = '9f408c5f-797d-49e0-b207-5e62049828c4'
    Author                 = 'HeitzSync contributors'
    CompanyName            = 'HeitzSync'
    Copyright              = 'HeitzSync contributors'
    Description            = 'Keeps the Firebird databases of a chain of establishments in step through a head office (the Siege) every night: backup, extract, send, consolidate, publish, receive and apply, with nothing lost and nothing applied twice.'

    CompatiblePSEditions   = @('Desktop', 'Core')
    PowerShellVersion      = '5.1'
    DotNetFrameworkVersion = '4.7.2'

    FormatsToProcess       = @('HeitzSync.Format.ps1xml')

    # No HelpInfoUri: updatable help needs a web address that serves HeitzSync_<GUID>_HelpInfo.xml and the help's cab
    # files, and the project has none. The module carries its full help (en-US/, compiled from docs/en-US by build.ps1),
    # so Get-Help works offline; with a HelpInfoUri pointing nowhere, Update-Help would only report an error.

    # Listed one by one (never '*'): the xunit metadata test compares this list with the cmdlets the assembly holds.
    # Every cmdlet of DESIGN.md section 9 is here.
    CmdletsToExport        = @(
        'New-HzSyncKey'
        'New-HzSyncConfig'
        'Get-HzSyncConfig'
        'Set-HzSyncConfig'
        'Set-HzSyncCredential'
        'Get-HzSyncCredential'
        'Remove-HzSyncCredential'
        'Initialize-HzSite'
        'Invoke-HzSync'
        'Invoke-HzConsolidation'
        'Unregister-HzSite'
        'Stop-HzSync'
        'Get-HzSyncReport'
        'Start-HzBackup'
        'Send-HzBackup'
        'Receive-HzBackup'
        'Register-HzSyncTask'
        'Get-HzSyncTask'
        'Unregister-HzSyncTask'
        'Test-HzSiege'
        'Compare-HzDatabase'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()

    PrivateData            = @{
        PSData = @{
            Tags         = @('HeitzSync', 'Firebird', 'Sync', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux')
            # The MIT license (LICENSE at the repository's root). No ProjectUri: the project has no public home page yet.
            LicenseUri   = 'https://opensource.org/license/mit'
            # CHANGELOG.md's newest entry, word for word (a test compares them); '' is a quote in this string.
            ReleaseNotes = '
- First release: the nightly synchronisation of a chain''s Firebird databases through the Siège (backup, extract, send, consolidate, publish, receive and apply), exactly once, resumed after any failure.
- Cmdlets for every step and the whole night (Invoke-HzSync, Invoke-HzConsolidation, Start-/Send-/Receive-HzBackup), checks (Test-HzSiege, Compare-HzDatabase), configuration, credentials, keys, reports and scheduled tasks; hzsync, the console front, with the same operations.
- Full help in the console (Get-Help, compiled from docs/en-US at build time) and about_HeitzSync.
- Installable from a PowerShell repository: build.ps1 -Package makes the .nupkg (Install-PSResource HeitzSync).
- Pipelines that hold per record (objects carry ConfigPath), Get-HzSyncConfig | Set-HzSyncConfig, -Path with wildcards and -LiteralPath, argument completion, enum names and hh:mm:ss durations in ConvertTo-Json, default views that fit 120 columns.
- Get-HzSyncCredential and Remove-HzSyncCredential, Get-HzSyncTask and Unregister-HzSyncTask.
- A run refused because another one holds the node''s lock is an error (RunInProgress), no longer a failed run in the reports.
- Sites join by their init (registered in the drop) and leave by Unregister-HzSite (hzsync unregister); a night waits for tonight''s packages, a site for the answer to what it sent; full restores keep a site''s unsent changes; damaged packages are set aside once; a cut upload resumes.
- Sites over FTPS with one account per site that sees only its own folder: drop.scope (Site or Drop), the Siège''s copy of siege.json in every site folder, Test-HzSiege''s SiteFolder check naming the setting when the site''s view is wrong, and docs/ftp-siege.md, a complete vsftpd setup the tests run (IIS FTP and FileZilla Server notes).
- A transaction held open for days no longer makes every night resend everything since it began: acknowledgements list the transactions that were open (capture version 3: run init on every node after upgrading).
- Capture no longer doubles the database: the initial load writes no version row per row, a site keeps only its pending changes, the Siège folds what every site has applied, and a full restore starts with empty version tables (capture version 4: run init on every node after upgrading; it upgrades from versions 2 and 3).
- Keys fed by identity columns (GENERATED BY DEFAULT AS IDENTITY) are moved into each node''s key range by init and kept by a full restore, as sequences are; Compare-HzDatabase and hzsync compare leave local columns out and name them (NotCompared).
- The Siège no longer writes a version row per row of a site''s initial load: it holds the load in runs of keys (HZ$LOADS, tables keyed by one integer column), and its version tables keep their primary key only (run init at the Siège after upgrading: it makes HZ$LOADS and drops the SEQ and TX indexes; until then consolidation writes version rows as before).
- Consolidation at the Siège tries each change as a new key first (an INSERT of the row and of its version row, no lookup; a key the master already has goes the usual way, and a table whose changes are mostly updates stops trying), and each batch call binds only the fields of a change that its statement reads: a night of new rows consolidates at about two thirds of the rate of a plain INSERT loop of the same rows (bench measure 2). No setting, no init.
'
        }
    }
}
