BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
    $module = Get-Module HeitzSync

    # Runs a script in a new PowerShell whose HOME is $HomeFolder (XDG_* unset: PowerShell would read them, PSResourceGet
    # does not); returns its output lines.
    function Invoke-HzTestShell([string] $HomeFolder, [string] $Script) {
        $saved = @{}
        foreach ($name in 'HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'USERPROFILE', 'LOCALAPPDATA', 'APPDATA') { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
        try {
            foreach ($name in 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME') { [Environment]::SetEnvironmentVariable($name, $null) }
            [Environment]::SetEnvironmentVariable('HOME', $HomeFolder)
            if ($IsWindows) {
                [Environment]::SetEnvironmentVariable('USERPROFILE', $HomeFolder)
                [Environment]::SetEnvironmentVariable('LOCALAPPDATA', (Join-Path $HomeFolder 'AppData/Local'))
                [Environment]::SetEnvironmentVariable('APPDATA', (Join-Path $HomeFolder 'AppData/Roaming'))
            }
            Push-Location -LiteralPath $HomeFolder
            try { & (Get-Process -Id $PID).Path -NoProfile -NonInteractive -Command $Script 2>&1 | ForEach-Object { "$_" } }
            finally { Pop-Location }
        }
        finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }
    }
}

Describe 'The HeitzSync module' {
    It 'exports exactly the cmdlets its manifest lists, and nothing else' {
        $manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $module.ModuleBase 'HeitzSync.psd1')
        ($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        $module.ExportedFunctions.Count | Should -Be 0
        $module.ExportedAliases.Count | Should -Be 0
    }

    It 'carries the version of the build' {
        $module.Version | Should -Not -Be ([version] '0.0')
        $assembly = [HeitzSync.PowerShell.HzSyncKeyInfo].Assembly.GetName().Version
        $module.Version.ToString(3) | Should -Be $assembly.ToString(3)
    }

    It 'ships its dependencies but not System.Management.Automation' {
        Test-Path -LiteralPath (Join-Path $module.ModuleBase 'HeitzSync.Core.dll') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $module.ModuleBase 'HeitzSync.Firebird.dll') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $module.ModuleBase 'System.Text.Json.dll') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $module.ModuleBase 'System.Management.Automation.dll') | Should -BeFalse
    }

    It 'has a syntax for every cmdlet that takes -WhatIf where it changes state' {
        foreach ($name in 'New-HzSyncKey', 'New-HzSyncConfig', 'Set-HzSyncConfig', 'Set-HzSyncCredential') {
            (Get-Command $name).Parameters.ContainsKey('WhatIf') | Should -BeTrue -Because "$name changes state"
        }
        (Get-Command Get-HzSyncConfig).Parameters.ContainsKey('WhatIf') | Should -BeFalse
    }

    It 'shows every cmdlet''s help from docs/en-US: synopsis, description, described parameters, two examples or more' {
        $docs = Join-Path $PSScriptRoot '../../docs/en-US'
        foreach ($name in $module.ExportedCmdlets.Keys) {
            $page = (Get-Content -LiteralPath (Join-Path $docs "$name.md") -Raw) -replace "`r`n", "`n"
            $synopsis = ([regex]::Match($page, '(?ms)^## SYNOPSIS\n(?<text>.*?)\n\n').Groups['text'].Value -replace '\s+', ' ').Trim()
            $help = Get-Help $name -Full
            $help.Synopsis | Should -Be $synopsis -Because "$name's synopsis comes from its page"
            ($help.description.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty -Because $name
            @($help.examples.example).Count | Should -BeGreaterOrEqual 2 -Because $name
            foreach ($parameter in $help.parameters.parameter) {
                ($parameter.description.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty -Because "$name -$($parameter.name)"
            }
        }
    }

    It 'answers Get-Help Invoke-HzSync -Full, -Examples and -Parameter with the page''s text' {
        $full = (Get-Help Invoke-HzSync -Full | Out-String -Width 250) -replace '\s+', ' '
        $full | Should -Match ([regex]::Escape("Runs the whole night for the node's role: what the scheduled task calls."))
        $full | Should -Match ([regex]::Escape("On a site: makes the safety backup, extracts the changes the Siège has not acknowledged and uploads them"))
        $full | Should -Match ([regex]::Escape('a second run on the same node is refused with the error `RunInProgress`'))
        $examples = Get-Help Invoke-HzSync -Examples | Out-String -Width 250
        $examples | Should -Match 'Example 1: Run the night by hand'
        $examples | Should -Match ([regex]::Escape('PS C:\> Invoke-HzSync -Verbose'))
        $parameter = (Get-Help Invoke-HzSync -Parameter ConfigPath | Out-String -Width 250) -replace '\s+', ' '
        $parameter | Should -Match ([regex]::Escape("The node's configuration file. Default: the ``HEITZSYNC_CONFIG`` environment variable"))
        $parameter | Should -Match ([regex]::Escape('Accept pipeline input? True (ByPropertyName)'))
        $parameter | Should -Match 'Aliases PSPath'
        $about = (Get-Help about_HeitzSync | Out-String -Width 250) -replace '\s+', ' '
        $about | Should -Match 'SHORT DESCRIPTION Keeps the Firebird databases of a chain of establishments in step'
    }

    It 'is packed by build.ps1 -Package as a .nupkg that Install-PSResource and Install-Module install from a folder repository' {
        $package = if ($env:HEITZSYNC_PACKAGE) { $env:HEITZSYNC_PACKAGE } else { Join-Path $module.ModuleBase "../../packages/HeitzSync.$($module.Version).nupkg" }
        Test-Path -LiteralPath $package | Should -BeTrue -Because "build.ps1 -Package writes output/packages/HeitzSync.<version>.nupkg ($package); build with it before these tests"
        $repository = Join-Path $TestDrive 'repository'
        New-Item -ItemType Directory -Path $repository | Out-Null
        Copy-Item -LiteralPath $package -Destination $repository
        Get-Module -ListAvailable Microsoft.PowerShell.PSResourceGet | Should -Not -BeNullOrEmpty -Because 'PSResourceGet (shipped with PowerShell 7.4+) installs the package'

        # What an admin types, in a new PowerShell whose HOME is a folder of the test's: the repository list and the
        # CurrentUser module folder live there, so nothing of this machine's user is touched.
        $installs = [ordered] @{
            'Install-PSResource' = "Register-PSResourceRepository -Name Local -Uri '$repository' -Trusted; Install-PSResource HeitzSync -Repository Local"
        }
        if (Get-Module -ListAvailable PowerShellGet | Where-Object Version -GE ([version] '2.0')) {
            $installs['Install-Module'] = "Register-PSRepository -Name Local -SourceLocation '$repository' -InstallationPolicy Trusted; Install-Module HeitzSync -Repository Local -Scope CurrentUser"
        }
        foreach ($install in $installs.GetEnumerator()) {
            $userHome = Join-Path $TestDrive "home-$($install.Key)"
            New-Item -ItemType Directory -Path (Join-Path $userHome '.config') -Force | Out-Null
            $answer = Invoke-HzTestShell -HomeFolder $userHome -Script (@'
                $ErrorActionPreference = 'Stop'
                {0} | Out-Null
                Import-Module HeitzSync
                $m = Get-Module HeitzSync
                '{{0}}|{{1}}|{{2}}|{{3}}' -f $m.ModuleBase, $m.Version, $m.ExportedCmdlets.Count, (Get-Help Get-HzSyncReport).Synopsis
'@ -f $install.Value)
            $base, $version, $count, $synopsis = "$($answer | Select-Object -Last 1)".Split('|')
            $base | Should -BeLike (Join-Path $userHome "*/Modules/HeitzSync/$($module.Version)") -Because "$($install.Key) installs into the user's module folder: $answer"
            $version | Should -Be $module.Version.ToString()
            [int] $count | Should -Be $module.ExportedCmdlets.Count
            $synopsis | Should -Be "Lists the node's last runs, or the detail lines of some runs."
            $installed = Join-Path $base 'HeitzSync.psd1'
            (Test-ModuleManifest -Path $installed).Version | Should -Be $module.Version
            (Import-PowerShellDataFile -LiteralPath $installed).PrivateData.PSData.LicenseUri | Should -Be 'https://opensource.org/license/mit'
            Test-Path -LiteralPath (Join-Path $base 'en-US/HeitzSync.PowerShell.dll-Help.xml') | Should -BeTrue
        }
    }
}
