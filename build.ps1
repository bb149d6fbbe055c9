<#
.SYNOPSIS
    Builds HeitzSync, assembles the importable module, and optionally runs the tests.
.DESCRIPTION
    For Windows and pwsh users (the CI machine runs .ci/run instead). Builds the solution, then assembles
    output/HeitzSync/<version>/ with the module manifest (its version stamped from Directory.Build.props, the one
    place the version lives), the format file, the scheduled scripts (module/Scripts, when present) and the cmdlet
    assembly with its netstandard2.0 dependencies (HeitzSync.Core, HeitzSync.Firebird, System.Text.Json...), but not
    System.Management.Automation, which PowerShell provides.

    Help: with PlatyPS installed, docs/en-US is compiled into en-US/HeitzSync.PowerShell.dll-Help.xml and
    about_HeitzSync.help.txt. Without it, about_HeitzSync is copied as text (Get-Help about_HeitzSync works) and the
    cmdlet pages stay markdown in docs/en-US; the build says so.
.PARAMETER Test
    Also runs the xunit tests (dotnet test, one assembly at a time) and, when Pester 5 is available, the Pester
    tests in tests/Pester against the module just assembled. The integration tests need the Firebird engine and
    vsftpd (see README.md).
.PARAMETER Configuration
    Release (default) or Debug.
.PARAMETER ArtifactsPath
    Builds into this folder (dotnet --artifacts-path) instead of the projects' bin/obj folders, so that builds
    running side by side do not overwrite each other's output.
.PARAMETER OutputPath
    Where to assemble the module; default: output/ under the repository.
.EXAMPLE
    ./build.ps1
    Import-Module ./output/HeitzSync
.EXAMPLE
    ./build.ps1 -Test -ArtifactsPath /tmp/hzb
#>
[CmdletBinding()]
param(
    [switch] $Test,
    [ValidateSet('Release', 'Debug')] [string] $Configuration = 'Release',
    [string] $ArtifactsPath,
    [string] $OutputPath
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot

[xml] $props = Get-Content -LiteralPath (Join-Path $root 'Directory.Build.props')
$version = @($props.Project.PropertyGroup | ForEach-Object { $_.SelectSingleNode('Version') } | Where-Object { $_ } | ForEach-Object { $_.InnerText })[0]
if (-not $version) { throw 'Directory.Build.props has no <Version>: it is where the module version lives.' }
Write-Host "HeitzSync $version ($Configuration)"

$buildArguments = @('build', (Join-Path $root 'HeitzSync.sln'), '-c', $Configuration, '-nologo')
if ($ArtifactsPath) {
    $ArtifactsPath = [System.IO.Path]::GetFullPath($ArtifactsPath)
    $buildArguments += @('--artifacts-path', $ArtifactsPath)
}
& dotnet @buildArguments
if ($LASTEXITCODE -ne 0) { throw "dotnet build failed (exit code $LASTEXITCODE)." }

# Where the cmdlet project's output is: bin/<Configuration>/netstandard2.0, or the artifacts layout.
$binaries = if ($ArtifactsPath) {
    Join-Path $ArtifactsPath "bin/HeitzSync.PowerShell/$($Configuration.ToLowerInvariant())"
}
else {
    Join-Path $root "src/HeitzSync.PowerShell/bin/$Configuration/netstandard2.0"
}
if (-not (Test-Path -LiteralPath (Join-Path $binaries 'HeitzSync.PowerShell.dll'))) {
    throw "The build did not produce HeitzSync.PowerShell.dll in $binaries."
}

if (-not $OutputPath) { $OutputPath = Join-Path $root 'output' }
$output = Join-Path ([System.IO.Path]::GetFullPath($OutputPath)) "HeitzSync/$version"
if (Test-Path -LiteralPath $output) { Remove-Item -LiteralPath $output -Recurse -Force }
New-Item -ItemType Directory -Path $output | Out-Null

Get-ChildItem -LiteralPath $binaries -Filter '*.dll' |
    Where-Object { $_.Name -ne 'System.Management.Automation.dll' } |
    Copy-Item -Destination $output

$module = Join-Path $root 'module'
$manifest = Get-Content -LiteralPath (Join-Path $module 'HeitzSync.psd1') -Raw
$stamped = [regex]::Replace($manifest, "ModuleVersion(\s*)=(\s*)'[^']*'", "ModuleVersion`$1=`$2'$version'")
if ($stamped -eq $manifest -and $manifest -notmatch "ModuleVersion\s*=\s*'$([regex]::Escape($version))'") {
    throw "module/HeitzSync.psd1 has no ModuleVersion = '...' line to stamp."
}
# UTF-8 with a BOM: Windows PowerShell 5.1 reads a manifest without one as ANSI.
[System.IO.File]::WriteAllText((Join-Path $output 'HeitzSync.psd1'), $stamped, [System.Text.UTF8Encoding]::new($true))
Get-ChildItem -LiteralPath $module -Filter '*.ps1xml' | Copy-Item -Destination $output
if (Test-Path -LiteralPath (Join-Path $module 'Scripts')) {
    Copy-Item -LiteralPath (Join-Path $module 'Scripts') -Destination $output -Recurse
}

$docs = Join-Path $root 'docs/en-US'
$help = Join-Path $output 'en-US'
New-Item -ItemType Directory -Path $help | Out-Null
if (Get-Module -ListAvailable -Name platyPS) {
    Import-Module platyPS
    New-ExternalHelp -Path $docs -OutputPath $help -Force | Out-Null
    Write-Host "Help compiled with PlatyPS into $help."
}
else {
    Copy-Item -LiteralPath (Join-Path $docs 'about_HeitzSync.md') -Destination (Join-Path $help 'about_HeitzSync.help.txt')
    Write-Host 'PlatyPS is not installed: cmdlet help was not compiled (the pages are docs/en-US/*.md); about_HeitzSync was copied as text.'
}
Write-Host "Module: $output"

if ($Test) {
    $testArguments = @('test', (Join-Path $root 'HeitzSync.sln'), '-c', $Configuration, '--no-build', '-nologo', '-m:1')
    if ($ArtifactsPath) { $testArguments += @('--artifacts-path', $ArtifactsPath) }
    & dotnet @testArguments
    $xunitFailed = $LASTEXITCODE -ne 0

    $pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version] '5.0' } | Sort-Object Version -Descending | Select-Object -First 1
    $pesterFailed = $false
    if ($pester) {
        Import-Module $pester
        $previous = $env:HEITZSYNC_MODULE
        $env:HEITZSYNC_MODULE = $output
        try {
            $result = Invoke-Pester -Path (Join-Path $root 'tests/Pester') -Output Detailed -PassThru
        }
        finally {
            $env:HEITZSYNC_MODULE = $previous
        }
        $pesterFailed = $result.FailedCount -gt 0 -or $result.Result -ne 'Passed'
        Write-Host "Pester: $($result.PassedCount) passed, $($result.FailedCount) failed."
    }
    else {
        Write-Host 'Pester 5 is not installed: the Pester tests were not run.'
    }
    if ($xunitFailed) { throw 'dotnet test failed.' }
    if ($pesterFailed) { throw 'Pester tests failed.' }
}
