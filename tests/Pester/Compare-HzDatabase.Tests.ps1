BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.CompareHzDatabaseCommand'

    $root = New-HzTestGroup (Join-Path $TestDrive 'group')
    $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
    $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2
    foreach ($node in $siege, $lyon) { Initialize-HzSite -ConfigPath $node | Out-Null }

    # A byte-for-byte copy of a node's database (no attachment open), then changed: one row inserted, updated, deleted.
    function Copy-HzTestDatabase([string] $ConfigPath, [string] $Name) {
        $node = Get-HzSyncConfig -ConfigPath $ConfigPath
        $copy = Join-Path $root "$Name.fdb"
        Copy-Item -LiteralPath $node.Resolve($node.Database.Path) -Destination $copy
        $copy
    }
    function Invoke-HzTestSql([string] $Database, [string] $Sql) {
        $settings = [HeitzSync.Firebird.FbConnectionSettings]::new()
        $settings.Database = $Database
        $connection = [HeitzSync.Firebird.FbConnection]::Open($settings)
        try {
            $transaction = $connection.BeginTransaction($null)
            try { $connection.Execute($transaction, $Sql, [object[]] @()) | Out-Null; $transaction.Commit() }
            finally { $transaction.Dispose() }
        }
        finally { $connection.Dispose() }
    }
    function Set-HzTestDrift([string] $Database, [long] $Member, [long] $Entry) {
        Invoke-HzTestSql $Database "INSERT INTO SUBSCRIPTION_TYPES (CODE, LABEL, PRICE, MONTHS) VALUES ('ZDRIFT', 'Drift', 1.00, 1)"
        Invoke-HzTestSql $Database "UPDATE MEMBERS SET BALANCE = BALANCE + 1 WHERE ID = $Member"
        Invoke-HzTestSql $Database "DELETE FROM ENTRIES WHERE ID = $Entry"
    }
}

