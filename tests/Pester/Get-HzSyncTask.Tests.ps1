BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.GetHzSyncTaskCommand'

    # A site starting at 01:30 + 2 x 7 min = 01:44, its night written for review in a folder, one kind each.
    $config = New-HzTestConfig -Name 'tasks'
    Set-HzSyncConfig -ConfigPath $config -Setting @{ 'schedule.startTime' = '01:30'; 'schedule.staggerMinutes' = 7 }
    $folder = Join-HzPath $TestDrive 'review'
    $registered = foreach ($kind in 'Systemd', 'Cron', 'TaskScheduler') { Register-HzSyncTask -ConfigPath $config -Kind $kind -Path $folder }
}

Describe 'Get-HzSyncTask' {
    It 'reads each kind of task back from its files: time, schedule, command and account' {
        $found = Get-HzSyncTask -ConfigPath $config -Path $folder
        $found | Should -BeOfType ([HeitzSync.PowerShell.HzScheduledTask])
        ($found | ForEach-Object Kind | Sort-Object) | Should -Be @('Cron', 'Systemd', 'TaskScheduler')
        foreach ($task in $found) {
            $written = $registered | Where-Object Kind -EQ $task.Kind
            $task.Name | Should -Be $written.Name
            $task.At | Should -Be '01:44'
            $task.OffsetMinutes | Should -Be 14
            $task.Schedule | Should -Be $written.Schedule
            $task.RunAs | Should -Be $written.RunAs
            $task.Files | Should -Be $written.Files
            $task.Installed | Should -BeFalse
            $task.Path | Should -Be $folder
            $task.ConfigPath | Should -Be $config
            $task.Role | Should -Be 'Site'
            $task.Command | Should -BeLike '*Invoke-HzSiteNight.ps1*-ConfigPath*'
        }
        ($found | Where-Object Kind -EQ 'Cron').Command | Should -Be ($registered | Where-Object Kind -EQ 'Cron').Command
    }

    It 'filters by -Kind, and finds nothing where nothing was written' {
        (Get-HzSyncTask -ConfigPath $config -Path $folder -Kind Cron).Kind | Should -Be 'Cron'
        Get-HzSyncTask -ConfigPath $config -Path (Join-Path $TestDrive 'empty') | Should -BeNullOrEmpty
        $other = New-HzTestConfig -Name 'other' -SiteCode NICE03 -SiteNumber 3
        Get-HzSyncTask -ConfigPath $other -Path $folder | Should -BeNullOrEmpty
    }

    It 'reports a missing configuration as ConfigNotFound' {
        { Get-HzSyncTask -ConfigPath (Join-Path $TestDrive 'none/heitzsync.json') -ErrorAction Stop } | Should -Throw -ErrorId "ConfigNotFound,$cmd"
    }
}
