BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.TestHzSiegeCommand'

    # A Siège and a site on one folder drop; the site sends, the Siège consolidates (which writes siege.json).
    $root = New-HzTestGroup (Join-Path $TestDrive 'group')
    $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
    $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0
    foreach ($node in $siege, $lyon) { Initialize-HzSite -ConfigPath $node | Out-Null }
    Invoke-HzSync -ConfigPath $lyon -WarningAction SilentlyContinue | Out-Null
    Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0 -WarningAction SilentlyContinue | Out-Null
}

Describe 'Test-HzSiege' {
    It 'passes every check of a healthy site, one HzCheckResult each, and leaves no probe file in the drop' {
        $checks = Test-HzSiege -ConfigPath $lyon
        $checks | Should -BeOfType ([HeitzSync.PowerShell.HzCheckResult])
        ($checks | ForEach-Object Check) | Should -Be @('GroupKey', 'Database', 'Login', 'SiteFolder', 'WriteRight', 'ClockSkew', 'ModuleVersion', 'Schema', 'KeyRange', 'KeyMatch', 'Permissions')
        foreach ($check in $checks) {
            $check.Status | Should -Be 'Passed' -Because "$($check.Check): $($check.Detail)"
            $check.Fix | Should -BeNullOrEmpty
            $check.Node | Should -Be 'LYON01'
        }
        @(Get-ChildItem -LiteralPath (Join-Path $root 'drop') -Recurse -Filter 'probe-*').Count | Should -Be 0
        Test-HzSiege -ConfigPath $lyon -Quiet | Should -BeExactly $true
    }

    It 'lists the Siège''s sites and key ranges at the Siège' {
        $checks = Test-HzSiege -ConfigPath $siege
        ($checks | Where-Object Check -EQ 'Site LYON01').Status | Should -Be 'Passed'
        ($checks | Where-Object Check -EQ 'KeyRanges').Status | Should -Be 'Passed'
        ($checks | Where-Object Status -NE 'Passed') | Should -BeNullOrEmpty
    }

    It 'outputs a failed check as data with its fix, never as an error, and -Quiet says $false' {
        $broken = New-HzTestNode -Root $root -Code NICE02 -Number 2 -PackageWaitMinutes 0   # LYON01's number: overlapping keys
        Initialize-HzSite -ConfigPath $broken | Out-Null
        $checks = Test-HzSiege -ConfigPath $broken -ErrorVariable failures
        $failures.Count | Should -Be 0
        $range = $checks | Where-Object Check -EQ 'KeyRange'
        $range.Status | Should -Be 'Failed'
        $range.Detail | Should -Match 'LYON01'
        $range.Fix | Should -Match 'site\.number'
        Test-HzSiege -ConfigPath $broken -Quiet | Should -BeExactly $false
    }

    It 'writes each check to the verbose stream' {
        $verbose = Test-HzSiege -ConfigPath $lyon -Quiet -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose | Where-Object Message -Match '^Passed WriteRight: wrote and deleted a probe file') | Should -Not -BeNullOrEmpty
    }

    It 'reports a missing group key as a failed check, the rest still checked' {
        $keyless = New-HzTestNode -Root $root -Code PAU03 -Number 3 -PackageWaitMinutes 0
        Initialize-HzSite -ConfigPath $keyless | Out-Null
        Set-HzSyncConfig -ConfigPath $keyless -KeyFile (Join-Path $root 'no-such.key')
        $checks = Test-HzSiege -ConfigPath $keyless
        ($checks | Where-Object Check -EQ 'GroupKey').Status | Should -Be 'Failed'
        ($checks | Where-Object Check -EQ 'Database').Status | Should -Be 'Passed'
    }

    It 'reports a broken configuration as ConfigInvalid and a missing one as ConfigNotFound' {
        $path = Join-Path $TestDrive 'broken.json'
        Set-Content -LiteralPath $path -Value '{ "role": "Site", "site": { "code": "lyon" } }'
        { Test-HzSiege -ConfigPath $path -ErrorAction Stop } | Should -Throw -ErrorId "ConfigInvalid,$cmd"
        { Test-HzSiege -ConfigPath (Join-Path $TestDrive 'none.json') -ErrorAction Stop } | Should -Throw -ErrorId "ConfigNotFound,$cmd"
    }

    It 'writes Status as text in JSON, with the node''s ConfigPath' {
        $json = Test-HzSiege -ConfigPath $lyon | ConvertTo-Json | ConvertFrom-Json
        ($json | ForEach-Object Status | Select-Object -Unique) | Should -Be 'Passed'
        ($json | ForEach-Object ConfigPath | Select-Object -Unique) | Should -Be $lyon
    }
}