Describe 'Compare-HzDatabase' {
    It 'outputs nothing for an identical copy, and one HzTableComparison per table with -Summary' {
        $copy = Copy-HzTestDatabase $lyon 'same'
        Compare-HzDatabase -ConfigPath $lyon -Database $copy | Should -BeNullOrEmpty
        $summary = Compare-HzDatabase -ConfigPath $lyon -Database $copy -Summary
        $summary | Should -BeOfType ([HeitzSync.PowerShell.HzTableComparison])
        [string[]] $expected = [HeitzSync.Core.Demo.SampleSchema]::SynchronisedTables
        [Array]::Sort($expected, [StringComparer]::Ordinal)
        ($summary | ForEach-Object Table) | Should -Be $expected
        $summary.Count | Should -Be ([HeitzSync.Core.Demo.SampleSchema]::SynchronisedTables.Count)
        ($summary | Where-Object { -not $_.Identical }) | Should -BeNullOrEmpty
        ($summary | Where-Object Table -EQ 'MEMBERS').RowsHere | Should -BeGreaterThan 0
        ($summary | Where-Object Table -EQ 'MEMBERS').ChecksumThere | Should -Be ($summary | Where-Object Table -EQ 'MEMBERS').ChecksumHere
    }

    It 'leaves local columns out and names them in NotCompared' {
        $nice = New-HzTestNode -Root $root -Code NICE03 -Number 3
        Set-HzSyncConfig -ConfigPath $nice -Setting @{ 'tables.localColumns' = @('MEMBERS.NOTES') }
        Initialize-HzSite -ConfigPath $nice | Out-Null
        $copy = Copy-HzTestDatabase $nice 'own-notes'
        Invoke-HzTestSql $copy "UPDATE MEMBERS SET NOTES = 'this node''s own' WHERE ID = (SELECT MIN(ID) FROM MEMBERS)"
        Compare-HzDatabase -ConfigPath $nice -Database $copy | Should -BeNullOrEmpty
        $members = Compare-HzDatabase -ConfigPath $nice -Database $copy -Table MEMBERS -Summary
        $members.Identical | Should -BeTrue
        $members.NotCompared | Should -Be 'NOTES'
        (Compare-HzDatabase -ConfigPath $nice -Database $copy -Table ENTRIES -Summary).NotCompared | Should -Be ''
    }

    It 'outputs one HzDatabaseDifference per inserted, updated and deleted row, and changes nothing' {
        $copy = Copy-HzTestDatabase $lyon 'drifted'
        $member = Get-HzTestScalar $lyon 'select min(ID) from MEMBERS'
        $entry = Get-HzTestScalar $lyon 'select max(ID) from ENTRIES'
        Set-HzTestDrift $copy $member $entry
        $sequence = Get-HzTestScalar $lyon 'select gen_id(HZ$SEQ, 0) from RDB$DATABASE'

        $differences = Compare-HzDatabase -ConfigPath $lyon -Database $copy
        $differences | Should -BeOfType ([HeitzSync.PowerShell.HzDatabaseDifference])
        $differences.Count | Should -Be 3
        $only = $differences | Where-Object Table -EQ 'SUBSCRIPTION_TYPES'
        ($only.Key, $only.Difference) | Should -Be @("CODE='ZDRIFT'", 'OnlyThere')
        $changed = $differences | Where-Object Table -EQ 'MEMBERS'
        ($changed.Key, $changed.Difference, $changed.Columns) | Should -Be @("ID=$member", 'Different', 'BALANCE')
        $gone = $differences | Where-Object Table -EQ 'ENTRIES'
        ($gone.Key, $gone.Difference) | Should -Be @("ID=$entry", 'OnlyHere')
        ($differences | ForEach-Object Node | Select-Object -Unique) | Should -Be 'LYON01'

        Get-HzTestScalar $lyon 'select gen_id(HZ$SEQ, 0) from RDB$DATABASE' | Should -Be $sequence
        Compare-HzDatabase -ConfigPath $lyon -Database $copy -Table 'members', 'SALE*' | ForEach-Object Table | Should -Be 'MEMBERS'
        Compare-HzDatabase -ConfigPath $lyon -Database $copy -Table 'SALE*' | Should -BeNullOrEmpty
    }

    It 'resolves a relative path against the current location' {
        $copy = Copy-HzTestDatabase $lyon 'relative'
        Push-Location $root
        try { Compare-HzDatabase -ConfigPath $lyon -Database 'relative.fdb' -Summary | Should -HaveCount ([HeitzSync.Core.Demo.SampleSchema]::SynchronisedTables.Count) }
        finally { Pop-Location }
    }

    It 'repairs at the Siège: -WhatIf changes nothing, then one HzRepairResult per table' {
        $copy = Copy-HzTestDatabase $siege 'siege-drifted'
        $member = Get-HzTestScalar $siege 'select min(ID) from MEMBERS'
        $entry = Get-HzTestScalar $siege 'select max(ID) from ENTRIES'
        Set-HzTestDrift $copy $member $entry
        $sequence = Get-HzTestScalar $siege 'select gen_id(HZ$SEQ, 0) from RDB$DATABASE'

        Compare-HzDatabase -ConfigPath $siege -Database $copy -Repair -WhatIf | Should -BeNullOrEmpty
        Get-HzTestScalar $siege 'select gen_id(HZ$SEQ, 0) from RDB$DATABASE' | Should -Be $sequence

        $repaired = Compare-HzDatabase -ConfigPath $siege -Database $copy -Repair -Confirm:$false
        $repaired | Should -BeOfType ([HeitzSync.PowerShell.HzRepairResult])
        ($repaired | ForEach-Object Table) | Should -Be @('ENTRIES', 'MEMBERS', 'SUBSCRIPTION_TYPES')
        ($repaired | Measure-Object KeysRequeued -Sum).Sum | Should -Be 3
        Get-HzTestScalar $siege 'select gen_id(HZ$SEQ, 0) from RDB$DATABASE' | Should -Be ($sequence + 3)
    }

    It 'refuses -Repair on a site with NotSiege' {
        $copy = Copy-HzTestDatabase $lyon 'site-repair'
        { Compare-HzDatabase -ConfigPath $lyon -Database $copy -Repair -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "NotSiege,$cmd"
    }

    It 'reports a bad target as CompareTargetInvalid, a missing database as DatabaseUnavailable, a broken configuration as ConfigInvalid' {
        { Compare-HzDatabase -ConfigPath $lyon -Database 'lyon-db/port:/data/lyon.fdb' -ErrorAction Stop } | Should -Throw -ErrorId "CompareTargetInvalid,$cmd"
        { Compare-HzDatabase -ConfigPath $lyon -Database 'lyon-db/3050:/data/lyon.fdb' -ServerPasswordSecret 'not-stored' -ErrorAction Stop } | Should -Throw -ErrorId "CompareTargetInvalid,$cmd"
        { Compare-HzDatabase -ConfigPath $lyon -Database (Join-Path $root 'none.fdb') -ErrorAction Stop } | Should -Throw -ErrorId "DatabaseUnavailable,$cmd"
        Test-Path -LiteralPath (Join-Path $root 'none.fdb') | Should -BeFalse
        $path = Join-Path $TestDrive 'broken.json'
        Set-Content -LiteralPath $path -Value '{ "role": "Site", "site": { "code": "lyon" } }'
        { Compare-HzDatabase -ConfigPath $path -Database (Join-Path $root 'same.fdb') -ErrorAction Stop } | Should -Throw -ErrorId "ConfigInvalid,$cmd"
    }

    It 'completes -Table with the synchronised tables of the node''s database, and writes Difference as text' {
        $line = "Compare-HzDatabase -ConfigPath '$lyon' -Database x.fdb -Table MEM"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('MEMBERS')
        $line = "Compare-HzDatabase -ConfigPath '$lyon' -Database x.fdb -Table "
        $tables = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $tables | Should -Contain 'ENTRIES'
        $tables | Should -Not -Contain 'WORKSTATION_SETTINGS'   # local only: not synchronised
        $copy = Copy-HzTestDatabase $lyon 'json'
        Invoke-HzTestSql $copy "UPDATE MEMBERS SET BALANCE = BALANCE + 1 WHERE ID = (SELECT MIN(ID) FROM MEMBERS)"
        (Compare-HzDatabase -ConfigPath $lyon -Database $copy | ConvertTo-Json | ConvertFrom-Json).Difference | Should -Be 'Different'
    }
}
