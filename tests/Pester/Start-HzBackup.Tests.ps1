BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.StartHzBackupCommand'

    $root = New-HzTestGroup (Join-Path $TestDrive 'group')
    $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
    $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0
    foreach ($node in $siege, $lyon) { Initialize-HzSite -ConfigPath $node | Out-Null }
    $outgoing = Join-HzPath $root 'LYON01/work/outgoing'
}

Describe 'Start-HzBackup' {
    It 'makes nothing with -WhatIf' {
        Start-HzBackup -ConfigPath $lyon -WhatIf | Should -BeNullOrEmpty
        (Get-HzSyncReport -ConfigPath $lyon).Operation | Should -Be @('Init')
        Test-Path -LiteralPath $outgoing | Should -BeFalse
    }

    It 'refuses a delta package at the Siège with NotSite and writes no report' {
        { Start-HzBackup -ConfigPath $siege -Kind Delta -ErrorAction Stop } | Should -Throw -ErrorId "NotSite,$cmd"
        Start-HzBackup -ConfigPath $siege -Kind Both -ErrorVariable failures -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $failures[0].Exception.Message | Should -Match 'Siège SIEGE'
        (Get-HzSyncReport -ConfigPath $siege).Operation | Should -Be @('Init')
    }

    It 'makes the safety backup alone at the Siège by default' {
        $made = @(Start-HzBackup -ConfigPath $siege)
        $made.Count | Should -Be 1
        $made[0] | Should -BeOfType ([HeitzSync.PowerShell.HzBackupInfo])
        $made[0].Kind | Should -Be 'Safety'
        $made[0].Node | Should -Be 'SIEGE'
        $made[0].Name | Should -Match '^SIEGE_\d{8}-\d{6}\.fbk$'
        $made[0].SizeBytes | Should -Be (Get-Item -LiteralPath $made[0].Path).Length
        $made[0].Rows | Should -Be 0
        $run = Get-HzSyncReport -ConfigPath $siege -Last 1
        $run.Operation | Should -Be 'Backup'
        $run.Id | Should -Be $made[0].ReportId
    }

    It 'makes the safety backup and the delta package on a site by default, nothing sent' {
        $made = Start-HzBackup -ConfigPath $lyon -Verbose 4>&1
        $verbose = $made | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $files = $made | Where-Object { $_ -is [HeitzSync.PowerShell.HzBackupInfo] }
        ($files | ForEach-Object { "$($_.Kind)" }) | Should -Be @('Safety', 'Delta')
        $delta = $files[1]
        $delta.Path | Should -Be (Join-HzPath $outgoing $delta.Name)
        $delta.Name | Should -Match '^LYON01_\d{8}T\d{6}Z_d_\d+-\d+\.hzp$'
        $delta.Rows | Should -BeGreaterThan 0
        $delta.ReportId | Should -Be $files[0].ReportId
        ($verbose.Message -join "`n") | Should -Match 'Delta: .*change\(s\)'
        (Get-HzSyncReport -ConfigPath $lyon -Last 1).Operation | Should -Be 'Backup'
        @(Get-ChildItem -LiteralPath (Join-HzPath $root 'drop/LYON01/up') -Filter '*.hzp*' -ErrorAction SilentlyContinue).Count | Should -Be 0   # up/ holds only its registration
        ($files | Format-Table | Out-String) | Should -Match 'Kind\s+Created \(local\)\s+Size \(KB\)\s+Rows\s+Name'
    }

    It 'makes the delta package alone (operation Extract); piped to Send-HzBackup, the Siège consolidates it' {
        $package = Start-HzBackup -ConfigPath $lyon -Kind Delta
        $package.Kind | Should -Be 'Delta'
        (Get-HzSyncReport -ConfigPath $lyon -Last 1).Operation | Should -Be 'Extract'
        $sent = Start-HzBackup -ConfigPath $lyon -Kind Delta | Send-HzBackup -ConfigPath $lyon
        $sent.Operation | Should -Be 'Upload'
        $sent.State | Should -Be 'OK'
        $name = (Get-HzSyncReport -ConfigPath $lyon -Id $sent.Id -Detail | Where-Object { $_.Kind -eq 'Site' -and $_.State -eq 'Sent' }).PackageName
        (Get-ChildItem -LiteralPath (Join-HzPath $root 'drop/LYON01/up') -Filter *.hzp).Name | Should -Be $name
        $night = Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0
        $night.SitesDelivered | Should -Be 1
        $line = Get-HzSyncReport -ConfigPath $siege -Id $night.Id -Detail | Where-Object Kind -EQ 'Site'
        $line.Site | Should -Be 'LYON01'
        $line.State | Should -Be 'Consolidated'
        $line.PackageName | Should -Be $name
    }
}
