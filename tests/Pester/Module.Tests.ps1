BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
    $module = Get-Module HeitzSync
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
}
