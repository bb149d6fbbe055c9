<#
.SYNOPSIS
    The body of the scheduled scripts Invoke-HzSiteNight.ps1 and Invoke-HzSiegeNight.ps1 (schedule those, not this).
.DESCRIPTION
    Imports the module this folder belongs to (../HeitzSync.psd1), checks that the configuration is one of the
    role's, runs Invoke-HzSync, and ends with one summary line and the exit code RMM tools read:
    0 OK, 1 partial, 2 failed or stopped (HzSyncRun.ExitCode); a configuration that cannot be loaded, a node of the
    other role, or a module that cannot be imported is 2 too.
    Plain text only, for RMM tools that capture both streams: the summary line alone on stdout; each error of the
    night as one line on stderr ("error <ErrorId>: <message>"), each warning as "warning: <message>"; the detail
    (gbak's own lines...) is in the report (Get-HzSyncReport -Id, hzsync report --id).
    Written for Windows PowerShell 5.1 and PowerShell 7 alike.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [ValidateSet('Site', 'Siege')] [string] $Role,
    [string] $ConfigPath
)
Set-StrictMode -Version 3.0
$label = $Role.ToUpperInvariant()
$node = if ($ConfigPath) { $ConfigPath } else { '(default configuration)' }

# RMM tools capture both streams: plain text only (no colours, no progress bars), one line per error on stderr (never
# the ErrorRecord's multi-line view), and the one summary line on stdout. The detail is in the report.
if (Get-Variable -Name PSStyle -ErrorAction SilentlyContinue) { $PSStyle.OutputRendering = 'PlainText' }
$ProgressPreference = 'SilentlyContinue'

function Get-HzOneLine([string] $Text) { ($Text -replace '\s+', ' ').Trim() }

function Write-HzStandardError([string] $Kind, [string] $Text) { [Console]::Error.WriteLine("$Kind`: $(Get-HzOneLine $Text)") }

try {
    Import-Module (Join-Path $PSScriptRoot '../HeitzSync.psd1') -ErrorAction Stop
}
catch {
    Write-Output "HeitzSync $label $node FAILED: the HeitzSync module could not be imported: $(Get-HzOneLine $_.Exception.Message)"
    exit 2
}

try {
    $common = @{}
    if ($ConfigPath) { $common['ConfigPath'] = $ConfigPath }

    $configErrors = $null
    $config = Get-HzSyncConfig @common -ErrorAction SilentlyContinue -ErrorVariable configErrors
    if (-not $config) {
        $why = if ($configErrors) { Get-HzOneLine $configErrors[0].Exception.Message } else { 'the configuration could not be loaded' }
        Write-Output "HeitzSync $label $node FAILED: $why"
        exit 2
    }
    $node = $config.Site.Code
    if ($config.Role.ToString() -ne $Role) {
        $other = if ($config.Role.ToString() -eq 'Siege') { 'Invoke-HzSiegeNight.ps1' } else { 'Invoke-HzSiteNight.ps1' }
        Write-Output "HeitzSync $label $node FAILED: $($config.ConfigPath) is the configuration of a $($config.Role), not of a $Role`: schedule $other (Register-HzSyncTask picks the right script)"
        exit 2
    }

    $nightErrors = $null
    $nightWarnings = $null
    $run = Invoke-HzSync @common -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable nightErrors -WarningAction SilentlyContinue -WarningVariable nightWarnings
    foreach ($warning in @($nightWarnings)) { if ($warning) { Write-HzStandardError 'warning' $warning.Message } }
    $runErrors = @($nightErrors | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
    foreach ($record in $runErrors) {
        Write-HzStandardError "error $(($record.FullyQualifiedErrorId -split ',')[0])" $record.Exception.Message
    }
    if (-not $run) {
        # No run at all: refused (RunInProgress: another run holds the node's lock) or not started.
        $why = if ($runErrors) { Get-HzOneLine $runErrors[0].Exception.Message } else { 'the night did not run' }
        Write-Output "HeitzSync $label $node FAILED: $why"
        exit 2
    }
    $run = @($run)[-1]
    $duration = $run.Duration   # hh:mm:ss
    $rows = if ($Role -eq 'Siege') {
        "$($run.SitesDelivered) of $($run.SitesExpected) sites, received $($run.RowsReceived), sent $($run.RowsSent) rows"
    }
    else {
        "sent $($run.RowsSent), received $($run.RowsReceived) rows"
    }
    $line = "HeitzSync $label $node $($run.State.ToString().ToUpperInvariant()): $rows, $($run.Conflicts) conflicts, $duration (report $($run.Id))"
    if ($run.State.ToString() -ne 'OK' -and $run.Summary) { $line += " - $(Get-HzOneLine $run.Summary)" }
    Write-Output $line
    exit $run.ExitCode
}
catch {
    Write-Output "HeitzSync $label $node FAILED: $(Get-HzOneLine $_.Exception.Message)"
    exit 2
}
