BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.InitializeHzSiteCommand'
    $userTriggers = 'select count(*) from RDB$TRIGGERS where coalesce(RDB$SYSTEM_FLAG, 0) = 0'
}

Describe 'Initialize-HzSite' {
    It 'installs capture, queues the existing rows, and is idempotent' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'init')
        $site = New-HzTestNode -Root $root -Code LYON01 -Number 2
        $before = Get-HzTestScalar $site $userTriggers

        $run = Initialize-HzSite -ConfigPath $site
        $run | Should -BeOfType ([HeitzSync.PowerShell.HzSyncRun])
        $run.Operation | Should -Be 'Init'
        $run.State | Should -Be 'OK'
        $run.Node | Should -Be 'LYON01'
        $run.Role | Should -Be 'Site'
        $run.RowsSent | Should -BeGreaterThan 0
        $run.Summary | Should -Match 'capture installed: \d+ table\(s\) added'
        $installed = Get-HzTestScalar $site $userTriggers
        $installed | Should -BeGreaterThan $before

        $again = Initialize-HzSite -ConfigPath $site
        $again.State | Should -Be 'OK'
        $again.Summary | Should -Match ' 0 table\(s\) added'
        Get-HzTestScalar $site $userTriggers | Should -Be $installed
        (Get-HzSyncReport -ConfigPath $site).Count | Should -Be 2
    }

    It 'changes nothing with -WhatIf' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'whatif')
        $site = New-HzTestNode -Root $root -Code LYON01 -Number 2
        $before = Get-HzTestScalar $site $userTriggers
        Initialize-HzSite -ConfigPath $site -WhatIf | Should -BeNullOrEmpty
        Get-HzTestScalar $site $userTriggers | Should -Be $before
        Test-Path -LiteralPath (Join-HzPath $root 'LYON01/reports') | Should -BeFalse
    }

    It 'reports a database it cannot open as DatabaseError, with the run' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'nodb')
        $site = New-HzTestNode -Root $root -Code LYON01 -Number 2 -NoDatabase
        $run = Initialize-HzSite -ConfigPath $site -ErrorVariable failures -ErrorAction SilentlyContinue
        $run.State | Should -Be 'Failed'
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be "DatabaseError,$cmd"
        $failures[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $failures[0].Exception.Message | Should -Match 'LYON01.fdb'
        { Initialize-HzSite -ConfigPath $site -ErrorAction Stop } | Should -Throw -ErrorId "DatabaseError,$cmd"
    }

    It 'reports a missing configuration as ConfigNotFound' {
        { Initialize-HzSite -ConfigPath (Join-Path $TestDrive 'missing.json') -ErrorAction Stop } | Should -Throw -ErrorId "ConfigNotFound,$cmd"
    }
}
