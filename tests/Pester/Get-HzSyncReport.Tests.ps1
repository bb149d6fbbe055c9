BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.GetHzSyncReportCommand'

    # A Siège and a site after a night: the Siège has Init and Consolidate reports with site and table lines.
    $root = New-HzTestGroup (Join-Path $TestDrive 'group')
    $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
    $site = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0
    Initialize-HzSite -ConfigPath $siege | Out-Null
    Initialize-HzSite -ConfigPath $site | Out-Null
    Invoke-HzSync -ConfigPath $site -WarningAction SilentlyContinue | Out-Null
    $consolidated = Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0
    # A refused run: a full package for a site, with the Siège's lock held, fails with an error line.
    $lock = [HeitzSync.Core.Runs.RunLock]::Acquire((Join-HzPath $root 'SIEGE/work'), 'Sync')
    try { $refused = Invoke-HzConsolidation -ConfigPath $siege -FullPackageFor LYON01 -ErrorAction SilentlyContinue }
    finally { $lock.Dispose() }
}

Describe 'Get-HzSyncReport' {
    It 'lists the last runs newest first as HzSyncRun rows' {
        $runs = Get-HzSyncReport -ConfigPath $siege
        $runs | Should -BeOfType ([HeitzSync.PowerShell.HzSyncRun])
        ($runs | ForEach-Object Operation) | Should -Be @('FullPackage', 'Consolidate', 'Init')
        ($runs | ForEach-Object State) | Should -Be @('Failed', 'OK', 'OK')
        (Get-HzSyncReport -ConfigPath $siege -Last 1).Id | Should -Be $refused.Id
    }

    It 'filters by state and by operation (wildcards)' {
        (Get-HzSyncReport -ConfigPath $siege -State Failed).Id | Should -Be $refused.Id
        (Get-HzSyncReport -ConfigPath $siege -Operation Cons*).Id | Should -Be $consolidated.Id
        (Get-HzSyncReport -ConfigPath $siege -State OK -Last 1).Operation | Should -Be 'Consolidate'
        Get-HzSyncReport -ConfigPath $siege -State Stopped | Should -BeNullOrEmpty
    }

    It 'takes ids by value and by property name, and -Detail gives one flat line type' {
        (Get-HzSyncReport -ConfigPath $siege -Id $consolidated.Id).Id | Should -Be $consolidated.Id
        ($consolidated.Id | Get-HzSyncReport -ConfigPath $siege).Operation | Should -Be 'Consolidate'

        $lines = Get-HzSyncReport -ConfigPath $siege -Operation Consolidate | Select-Object -First 1 | Get-HzSyncReport -ConfigPath $siege -Detail
        $lines | Should -BeOfType ([HeitzSync.Core.Reports.SyncReportLine])
        ($lines | ForEach-Object RunId | Select-Object -Unique) | Should -Be $consolidated.Id
        $siteLine = $lines | Where-Object Kind -EQ 'Site'
        $siteLine.Site | Should -Be 'LYON01'
        $siteLine.State | Should -Be 'Consolidated'
        $siteLine.Rows | Should -BeGreaterThan 0
        $siteLine.Bytes | Should -BeGreaterThan 0
        $tables = $lines | Where-Object Kind -EQ 'Table'
        $tables.Table | Should -Contain 'MEMBERS'
        ($tables | Measure-Object Upserts -Sum).Sum | Should -Be $consolidated.RowsApplied
    }

    It 'exports run rows and detail lines, errors included, to CSV with the same columns for every kind' {
        $csv = Join-Path $TestDrive 'detail.csv'
        Get-HzSyncReport -ConfigPath $siege -Last 3 -Detail | Export-Csv -LiteralPath $csv -NoTypeInformation
        $rows = Import-Csv -LiteralPath $csv
        ($rows | ForEach-Object Kind | Select-Object -Unique | Sort-Object) | Should -Be @('Error', 'Site', 'Table')
        $errorRow = $rows | Where-Object Kind -EQ 'Error'
        $errorRow.ErrorId | Should -Be 'RunInProgress'
        $errorRow.RunId | Should -Be $refused.Id
        $errorRow.Message | Should -Match 'already in progress'
        $header = (Get-Content -LiteralPath $csv -TotalCount 1)
        $header | Should -Be '"RunId","Kind","Site","Table","Key","State","Rows","Upserts","Deletes","Skipped","Conflicts","Bytes","PackageName","ErrorId","Message","TimeUtc"'
    }

    It 'writes ReportNotFound for an unknown id and goes on with the next' {
        $found = 'NOPE', $consolidated.Id | Get-HzSyncReport -ConfigPath $siege -ErrorVariable failures -ErrorAction SilentlyContinue
        $found.Id | Should -Be $consolidated.Id
        $failures[0].FullyQualifiedErrorId | Should -Be "ReportNotFound,$cmd"
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        { Get-HzSyncReport -ConfigPath $siege -Id '20200101T000000Z-X-Sync' -ErrorAction Stop } | Should -Throw -ErrorId "ReportNotFound,$cmd"
    }

    It 'reports a missing configuration as ConfigNotFound' {
        { Get-HzSyncReport -ConfigPath (Join-Path $TestDrive 'missing.json') -ErrorAction Stop } | Should -Throw -ErrorId "ConfigNotFound,$cmd"
    }
}
