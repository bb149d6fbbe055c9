<#
.SYNOPSIS
    The scheduled script of a Site: runs a site's night: safety backup, send its changes, wait for the Siège's package and apply it.
.DESCRIPTION
    What Register-HzSyncTask schedules on a node whose configuration says "role": "Site". Imports the module of the
    folder above (../HeitzSync.psd1), runs Invoke-HzSync with the configuration, and prints one summary line last:
        HeitzSync SITE <code> <STATE>: ..., <n> conflicts, hh:mm:ss (report <id>)
    Exit codes for RMM tools: 0 OK, 1 partial, 2 failed or stopped; a configuration that cannot be loaded, or one of
    the other role, is 2. Runs under Windows PowerShell 5.1 and PowerShell 7.
.PARAMETER ConfigPath
    The node's configuration file; default: HEITZSYNC_CONFIG, else the platform's default path.
.EXAMPLE
    pwsh -NoProfile -NonInteractive -File Invoke-HzSiteNight.ps1 -ConfigPath /etc/heitzsync/heitzsync.json
#>
[CmdletBinding()]
param([string] $ConfigPath)

& (Join-Path $PSScriptRoot 'HzNight.ps1') -Role Site -ConfigPath $ConfigPath
exit $LASTEXITCODE
