BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.StopHzSyncCommand'

    # Starts Invoke-HzSync in a second runspace (as a second console would), returns the PowerShell instance and its
    # pending result.
    function Start-HzNight([string] $ConfigPath) {
        $shell = [powershell]::Create()
        $manifest = Join-Path (Get-Module HeitzSync).ModuleBase 'HeitzSync.psd1'
        $null = $shell.AddScript({
                param($Manifest, $ConfigPath)
                Import-Module $Manifest
                Invoke-HzSync -ConfigPath $ConfigPath
            }).AddArgument($manifest).AddArgument($ConfigPath)
        [pscustomobject]@{ Shell = $shell; Pending = $shell.BeginInvoke() }
    }

    function Wait-HzCondition([scriptblock] $Condition, [int] $Seconds = 60, [string] $What) {
        $deadline = (Get-Date).AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ((Get-Date) -gt $deadline) { throw "Timed out after $Seconds s waiting for: $What" }
            Start-Sleep -Milliseconds 250
        }
    }
}

Describe 'Stop-HzSync' {
    It 'stops a night waiting for its package: the run ends Stopped with the reason, nothing half applied, no request left' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'stop')
        # A site whose Siège never publishes, waiting up to an hour for its package.
        $site = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 60
        Initialize-HzSite -ConfigPath $site | Out-Null
        $work = Join-HzPath $root 'LYON01/work'
        $night = Start-HzNight $site
        try {
            # The package is sent, then the night waits for the Siège's.
            $up = Join-Path $root 'drop/LYON01/up'
            Wait-HzCondition { @(Get-ChildItem -LiteralPath $up -File -ErrorAction SilentlyContinue | Where-Object Name -NotMatch '\.(part|tmp)$').Count -gt 0 } -What 'the site to send its package'
            # Past the upload's last step, into the wait for the Siège's package: the night says so in its progress.
            Wait-HzCondition { @($night.Shell.Streams.Progress) | Where-Object StatusDescription -Like 'Waiting for the Si*ge*s*' } -What 'the night to wait for the package'
            Wait-HzCondition { (Get-HzSyncReport -ConfigPath $site -Last 1 -Operation Sync).State -eq 'Running' } -What 'the running Sync report'
            $members = Get-HzTestScalar $site 'select count(*) from MEMBERS'

            Stop-HzSync -ConfigPath $site -Reason 'maintenance window' -WhatIf | Should -BeNullOrEmpty
            Test-Path -LiteralPath (Join-Path $work 'heitzsync.stop') | Should -BeFalse

            $stop = Stop-HzSync -ConfigPath $site -Reason 'maintenance window'
            $stop | Should -BeOfType ([HeitzSync.PowerShell.HzStopRequest])
            $stop.Requested | Should -BeTrue
            $stop.RunInProgress | Should -BeTrue
            $stop.RunOperation | Should -Be 'Sync'
            $stop.RunProcessId | Should -Be $PID
            $stop.Reason | Should -Be 'maintenance window'
            $stop.Node | Should -Be 'LYON01'

            $night.Pending.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(30)) | Should -BeTrue -Because 'the night stops within seconds, not at the end of its hour of waiting'
            $result = $night.Shell.EndInvoke($night.Pending)
            $errors = @($night.Shell.Streams.Error)
        }
        finally {
            if (-not $night.Pending.IsCompleted) { $night.Shell.Stop() }
            $night.Shell.Dispose()
        }
        $run = $result | Select-Object -Last 1
        $run.State | Should -Be 'Stopped'
        $run.RowsSent | Should -BeGreaterThan 0
        $run.Summary | Should -Match 'stopped by Stop-HzSync: maintenance window'
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'Stopped,HeitzSync.PowerShell.Commands.InvokeHzSyncCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'OperationStopped'
        $errors[0].Exception.Message | Should -Match 'maintenance window \(asked by '

        Get-HzTestScalar $site 'select count(*) from MEMBERS' | Should -Be $members
        Test-Path -LiteralPath (Join-Path $work 'heitzsync.stop') | Should -BeFalse
        [HeitzSync.Core.Runs.RunLock]::CurrentHolder($work) | Should -BeNullOrEmpty
        (Get-HzSyncReport -ConfigPath $site -Last 1).State | Should -Be 'Stopped'
        $errorLine = Get-HzSyncReport -ConfigPath $site -Last 1 -Detail | Where-Object Kind -EQ 'Error'
        $errorLine.ErrorId | Should -Be 'Stopped'
        $errorLine.Message | Should -Match 'maintenance window'
    }

    It 'warns and leaves no request when no run is going' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'idle')
        $site = New-HzTestNode -Root $root -Code LYON01 -Number 2 -NoDatabase
        $result = Stop-HzSync -ConfigPath $site -WarningVariable warnings -WarningAction SilentlyContinue
        $result.Requested | Should -BeFalse
        $result.RunInProgress | Should -BeFalse
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match 'No HeitzSync run is in progress on LYON01'
        Test-Path -LiteralPath (Join-HzPath $root 'LYON01/work/heitzsync.stop') | Should -BeFalse
    }

    It 'reports a broken configuration as ConfigInvalid' {
        $path = Join-Path $TestDrive 'broken.json'
        Set-Content -LiteralPath $path -Value '{ "role": "Site", "site": { "code": "lyon" } }'
        { Stop-HzSync -ConfigPath $path -ErrorAction Stop } | Should -Throw -ErrorId "ConfigInvalid,$cmd"
    }
}
