<#
.SYNOPSIS
    Builds HeitzSync, assembles the importable module, and optionally runs the tests.
.DESCRIPTION
    For Windows and pwsh users (the CI machine runs .ci/run instead). Builds the solution, then assembles
    output/HeitzSync/<version>/ with the module manifest (its version stamped from Directory.Build.props, the one
    place the version lives), the format file, the scheduled scripts (module/Scripts, when present) and the cmdlet
    assembly with its netstandard2.0 dependencies (HeitzSync.Core, HeitzSync.Firebird, System.Text.Json...), but not
    System.Management.Automation, which PowerShell provides.

    Help: build/HeitzSync.Build (our own code; PlatyPS is not needed) compiles docs/en-US into
    en-US/HeitzSync.PowerShell.dll-Help.xml (MAML, what Get-Help reads) and about_HeitzSync.help.txt, so the module
    always carries its full help.
.PARAMETER Package
    Also packs the module as output/packages/HeitzSync.<version>.nupkg, the package a PowerShell repository serves
    (manifest at the root, .nuspec with the manifest's tags, license and release notes): register the folder with
    Register-PSResourceRepository -Uri, then Install-PSResource HeitzSync (README.md, "Install the module").
.PARAMETER Test
    Also runs the xunit tests (dotnet test, one assembly at a time) and, when Pester 5 is available, the Pester
    tests in tests/Pester against the module just assembled (and packs it, as -Package does: a Pester test installs
    the package). To run the Pester tests alone, build with -Package first. The integration tests need the Firebird engine and
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
    ./build.ps1 -Package
    Register-PSResourceRepository -Name Local -Uri ./output/packages -Trusted
    Install-PSResource HeitzSync -Repository Local
.EXAMPLE
    ./build.ps1 -Test -ArtifactsPath /tmp/hzb
#>
[CmdletBinding()]
param(
    [switch] $Test,
    [switch] $Package,
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

# Where the cmdlet project's and the build tool's outputs are: bin/<Configuration>/<framework>, or the artifacts layout.
$pivot = $Configuration.ToLowerInvariant()
$binaries = if ($ArtifactsPath) { Join-Path $ArtifactsPath "bin/HeitzSync.PowerShell/$pivot" } else { Join-Path $root "src/HeitzSync.PowerShell/bin/$Configuration/netstandard2.0" }
$builder = if ($ArtifactsPath) { Join-Path $ArtifactsPath "bin/HeitzSync.Build/$pivot/HeitzSync.Build.dll" } else { Join-Path $root "build/HeitzSync.Build/bin/$Configuration/net10.0/HeitzSync.Build.dll" }
if (-not (Test-Path -LiteralPath $builder)) { throw "The build did not produce $builder." }

# build/HeitzSync.Build assembles output/HeitzSync/<version>/: the manifest stamped with the version, the format file,
# the scheduled scripts, the cmdlet assembly and its netstandard2.0 dependencies (not System.Management.Automation,
# which PowerShell provides), and the help compiled from docs/en-US; with -Package, the .nupkg too.
if (-not $OutputPath) { $OutputPath = Join-Path $root 'output' }
$OutputPath = [System.IO.Path]::GetFullPath($OutputPath)
$output = Join-Path $OutputPath "HeitzSync/$version"
$moduleArguments = @($builder, 'module', '--repository', $root, '--binaries', $binaries, '--output', $OutputPath)
# -Test packs too: the Pester tests install the package as an admin would.
if ($Package -or $Test) { $moduleArguments += @('--package', (Join-Path $OutputPath 'packages')) }
& dotnet @moduleArguments
if ($LASTEXITCODE -ne 0) { throw "Assembling the module failed (exit code $LASTEXITCODE)." }

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
