<#
.SYNOPSIS
    Builds HeitzSync, assembles the importable module, and optionally runs the tests.
.DESCRIPTION
    For Windows and pwsh users (the CI machine runs .ci/run instead). Builds the solution in Release, then
    assembles output/HeitzSync/<version>/ with the module manifest (its version stamped from
    Directory.Build.props), the format and types files, the scheduled scripts, and the cmdlet assembly with its
    netstandard2.0 dependencies. Help is generated from docs/en-US when PlatyPS is installed.
.PARAMETER Test
    Also runs the xunit tests (dotnet test) and, when Pester 5 is available, the Pester tests in tests/Pester.
.PARAMETER Configuration
    Release (default) or Debug.
.EXAMPLE
    ./build.ps1
    Import-Module ./output/HeitzSync
.EXAMPLE
    ./build.ps1 -Test
#>
[CmdletBinding()]
param(
    [switch] $Test,
    [ValidateSet('Release', 'Debug')] [string] $Configuration = 'Release'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot

[xml] $props = Get-Content -LiteralPath (Join-Path $root 'Directory.Build.props')
$version = @($props.Project.PropertyGroup | ForEach-Object { $_.Version } | Where-Object { $_ })[0]
Write-Host "HeitzSync $version ($Configuration)"

& dotnet build (Join-Path $root 'HeitzSync.sln') -c $Configuration -nologo
if ($LASTEXITCODE -ne 0) { throw "dotnet build failed (exit code $LASTEXITCODE)." }

$output = Join-Path $root "output/HeitzSync/$version"
if (Test-Path -LiteralPath $output) { Remove-Item -LiteralPath $output -Recurse -Force }
New-Item -ItemType Directory -Path $output | Out-Null

$binaries = Join-Path $root "src/HeitzSync.PowerShell/bin/$Configuration/netstandard2.0"
Get-ChildItem -LiteralPath $binaries -Filter '*.dll' |
    Where-Object { $_.Name -ne 'System.Management.Automation.dll' } |
    Copy-Item -Destination $output

$module = Join-Path $root 'module'
if (Test-Path -LiteralPath (Join-Path $module 'HeitzSync.psd1')) {
    $manifest = Get-Content -LiteralPath (Join-Path $module 'HeitzSync.psd1') -Raw
    $manifest = $manifest -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion = '$version'"
    Set-Content -LiteralPath (Join-Path $output 'HeitzSync.psd1') -Value $manifest -Encoding UTF8
    Get-ChildItem -LiteralPath $module -Filter '*.ps1xml' | Copy-Item -Destination $output
    if (Test-Path -LiteralPath (Join-Path $module 'Scripts')) {
        Copy-Item -LiteralPath (Join-Path $module 'Scripts') -Destination $output -Recurse
    }
}
else {
    Write-Warning "module/HeitzSync.psd1 is missing: the folder holds the assemblies only."
}

if (Get-Module -ListAvailable -Name platyPS) {
    Import-Module platyPS
    New-ExternalHelp -Path (Join-Path $root 'docs/en-US') -OutputPath (Join-Path $output 'en-US') -Force | Out-Null
}
else {
    Write-Host 'PlatyPS is not installed: no compiled help (the markdown in docs/en-US is the help).'
}
Write-Host "Module: $output"

if ($Test) {
    & dotnet test (Join-Path $root 'HeitzSync.sln') -c $Configuration --no-build -nologo -m:1
    if ($LASTEXITCODE -ne 0) { throw "dotnet test failed (exit code $LASTEXITCODE)." }
    $pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0' } | Select-Object -First 1
    if ($pester -and (Test-Path -LiteralPath (Join-Path $root 'tests/Pester'))) {
        Import-Module $pester
        $result = Invoke-Pester -Path (Join-Path $root 'tests/Pester') -Output Detailed -PassThru
        if ($result.FailedCount -gt 0) { throw "$($result.FailedCount) Pester test(s) failed." }
    }
    else {
        Write-Host 'Pester 5 is not installed: the Pester tests were not run.'
    }
}
