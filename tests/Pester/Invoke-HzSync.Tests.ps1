BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.InvokeHzSyncCommand'
}

Describe 'Invoke-HzSync' {
    # A user's night, with the cmdlets only: key, three configurations, init, the sites' night, the Siège's
    # consolidation, the sites' next night, the reports as CSV, and every database holding the same rows.
    It 'runs the nights of a Siège and two sites until every database holds the same rows' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'night')
        $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
        # The sites do not wait for the Siège's package on the first night: it is published later.
        $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0
        $nice = New-HzTestNode -Root $root -Code NICE02 -Number 3 -PackageWaitMinutes 0

        foreach ($node in $siege, $lyon, $nice) {
            $init = Initialize-HzSite -ConfigPath $node
            $init.State | Should -Be 'OK'
        }
        Compare-HzTestDatabase $siege $lyon | Should -Not -BeNullOrEmpty   # each holds only its own rows so far

        foreach ($site in $lyon, $nice) {
            $first = Invoke-HzSync -ConfigPath $site -WarningAction SilentlyContinue
            $first | Should -BeOfType ([HeitzSync.PowerShell.HzSyncRun])
            $first.Operation | Should -Be 'Sync'
            $first.State | Should -Be 'Partial'        # sent; no package from the Siège yet
            $first.RowsSent | Should -BeGreaterThan 0
            $first.Summary | Should -Match 'no package from the Siège'
        }

        $consolidation = Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 1
        $consolidation.State | Should -Be 'OK'
        $consolidation.SitesDelivered | Should -Be 2
        $consolidation.RowsApplied | Should -BeGreaterThan 0

        foreach ($site in $lyon, $nice) {
            $second = Invoke-HzSync -ConfigPath $site
            $second.State | Should -Be 'OK'
            $second.RowsApplied | Should -BeGreaterThan 0
            $second.ErrorCount | Should -Be 0
        }

        Compare-HzTestDatabase $siege $lyon | Should -BeNullOrEmpty
        Compare-HzTestDatabase $siege $nice | Should -BeNullOrEmpty
        $members = Get-HzTestScalar $lyon 'select count(*) from MEMBERS'
        $members | Should -Be (3 * 8)

        $csv = Join-Path $TestDrive 'lyon-runs.csv'
        Get-HzSyncReport -ConfigPath $lyon | Export-Csv -LiteralPath $csv -NoTypeInformation
        $rows = Import-Csv -LiteralPath $csv
        $rows.Count | Should -Be 3
        ($rows | ForEach-Object Operation) | Should -Be @('Sync', 'Sync', 'Init')
        ($rows | ForEach-Object State) | Should -Be @('OK', 'Partial', 'OK')
        foreach ($column in 'Id', 'StartedUtc', 'EndedUtc', 'Duration', 'State', 'SitesExpected', 'SitesDelivered', 'RowsSent', 'RowsReceived', 'Conflicts', 'BytesSent', 'BytesReceived', 'Summary') {
            $rows[0].PSObject.Properties.Name | Should -Contain $column
        }
        [long] $rows[0].RowsReceived | Should -BeGreaterThan 0
        [long] $rows[0].BytesReceived | Should -BeGreaterThan 0
        [long] $rows[1].BytesSent | Should -BeGreaterThan 0
    }

    It 'is refused with the RunInProgress error while another run holds the node''s lock: no run, no report, and that run''s stop request left alone' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'busy')
        $site = New-HzTestNode -Root $root -Code LYON01 -Number 2 -NoDatabase
        $work = Join-HzPath $root 'LYON01/work'
        $lock = [HeitzSync.Core.Runs.RunLock]::Acquire($work, 'Sync')
        try {
            # A stop asked of the run that holds the lock: the refused run must neither obey it nor clear it.
            [HeitzSync.Core.Runs.StopRequest]::new($work).Request('maintenance') | Out-Null
            $run = Invoke-HzSync -ConfigPath $site -ErrorVariable failures -ErrorAction SilentlyContinue
            $run | Should -BeNullOrEmpty   # a refused call is no run: nothing for "the newest Sync" or -State Failed to pick
            $failures.Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -Be "RunInProgress,$cmd"
            $failures[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
            $failures[0].Exception.Message | Should -Match 'already in progress on this node: Sync since .* UTC, process \d+'
            $failures[0].Exception.Message | Should -Match 'Stop-HzSync'
            Test-Path -LiteralPath (Join-Path $work 'heitzsync.stop') | Should -BeTrue
            { Invoke-HzSync -ConfigPath $site -ErrorAction Stop } | Should -Throw -ErrorId "RunInProgress,$cmd"
            Get-HzSyncReport -ConfigPath $site | Should -BeNullOrEmpty
            @(Get-ChildItem -LiteralPath (Join-HzPath $root 'LYON01') -Recurse -Filter '*.json' | Where-Object { $_.Directory.Name -eq 'reports' }).Count | Should -Be 0
        }
        finally { $lock.Dispose() }
    }

    It 'changes nothing with -WhatIf' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'whatif')
        $site = New-HzTestNode -Root $root -Code LYON01 -Number 2
        $database = Join-HzPath $root 'LYON01/LYON01.fdb'
        $before = (Get-FileHash -LiteralPath $database).Hash
        Invoke-HzSync -ConfigPath $site -WhatIf | Should -BeNullOrEmpty
        (Get-FileHash -LiteralPath $database).Hash | Should -Be $before
        Test-Path -LiteralPath (Join-HzPath $root 'LYON01/reports') | Should -BeFalse
        Test-Path -LiteralPath (Join-HzPath $root 'LYON01/backups') | Should -BeFalse
        Get-ChildItem -LiteralPath (Join-Path $root 'drop') -Recurse -File | Should -BeNullOrEmpty
    }

    It 'reports a missing configuration as ConfigNotFound' {
        { Invoke-HzSync -ConfigPath (Join-Path $TestDrive 'none/heitzsync.json') -ErrorAction Stop } | Should -Throw -ErrorId "ConfigNotFound,$cmd"
    }
}
