BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.InvokeHzConsolidationCommand'

    $root = New-HzTestGroup (Join-Path $TestDrive 'group')
    $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
    $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0
    $nice = New-HzTestNode -Root $root -Code NICE02 -Number 3 -PackageWaitMinutes 0
    foreach ($node in $siege, $lyon, $nice) { Initialize-HzSite -ConfigPath $node | Out-Null }
}

Describe 'Invoke-HzConsolidation' {
    It 'refuses a site''s configuration with NotSiege and writes no report' {
        { Invoke-HzConsolidation -ConfigPath $lyon -ErrorAction Stop } | Should -Throw -ErrorId "NotSiege,$cmd"
        Invoke-HzConsolidation -ConfigPath $lyon -ErrorVariable failures -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $failures[0].Exception.Message | Should -Match 'role Site.*Siège only'
        (Get-HzSyncReport -ConfigPath $lyon).Operation | Should -Be @('Init')
    }

    It 'changes nothing with -WhatIf' {
        $before = (Get-FileHash -LiteralPath (Join-HzPath $root 'SIEGE/SIEGE.fdb')).Hash
        Invoke-HzConsolidation -ConfigPath $siege -WhatIf | Should -BeNullOrEmpty
        Invoke-HzConsolidation -ConfigPath $siege -FullPackageFor LYON01 -WhatIf | Should -BeNullOrEmpty
        (Get-FileHash -LiteralPath (Join-HzPath $root 'SIEGE/SIEGE.fdb')).Hash | Should -Be $before
        (Get-HzSyncReport -ConfigPath $siege).Operation | Should -Be @('Init')
        Test-Path -LiteralPath (Join-HzPath $root 'drop/LYON01/down') | Should -BeFalse
    }

    It 'consolidates the packages the sites sent and publishes one per site' {
        foreach ($site in $lyon, $nice) { Invoke-HzSync -ConfigPath $site -WarningAction SilentlyContinue | Out-Null }
        $run = Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0
        $run | Should -BeOfType ([HeitzSync.PowerShell.HzSyncRun])
        $run.Operation | Should -Be 'Consolidate'
        $run.State | Should -Be 'OK'
        $run.SitesExpected | Should -Be 2
        $run.SitesDelivered | Should -Be 2
        $run.RowsApplied | Should -BeGreaterThan 0
        $sites = Get-HzSyncReport -ConfigPath $siege -Id $run.Id -Detail | Where-Object Kind -EQ 'Site'
        ($sites | ForEach-Object Site | Sort-Object) | Should -Be @('LYON01', 'NICE02')
        ($sites | ForEach-Object State | Select-Object -Unique) | Should -Be 'Consolidated'
        @(Get-ChildItem -LiteralPath (Join-HzPath $root 'drop/LYON01/down') -File).Count | Should -BeGreaterThan 0
    }

    It 'ends Partial when no site delivers within the reception time' {
        $run = Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0 -WarningAction SilentlyContinue
        $run.State | Should -Be 'Partial'
        $run.Summary | Should -Match 'no site delivered'
    }

    It 'publishes a full package per site, one run each, and goes on after a bad site code' {
        $runs = 'LYON01', 'lyon 01', 'SIEGE', 'NICE02' | Invoke-HzConsolidation -ConfigPath $siege -ErrorVariable failures -ErrorAction SilentlyContinue
        $runs.Count | Should -Be 2
        ($runs | ForEach-Object Operation | Select-Object -Unique) | Should -Be 'FullPackage'
        ($runs | ForEach-Object State | Select-Object -Unique) | Should -Be 'OK'
        $failures.Count | Should -Be 2
        ($failures | ForEach-Object FullyQualifiedErrorId | Select-Object -Unique) | Should -Be "SiteCodeInvalid,$cmd"
        $failures[0].TargetObject | Should -Be 'lyon 01'
        $published = Get-HzSyncReport -ConfigPath $siege -Id $runs[1].Id -Detail
        $published.Kind | Should -Be 'Site'
        $published.Site | Should -Be 'NICE02'
        $published.State | Should -Be 'Published'
        $published.Bytes | Should -BeGreaterThan 0
    }

    It 'completes -FullPackageFor with the sites the Siège knows' {
        $line = "Invoke-HzConsolidation -ConfigPath '$siege' -FullPackageFor "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('LYON01', 'NICE02')
        $line = "Invoke-HzConsolidation -ConfigPath '$siege' -Site N"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('NICE02')
    }
}
