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
    # A failed run: a full package for a site while the group key file is away fails with an error line.
    $key = Join-Path $root 'group.key'
    Move-Item -LiteralPath $key -Destination "$key.away"
    try { $refused = Invoke-HzConsolidation -ConfigPath $siege -FullPackageFor LYON01 -ErrorAction SilentlyContinue }
    finally { Move-Item -LiteralPath "$key.away" -Destination $key }
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
        ($rows | ForEach-Object Kind | Select-Object -Unique | Sort-Object) | Should -Be @('Error', 'Site', 'Table', 'Trigger')
        $trigger = $rows | Where-Object Kind -EQ 'Trigger'   # Init lists the business triggers and what they do during an apply
        $trigger.Key | Should -Be 'MEMBERS_BI'
        $trigger.State | Should -Be 'Skipped'
        $errorRow = $rows | Where-Object Kind -EQ 'Error'
        $errorRow.ErrorId | Should -Be 'FileNotFound'
        $errorRow.RunId | Should -Be $refused.Id
        $errorRow.Message | Should -Match 'group key file .* does not exist'
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

    It 'reads each piped configuration file''s own reports: the newest run of every node' {
        $newest = Get-ChildItem -Path (Join-Path $root '*/heitzsync.json') | Get-HzSyncReport -Last 1
        ($newest | ForEach-Object Node | Sort-Object) | Should -Be @('LYON01', 'SIEGE')
        ($newest | Where-Object Node -EQ 'SIEGE').Id | Should -Be $refused.Id
        ($newest | Where-Object Node -EQ 'LYON01').Operation | Should -Be 'Sync'
        foreach ($run in $newest) { $run.ConfigPath | Should -Be (Join-HzPath $root "$($run.Node)/heitzsync.json") }
    }

    It 'reads run rows of several nodes piped with -Id/-Detail from their own nodes, with no -ConfigPath' {
        $env:HEITZSYNC_CONFIG = Join-Path $TestDrive 'nowhere/heitzsync.json'   # the default configuration does not exist
        try {
            $runs = @(Get-HzSyncReport -ConfigPath $siege -Operation Consolidate) + @(Get-HzSyncReport -ConfigPath $site -Operation Sync)
            $lines = $runs | Get-HzSyncReport -Detail -ErrorVariable failures -ErrorAction SilentlyContinue
            $failures | Should -BeNullOrEmpty
            ($lines | ForEach-Object RunId | Select-Object -Unique | Sort-Object) | Should -Be ($runs.Id | Sort-Object)
            ($lines | Where-Object { $_.RunId -eq $runs[1].Id -and $_.Kind -eq 'Site' }).State | Should -Be 'Sent'
            ($runs | Get-HzSyncReport).Id | Should -Be $runs.Id
        }
        finally { Remove-Item Env:HEITZSYNC_CONFIG }
    }

    It 'pipes an operation''s run to -Detail by its Id and ConfigPath' {
        $env:HEITZSYNC_CONFIG = Join-Path $TestDrive 'nowhere/heitzsync.json'
        try {
            $lines = Receive-HzBackup -ConfigPath $site -WaitMinutes 0 | Get-HzSyncReport -Detail
            $lines | Should -Not -BeNullOrEmpty
            ($lines | ForEach-Object RunId | Select-Object -Unique) | Should -Be (Get-HzSyncReport -ConfigPath $site -Last 1).Id
            ($lines | Where-Object Kind -EQ 'Table').State | Select-Object -Unique | Should -Be 'Applied'
        }
        finally { Remove-Item Env:HEITZSYNC_CONFIG }
    }

    It 'refuses an -Operation that is no operation, and completes operations and report ids' {
        { Get-HzSyncReport -ConfigPath $siege -Operation Bogus } | Should -Throw -ErrorId "ParameterArgumentValidationError,$cmd"
        { Get-HzSyncReport -ConfigPath $siege -Operation 'Bog*' } | Should -Throw '*matches no HeitzSync operation*'
        (Get-HzSyncReport -ConfigPath $siege -Operation consolidate).Id | Should -Be $consolidated.Id

        $line = "Get-HzSyncReport -ConfigPath '$siege' -Operation Con"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('Consolidate')
        $line = "Get-HzSyncReport -ConfigPath '$siege' -Id "
        $ids = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $ids.CompletionText | Should -Contain $consolidated.Id
        ($ids | Where-Object CompletionText -EQ $consolidated.Id).ToolTip | Should -BeLike 'OK Consolidate *'
    }

    It 'converts to JSON with state and kind names and an hh:mm:ss duration' {
        $json = Get-HzSyncReport -ConfigPath $siege -Id $consolidated.Id | ConvertTo-Json | ConvertFrom-Json
        $json.State | Should -Be 'OK'
        $json.Duration | Should -Match '^\d{2}:\d{2}:\d{2}$'
        $json.Role | Should -Be 'Siege'
        $json.ConfigPath | Should -Be $siege
        $detail = Get-HzSyncReport -ConfigPath $siege -Id $consolidated.Id -Detail | Select-Object -First 1 | ConvertTo-Json | ConvertFrom-Json
        $detail.Kind | Should -Be 'Site'
    }

    It 'shows at 120 columns the summary of a run and the key and message of a conflict' {
        # A consolidation report with a conflict line, written by the node's own report store.
        $view = New-HzTestConfig -Name 'view' -Role Siege -SiteCode SIEGE -SiteNumber 1
        $node = Get-HzSyncConfig -ConfigPath $view
        $store = [HeitzSync.Core.Reports.ReportStore]::new($node.Resolve($node.Reports.Folder))
        $report = $store.Begin('SIEGE', 'Siege', 'Consolidate', '20261122T020000Z')
        $report.ConflictLines.Add([HeitzSync.Core.Reports.ConflictLine]::new('MEMBERS', 'ID=2000000007', 'LYON01',
            [datetime]::SpecifyKind([datetime] '2026-11-21T18:02:11', 'Utc'), 'NICE02', [datetime]::SpecifyKind([datetime] '2026-11-21T17:40:03', 'Utc'), 'LaterWins'))
        $report.State = 'OK'
        $report.Summary = '2 of 2 site(s) delivered, 12 row(s) consolidated, 1 conflict(s), 2 package(s) published'
        $report.EndedUtc = [datetime]::UtcNow
        $store.Save($report)

        $table = Get-HzSyncReport -ConfigPath $view -Id $report.Id -Detail | Out-String -Width 120
        $table | Should -Match 'Conflict +LYON01 +MEMBERS +LaterWins +1 +ID=2000000007 LYON01 changed it at'
        # The last column wraps (the view's <Wrap/>): its continuation lines joined give the whole key and message.
        $joined = $table -replace '\r?\n {40,}', ''
        $joined | Should -Match ([regex]::Escape('ID=2000000007 LYON01 changed it at 2026-11-21 18:02:11 UTC and won over NICE02 at 2026-11-21 17:40:03 UTC'))
        $runs = Get-HzSyncReport -ConfigPath $view | Out-String -Width 120
        ($runs -replace '\r?\n {40,}', '') | Should -Match '2 of 2 site\(s\) delivered, 12 row\(s\) consolidated, 1 conflict\(s\), 2 package\(s\) published'
        ($table -split "`n" | Measure-Object Length -Maximum).Maximum | Should -BeLessOrEqual 120
    }
}
