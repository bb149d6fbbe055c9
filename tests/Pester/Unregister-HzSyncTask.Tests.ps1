BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.UnregisterHzSyncTaskCommand'
    $config = New-HzTestConfig -Name 'unregister'
}

Describe 'Unregister-HzSyncTask' {
    It 'removes the files written for review, one kind or all, and -WhatIf removes nothing' {
        $folder = Join-HzPath $TestDrive 'review'
        foreach ($kind in 'Systemd', 'Cron') { Register-HzSyncTask -ConfigPath $config -Kind $kind -Path $folder | Out-Null }
        Unregister-HzSyncTask -ConfigPath $config -Path $folder -WhatIf
        @(Get-ChildItem -LiteralPath $folder).Count | Should -Be 3

        $removed = Unregister-HzSyncTask -ConfigPath $config -Path $folder -Kind Cron -PassThru -Confirm:$false
        $removed.Kind | Should -Be 'Cron'
        (Get-ChildItem -LiteralPath $folder).Name | Should -Be @('heitzsync-lyon01.service', 'heitzsync-lyon01.timer')

        Unregister-HzSyncTask -ConfigPath $config -Path $folder -Confirm:$false
        Get-ChildItem -LiteralPath $folder | Should -BeNullOrEmpty
    }

    It 'takes Get-HzSyncTask''s objects from the pipeline' {
        $folder = Join-HzPath $TestDrive 'piped'
        Register-HzSyncTask -ConfigPath $config -Kind TaskScheduler -Path $folder | Out-Null
        Get-HzSyncTask -ConfigPath $config -Path $folder | Unregister-HzSyncTask -Confirm:$false
        Get-ChildItem -LiteralPath $folder | Should -BeNullOrEmpty
    }

    It 'says ScheduleNotFound when the node has no such task' {
        { Unregister-HzSyncTask -ConfigPath $config -Path (Join-Path $TestDrive 'nothing') -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "ScheduleNotFound,$cmd"
        $folder = Join-HzPath $TestDrive 'cronly'
        Register-HzSyncTask -ConfigPath $config -Kind Cron -Path $folder | Out-Null
        { Unregister-HzSyncTask -ConfigPath $config -Path $folder -Kind Systemd -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "ScheduleNotFound,$cmd"
        Test-Path -LiteralPath (Join-Path $folder 'heitzsync-lyon01') | Should -BeTrue
    }
}
