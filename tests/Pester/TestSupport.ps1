# Shared by the Pester tests: imports the BUILT module (build.ps1 assembles output/HeitzSync/<version>/).
# HEITZSYNC_MODULE points at another built module folder or manifest (e.g. a build made outside the work tree).
# A missing build is a failure, never a skip.

function Import-HzBuiltModule {
    $manifest = $env:HEITZSYNC_MODULE
    if ($manifest -and (Test-Path -LiteralPath $manifest -PathType Container)) {
        $manifest = Join-Path $manifest 'HeitzSync.psd1'
    }
    if (-not $manifest) {
        $root = Join-Path $PSScriptRoot '../../output/HeitzSync'
        $latest = Get-ChildItem -LiteralPath $root -Directory -ErrorAction SilentlyContinue |
            Where-Object { Test-Path -LiteralPath (Join-Path $_.FullName 'HeitzSync.psd1') } |
            Sort-Object { [version] $_.Name } -Descending |
            Select-Object -First 1
        if (-not $latest) {
            throw "No built module under ${root}: run ./build.ps1 first (or set HEITZSYNC_MODULE to a built module folder)."
        }
        $manifest = Join-Path $latest.FullName 'HeitzSync.psd1'
    }
    if (-not (Test-Path -LiteralPath $manifest)) { throw "HEITZSYNC_MODULE points at $manifest, which does not exist." }
    Import-Module $manifest -Force -ErrorAction Stop
}

# A full path with the platform's separators ('a/b' becomes a\b on Windows), as the cmdlets write paths.
function Join-HzPath {
    param([Parameter(Mandatory, Position = 0)] [string] $Path, [Parameter(Mandatory, Position = 1)] [string] $ChildPath)
    [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($Path, $ChildPath))
}

function New-HzTestCredential {
    param([string] $UserName = 'LYON01', [string] $Password = 'Fr0m-the-test!')
    [pscredential]::new($UserName, (ConvertTo-SecureString $Password -AsPlainText -Force))
}

# A usable site configuration with a folder drop, in its own folder under $TestDrive.
function New-HzTestConfig {
    param([string] $Name = 'node', [string] $Role = 'Site', [string] $SiteCode = 'LYON01', [int] $SiteNumber = 2)
    $folder = Join-Path $TestDrive $Name
    New-Item -ItemType Directory -Path $folder -Force | Out-Null
    $path = Join-Path $folder 'heitzsync.json'
    New-HzSyncConfig -Path $path -Role $Role -SiteCode $SiteCode -SiteNumber $SiteNumber `
        -DatabasePath (Join-Path $folder 'club.fdb') -DropPath (Join-Path $TestDrive 'drop') | Out-Null
    $path
}

# The permission bits of a file on Unix (e.g. 600), for the owner-only checks.
function Get-HzUnixMode {
    param([string] $Path)
    [Convert]::ToString([int] [System.IO.File]::GetUnixFileMode($Path), 8)
}
