BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.ReceiveHzBackupCommand'

    $root = New-HzTestGroup (Join-Path $TestDrive 'group')
    $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
    $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0
    foreach ($node in $siege, $lyon) { Initialize-HzSite -ConfigPath $node | Out-Null }
}

Describe 'Receive-HzBackup' {
    It 'refuses the Siège''s configuration with NotSite' {
        { Receive-HzBackup -ConfigPath $siege -ErrorAction Stop } | Should -Throw -ErrorId "NotSite,$cmd"
        (Get-HzSyncReport -ConfigPath $siege).Operation | Should -Be @('Init')
    }

    It 'ends Partial when the Siège has published nothing, waiting the configured time by default' {
        $run = Receive-HzBackup -ConfigPath $lyon -WarningAction SilentlyContinue
        $run | Should -BeOfType ([HeitzSync.PowerShell.HzSyncRun])
        $run.Operation | Should -Be 'Receive'
        $run.State | Should -Be 'Partial'
        $run.Summary | Should -Match 'no package from the Siège within 0 min'
    }

    It 'applies nothing with -WhatIf, then applies the Siège''s package and the databases hold the same rows' {
        Start-HzBackup -ConfigPath $lyon -Kind Delta | Send-HzBackup -ConfigPath $lyon | Out-Null
        (Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0).State | Should -Be 'OK'
        $before = (Get-FileHash -LiteralPath (Join-HzPath $root 'LYON01/LYON01.fdb')).Hash
        Receive-HzBackup -ConfigPath $lyon -WaitMinutes 0 -WhatIf | Should -BeNullOrEmpty
        (Get-FileHash -LiteralPath (Join-HzPath $root 'LYON01/LYON01.fdb')).Hash | Should -Be $before
        @(Get-ChildItem -LiteralPath (Join-HzPath $root 'drop/LYON01/down') -Filter *.hzp).Count | Should -Be 1

        $run = Receive-HzBackup -ConfigPath $lyon -WaitMinutes 0
        $run.State | Should -Be 'OK'
        $run.RowsApplied | Should -BeGreaterThan 0
        Compare-HzTestDatabase $siege $lyon | Should -BeNullOrEmpty
        (Get-HzSyncReport -ConfigPath $lyon -Id $run.Id -Detail | Where-Object Kind -EQ 'Table').Count | Should -BeGreaterThan 0
    }
}
