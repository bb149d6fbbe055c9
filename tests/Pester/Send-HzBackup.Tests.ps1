BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.SendHzBackupCommand'

    $root = New-HzTestGroup (Join-Path $TestDrive 'group')
    $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
    $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0
    foreach ($node in $siege, $lyon) { Initialize-HzSite -ConfigPath $node | Out-Null }
    $outgoing = Join-HzPath $root 'LYON01/work/outgoing'
    $up = Join-HzPath $root 'drop/LYON01/up'
    function Get-UpPackage { @(Get-ChildItem -LiteralPath $up -Filter *.hzp -ErrorAction SilentlyContinue | ForEach-Object Name) }
    function Get-PendingPackage { @(Get-ChildItem -LiteralPath $outgoing -Filter *.hzp -ErrorAction SilentlyContinue | ForEach-Object Name) }
}

Describe 'Send-HzBackup' {
    It 'refuses the Siège''s configuration with NotSite' {
        { Send-HzBackup -ConfigPath $siege -ErrorAction Stop } | Should -Throw -ErrorId "NotSite,$cmd"
        (Get-HzSyncReport -ConfigPath $siege).Operation | Should -Be @('Init')
    }

    It 'with nothing pending, runs and says there was nothing to upload' {
        $run = Send-HzBackup -ConfigPath $lyon
        $run | Should -BeOfType ([HeitzSync.PowerShell.HzSyncRun])
        $run.Operation | Should -Be 'Upload'
        $run.State | Should -Be 'OK'
        $run.Summary | Should -Match '^nothing to upload'
        Get-UpPackage | Should -BeNullOrEmpty
    }

    It 'keeps safety backups local (said in -Verbose) and refuses a file that is no package with NotAPackage' {
        $out = Start-HzBackup -ConfigPath $lyon -Kind Safety | Send-HzBackup -ConfigPath $lyon -Verbose 4>&1
        ($out | Where-Object { $_ -is [HeitzSync.PowerShell.HzSyncRun] }) | Should -BeNullOrEmpty
        (($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n") | Should -Match 'is a safety backup: it stays on this node'
        $other = Join-Path $TestDrive 'notes.txt'
        Set-Content -LiteralPath $other -Value 'x'
        { Send-HzBackup -ConfigPath $lyon -Path $other -ErrorAction Stop } | Should -Throw -ErrorId "NotAPackage,$cmd"
        Get-UpPackage | Should -BeNullOrEmpty
    }

    It 'sends nothing with -WhatIf' {
        $package = Start-HzBackup -ConfigPath $lyon -Kind Delta
        $package | Send-HzBackup -ConfigPath $lyon -WhatIf | Should -BeNullOrEmpty
        Send-HzBackup -ConfigPath $lyon -WhatIf | Should -BeNullOrEmpty
        Get-UpPackage | Should -BeNullOrEmpty
        Get-PendingPackage | Should -Be @($package.Name)
    }

    It 'uploads the newest pending package when given no input; the older one is superseded' {
        $older = @(Get-PendingPackage)[0]
        $newer = Start-HzBackup -ConfigPath $lyon -Kind Delta
        (Get-PendingPackage).Count | Should -Be 2
        $run = Send-HzBackup -ConfigPath $lyon
        $run.State | Should -Be 'OK'
        $run.RowsSent | Should -Be $newer.Rows
        $run.BytesSent | Should -Be $newer.SizeBytes
        Get-UpPackage | Should -Be @($newer.Name)
        Get-PendingPackage | Should -BeNullOrEmpty
        $lines = Get-HzSyncReport -ConfigPath $lyon -Id $run.Id -Detail | Where-Object Kind -EQ 'Site'
        ($lines | ForEach-Object { "$($_.State) $($_.PackageName)" }) | Should -Be @("Sent $($newer.Name)", "Superseded $older")
    }

    It 'sends what Start-HzBackup made, one run for the whole pipeline, and the Siège consolidates it' {
        Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0 | Out-Null   # takes the package sent above
        $run = Start-HzBackup -ConfigPath $lyon | Send-HzBackup -ConfigPath $lyon
        @($run).Count | Should -Be 1
        $run.Operation | Should -Be 'Upload'
        $sent = @(Get-UpPackage)
        $sent.Count | Should -Be 1
        $run.Summary | Should -Be "sent $($run.RowsSent) change(s) in $($sent[0])"
        $night = Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0
        $night.SitesDelivered | Should -Be 1
        (Get-HzSyncReport -ConfigPath $siege -Id $night.Id -Detail | Where-Object Kind -EQ 'Site').PackageName | Should -Be $sent[0]
        Get-UpPackage | Should -BeNullOrEmpty
    }

    It 'takes package files piped from Get-ChildItem (their PSPath is not read as the configuration)' {
        $made = Start-HzBackup -ConfigPath $lyon -Kind Delta
        # The configuration from HEITZSYNC_CONFIG, as a scheduled job has it: -ConfigPath is unbound, so the piped
        # file's PSPath would bind to it by its alias.
        $saved = $env:HEITZSYNC_CONFIG
        try {
            $env:HEITZSYNC_CONFIG = $lyon
            $run = Get-ChildItem -LiteralPath $outgoing -Filter *.hzp | Send-HzBackup
        }
        finally { $env:HEITZSYNC_CONFIG = $saved }
        @($run).Count | Should -Be 1
        $run.State | Should -Be 'OK'
        Get-UpPackage | Should -Be @($made.Name)
        Get-PendingPackage | Should -BeNullOrEmpty
    }

    It 'expands wildcards in -Path, takes -LiteralPath as written, and says PathNotFound for a missing file' {
        Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0 | Out-Null
        $made = Start-HzBackup -ConfigPath $lyon -Kind Delta
        $run = Send-HzBackup -ConfigPath $lyon -Path (Join-Path $outgoing '*.hzp')
        $run.State | Should -Be 'OK'
        Get-UpPackage | Should -Be @($made.Name)

        Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0 | Out-Null
        $made = Start-HzBackup -ConfigPath $lyon -Kind Delta
        (Send-HzBackup -ConfigPath $lyon -LiteralPath $made.Path).State | Should -Be 'OK'
        Get-UpPackage | Should -Be @($made.Name)

        $missing = Join-Path $outgoing 'LYON01_20200101T000000Z_d_1-2.hzp'
        Send-HzBackup -ConfigPath $lyon -LiteralPath $missing -ErrorVariable failures -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failures[0].FullyQualifiedErrorId | Should -Be "PathNotFound,$cmd"
        { Send-HzBackup -ConfigPath $lyon -Path $missing -ErrorAction Stop } | Should -Throw -ErrorId "PathNotFound,$cmd"
        # A wildcard that matches nothing sends nothing, as Get-Item finds nothing.
        Send-HzBackup -ConfigPath $lyon -Path (Join-Path $outgoing 'NONE*.hzp') | Should -BeNullOrEmpty
    }

    It 'sends the packages of two sites piped together, each with its own configuration' {
        $nice = New-HzTestNode -Root $root -Code NICE03 -Number 3 -PackageWaitMinutes 0
        Initialize-HzSite -ConfigPath $nice | Out-Null
        Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0 | Out-Null
        $saved = $env:HEITZSYNC_CONFIG
        try {
            $env:HEITZSYNC_CONFIG = Join-Path $TestDrive 'nowhere/heitzsync.json'   # no default configuration to fall back on
            $made = @(Start-HzBackup -ConfigPath $lyon -Kind Delta) + @(Start-HzBackup -ConfigPath $nice -Kind Delta)
            $runs = $made | Send-HzBackup
        }
        finally { $env:HEITZSYNC_CONFIG = $saved }
        ($runs | ForEach-Object Node) | Should -Be @('LYON01', 'NICE03')
        ($runs | ForEach-Object State | Select-Object -Unique) | Should -Be 'OK'
        Get-UpPackage | Should -Be @($made[0].Name)
        (Get-ChildItem -LiteralPath (Join-HzPath $root 'drop/NICE03/up') -Filter *.hzp).Name | Should -Be $made[1].Name
        $made[0].ConfigPath | Should -Be $lyon
    }
}
