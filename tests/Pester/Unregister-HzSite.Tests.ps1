BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.UnregisterHzSiteCommand'

    $root = New-HzTestGroup (Join-Path $TestDrive 'group')
    $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
    $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2
    $nice = New-HzTestNode -Root $root -Code NICE02 -Number 3
    foreach ($node in $siege, $lyon, $nice) { Initialize-HzSite -ConfigPath $node | Out-Null }
}

Describe 'Unregister-HzSite' {
    It 'refuses a site''s configuration with NotSiege' {
        { Unregister-HzSite NICE02 -ConfigPath $lyon -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "NotSiege,$cmd"
    }

    It 'changes nothing with -WhatIf and refuses a malformed code' {
        Unregister-HzSite NICE02 -ConfigPath $siege -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-HzPath $root 'drop/NICE02/up/site.json') | Should -BeTrue
        { Unregister-HzSite 'nice' -ConfigPath $siege -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "SiteCodeInvalid,$cmd"
    }

    It 'removes a registered site: no longer waited for, its number never given again' {
        (Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0 -WarningAction SilentlyContinue).SitesExpected | Should -Be 2
        $run = 'NICE02' | Unregister-HzSite -ConfigPath $siege -Confirm:$false
        $run | Should -BeOfType ([HeitzSync.PowerShell.HzSyncRun])
        $run.Operation | Should -Be 'Unregister'
        $run.State | Should -Be 'OK'
        $run.Summary | Should -Match 'NICE02 removed.*number 3'
        Test-Path -LiteralPath (Join-HzPath $root 'drop/NICE02/up/site.json') | Should -BeFalse
        (Invoke-HzConsolidation -ConfigPath $siege -ReceptionMinutes 0 -WarningAction SilentlyContinue).SitesExpected | Should -Be 1

        $pau = New-HzTestNode -Root $root -Code PAU03 -Number 3
        $refused = Initialize-HzSite -ConfigPath $pau -ErrorVariable failures -ErrorAction SilentlyContinue
        $refused.State | Should -Be 'Failed'
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'RegistrationRefused,*'
        $failures[0].Exception.Message | Should -Match 'NICE02'
    }

    It 'fails clearly for a site that is not registered' {
        $run = Unregister-HzSite NOSUCH -ConfigPath $siege -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
        $run.State | Should -Be 'Failed'
        $failures[0].Exception.Message | Should -Match 'not a registered site.*LYON01'
    }
}
