BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.RegisterHzSyncTaskCommand'
    $scripts = Join-Path (Get-Module HeitzSync).ModuleBase 'Scripts'

    # A node's configuration in a folder whose name holds a space, starting at 01:30 with a 7-minute stagger.
    function New-HzScheduledConfig([string] $Name, [string] $Role = 'Site', [string] $Code = 'LYON01', [int] $Number = 2) {
        $path = New-HzTestConfig -Name $Name -Role $Role -SiteCode $Code -SiteNumber $Number
        Set-HzSyncConfig -ConfigPath $path -Setting @{ 'schedule.startTime' = '01:30'; 'schedule.staggerMinutes' = 7 } | Out-Null
        $path
    }

    # Runs a scheduled script as the scheduler does: a new PowerShell process, -NoProfile -NonInteractive -File.
    function Invoke-HzScheduledScript([string] $Script, [string] $ConfigPath) {
        $shell = (Get-Process -Id $PID).Path
        $output = & $shell -NoProfile -NonInteractive -File (Join-Path $scripts $Script) -ConfigPath $ConfigPath 2>&1
        [pscustomobject]@{
            ExitCode = $LASTEXITCODE
            Lines    = @($output | ForEach-Object { "$_" } | Where-Object { $_.Trim() })
        }
    }
}

Describe 'Register-HzSyncTask' {
    It 'writes a site''s systemd units with -Path: the timer at startTime + site number x stagger, the site''s script in the service' {
        $config = New-HzScheduledConfig 'club lyon'
        $folder = Join-HzPath $TestDrive 'units'
        $task = Register-HzSyncTask -ConfigPath $config -Kind Systemd -Path $folder

        $task | Should -BeOfType ([HeitzSync.PowerShell.HzScheduledTask])
        $task.Name | Should -Be 'heitzsync-lyon01'
        $task.Kind | Should -Be 'Systemd'
        $task.Role | Should -Be 'Site'
        $task.At | Should -Be '01:44'
        $task.OffsetMinutes | Should -Be 14
        $task.Schedule | Should -Be 'OnCalendar=*-*-* 01:44:00'
        $task.Installed | Should -BeFalse
        $task.RunAs | Should -Be 'root'
        $task.Files | Should -Be @((Join-Path $folder 'heitzsync-lyon01.service'), (Join-Path $folder 'heitzsync-lyon01.timer'))
        foreach ($file in $task.Files) { Test-Path -LiteralPath $file | Should -BeTrue }

        $timer = Get-Content -LiteralPath $task.Files[1]
        $timer | Should -Contain 'OnCalendar=*-*-* 01:44:00'
        $timer | Should -Contain 'Unit=heitzsync-lyon01.service'
        $service = Get-Content -LiteralPath $task.Files[0]
        $exec = $service | Where-Object { $_ -like 'ExecStart=*' }
        # No versioned script path: the module found when the night starts runs its own script for the role.
        $modules = Split-Path (Split-Path (Get-Module HeitzSync).ModuleBase)
        $exec | Should -BeLike "*`"-NoProfile`" `"-NonInteractive`" `"-Command`" `"`$`$env:PSModulePath = '$modules' + *Import-Module HeitzSync *'Scripts/Invoke-HzSiteNight.ps1') -ConfigPath '$config'; *"
        $exec | Should -Not -BeLike "*$((Get-Module HeitzSync).Version)*"
        $config | Should -BeLike '* *'   # the path with a space stays in one quoted word
        # The command as people read it: shell quoting.
        $task.Command | Should -BeLike "* -NoProfile -NonInteractive -Command '*-ConfigPath '\''$config'\''*"
    }

    It 'writes the Siège''s cron file at startTime, with the Siège''s script' {
        $config = New-HzScheduledConfig 'siege' -Role Siege -Code SIEGE -Number 1
        $task = Register-HzSyncTask -ConfigPath $config -Kind Cron -Path (Join-Path $TestDrive 'cron.d')
        $task.At | Should -Be '01:30'
        $task.Schedule | Should -Be '30 1 * * *'
        $file = Join-HzPath $TestDrive 'cron.d/heitzsync-siege'
        $task.Files | Should -Be @($file)
        $line = Get-Content -LiteralPath $file | Where-Object { $_ -match '^\d' }
        $line | Should -BeLike "30 1 ``* ``* ``* root * -Command '*Invoke-HzSiegeNight.ps1*-ConfigPath *' >> *$(Join-HzPath $TestDrive 'siege/reports/night.log')* 2>&1"
    }

    It 'writes the Windows task''s XML (UTF-16) with its StartBoundary, and the run-as account without its password' {
        $config = New-HzScheduledConfig 'club xml' -Code NICE03 -Number 3
        $password = 'Never-in-the-file-42'
        $credential = [pscredential]::new('CLUB\heitzsync', (ConvertTo-SecureString $password -AsPlainText -Force))
        $task = Register-HzSyncTask -ConfigPath $config -Kind TaskScheduler -Path (Join-Path $TestDrive 'xml') -Credential $credential
        $task.Name | Should -Be 'HeitzSync-NICE03'
        $task.At | Should -Be '01:51'
        $task.RunAs | Should -Be 'CLUB\heitzsync'
        $file = Join-HzPath $TestDrive 'xml/HeitzSync-NICE03.xml'
        $task.Files | Should -Be @($file)
        $bytes = [System.IO.File]::ReadAllBytes($file)
        $bytes[0] | Should -Be 0xFF
        $bytes[1] | Should -Be 0xFE
        [xml] $xml = [System.IO.File]::ReadAllText($file, [System.Text.Encoding]::Unicode)
        $xml.Task.Triggers.CalendarTrigger.StartBoundary | Should -Be '2026-01-01T01:51:00'
        $xml.Task.Principals.Principal.UserId | Should -Be 'CLUB\heitzsync'
        $xml.Task.Principals.Principal.LogonType | Should -Be 'Password'
        $xml.Task.Actions.Exec.Arguments | Should -BeLike "-NoProfile -NonInteractive -ExecutionPolicy Bypass -Command `"*Import-Module HeitzSync *'Scripts/Invoke-HzSiteNight.ps1') -ConfigPath '$config'; *`""
        [System.IO.File]::ReadAllText($file, [System.Text.Encoding]::Unicode) | Should -Not -Match $password
        ($task | Out-String) | Should -Not -Match $password
    }

    It 'leaves existing files alone without -Force (ScheduleExists) and replaces them with it' {
        $config = New-HzScheduledConfig 'club force'
        $folder = Join-Path $TestDrive 'force'
        Register-HzSyncTask -ConfigPath $config -Kind Cron -Path $folder | Out-Null
        $file = Join-Path $folder 'heitzsync-lyon01'
        Set-Content -LiteralPath $file -Value 'mine'

        { Register-HzSyncTask -ConfigPath $config -Kind Cron -Path $folder -ErrorAction Stop } | Should -Throw -ErrorId "ScheduleExists,$cmd"
        Get-Content -LiteralPath $file | Should -Be 'mine'

        $task = Register-HzSyncTask -ConfigPath $config -Kind Cron -Path $folder -Force
        $task.Files | Should -Be @((Join-HzPath $folder 'heitzsync-lyon01'))
        Get-Content -LiteralPath $file -Raw | Should -Match '\n44 1 \* \* \* root '
    }

    It 'writes nothing with -WhatIf' {
        $config = New-HzScheduledConfig 'club whatif'
        $folder = Join-Path $TestDrive 'whatif'
        Register-HzSyncTask -ConfigPath $config -Kind Systemd -Path $folder -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath $folder | Should -BeFalse
    }

    It 'warns about a site that would start past its restart hour' {
        $config = New-HzScheduledConfig 'club late' -Code PARIS40 -Number 40
        Set-HzSyncConfig -ConfigPath $config -Setting @{ 'schedule.staggerMinutes' = 10 } | Out-Null
        $task = Register-HzSyncTask -ConfigPath $config -Kind Cron -Path (Join-Path $TestDrive 'late') -WarningVariable warnings -WarningAction SilentlyContinue
        $task.At | Should -Be '08:10'
        ($warnings | Out-String) | Should -Match 'past its restart hour'
    }

    It 'reports a missing configuration as ConfigNotFound' {
        { Register-HzSyncTask -ConfigPath (Join-Path $TestDrive 'none/heitzsync.json') -Path $TestDrive -ErrorAction Stop } | Should -Throw -ErrorId "ConfigNotFound,$cmd"
    }
}

Describe 'The scheduled scripts' {
    # A real night: a Siège and a site with embedded Firebird databases and a folder drop, each script run as the
    # scheduler runs it, its exit code and its last line checked.
    It 'run the nights of a site and the Siège with the exit codes and the last line RMM tools read' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'night')
        $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
        $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0
        foreach ($node in $siege, $lyon) { (Initialize-HzSite -ConfigPath $node).State | Should -Be 'OK' }

        # First night of the site: sent, no package from the Siège yet: partial, exit 1.
        $first = Invoke-HzScheduledScript 'Invoke-HzSiteNight.ps1' $lyon
        $first.ExitCode | Should -Be 1 -Because ($first.Lines -join "`n")
        $first.Lines[-1] | Should -Match '^HeitzSync SITE LYON01 PARTIAL: sent [1-9]\d*, received 0 rows, 0 conflicts, \d\d:\d\d:\d\d \(report \S+-LYON01-Sync\) - .*no package from the Siège'

        $consolidation = Invoke-HzScheduledScript 'Invoke-HzSiegeNight.ps1' $siege
        $consolidation.ExitCode | Should -Be 0 -Because ($consolidation.Lines -join "`n")
        $consolidation.Lines[-1] | Should -Match '^HeitzSync SIEGE SIEGE OK: 1 of 1 sites, received [1-9]\d*, sent \d+ rows, 0 conflicts, \d\d:\d\d:\d\d \(report \S+-SIEGE-Sync\)$'

        $second = Invoke-HzScheduledScript 'Invoke-HzSiteNight.ps1' $lyon
        $second.ExitCode | Should -Be 0 -Because ($second.Lines -join "`n")
        $second.Lines[-1] | Should -Match '^HeitzSync SITE LYON01 OK: sent \d+, received [1-9]\d* rows, 0 conflicts, \d\d:\d\d:\d\d \(report \S+-LYON01-Sync\)$'

        # The last line names the report: Get-HzSyncReport finds it, in the state the exit code said.
        $id = [regex]::Match($second.Lines[-1], '\(report (\S+)\)').Groups[1].Value
        (Get-HzSyncReport -ConfigPath $lyon -Id $id).State | Should -Be 'OK'
        (Get-HzSyncReport -ConfigPath $lyon -Id $id).ExitCode | Should -Be 0
        Compare-HzTestDatabase $siege $lyon | Should -BeNullOrEmpty
    }

    It 'stop on SIGTERM as Stop-HzSync does: report Stopped, one STOPPED line, exit 2' -Skip:($IsWindows -or $PSVersionTable.PSEdition -ne 'Core') {
        $root = New-HzTestGroup (Join-Path $TestDrive 'term')
        $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege
        $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 5
        foreach ($node in $siege, $lyon) { (Initialize-HzSite -ConfigPath $node).State | Should -Be 'OK' }

        # The site's night sends, then waits for the Siège's package (no consolidation tonight): systemctl stop comes then.
        $start = [System.Diagnostics.ProcessStartInfo]::new((Get-Process -Id $PID).Path)
        foreach ($argument in '-NoProfile', '-NonInteractive', '-File', (Join-Path $scripts 'Invoke-HzSiteNight.ps1'), '-ConfigPath', $lyon) { $start.ArgumentList.Add($argument) }
        $start.RedirectStandardOutput = $true
        $start.UseShellExecute = $false
        $night = [System.Diagnostics.Process]::Start($start)
        $output = $night.StandardOutput.ReadToEndAsync()
        $up = Join-HzPath $root 'drop/LYON01/up'
        $deadline = (Get-Date).AddMinutes(2)
        while (-not (Test-Path -LiteralPath $up) -or -not (Get-ChildItem -LiteralPath $up -Filter '*.hzp')) {
            if ((Get-Date) -gt $deadline -or $night.HasExited) { throw "the site's night never sent: $($output.Result)" }
            Start-Sleep -Milliseconds 200
        }
        & kill -s TERM $night.Id
        $night.WaitForExit(120000) | Should -BeTrue
        $lines = @($output.Result -split "`n" | Where-Object { $_.Trim() })
        $night.ExitCode | Should -Be 2 -Because ($lines -join "`n")
        $lines[-1] | Should -Match '^HeitzSync SITE LYON01 STOPPED: .*\(report \S+-LYON01-Sync\) - stopped by SIGTERM'
        $id = [regex]::Match($lines[-1], '\(report (\S+)\)').Groups[1].Value
        (Get-HzSyncReport -ConfigPath $lyon -Id $id).State | Should -Be 'Stopped'
    }

    It 'exit 2 with one FAILED line for a configuration that cannot be loaded, or one of the other role' {
        $missing = Invoke-HzScheduledScript 'Invoke-HzSiteNight.ps1' (Join-Path $TestDrive 'none/heitzsync.json')
        $missing.ExitCode | Should -Be 2
        $missing.Lines[-1] | Should -Match '^HeitzSync SITE .*none.heitzsync\.json FAILED: The configuration file .* does not exist'

        $root = New-HzTestGroup (Join-Path $TestDrive 'roles')
        $siege = New-HzTestNode -Root $root -Code SIEGE -Number 1 -Role Siege -NoDatabase
        $wrong = Invoke-HzScheduledScript 'Invoke-HzSiteNight.ps1' $siege
        $wrong.ExitCode | Should -Be 2
        $wrong.Lines[-1] | Should -Match '^HeitzSync SITE SIEGE FAILED: .* is the configuration of a Siege, not of a Site: schedule Invoke-HzSiegeNight\.ps1'
        Test-Path -LiteralPath (Join-HzPath $root 'SIEGE/reports') | Should -BeFalse   # nothing ran

        $bad = Join-Path $TestDrive 'bad.json'
        Set-Content -LiteralPath $bad -Value '{ "role": "Site", "site": { "code": "lyon", "number": 0 } }'
        $invalid = Invoke-HzScheduledScript 'Invoke-HzSiteNight.ps1' $bad
        $invalid.ExitCode | Should -Be 2
        $invalid.Lines[-1] | Should -Match "^HeitzSync SITE .*bad\.json FAILED: The configuration .* cannot be used: .*site\.code 'lyon'"
    }

    It 'exit 2 with the reason when another run holds the node''s lock, and no report' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'busy')
        $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -NoDatabase
        $lock = [HeitzSync.Core.Runs.RunLock]::Acquire((Join-HzPath $root 'LYON01/work'), 'Sync')
        try { $busy = Invoke-HzScheduledScript 'Invoke-HzSiteNight.ps1' $lyon }
        finally { $lock.Dispose() }
        $busy.ExitCode | Should -Be 2
        $busy.Lines[-1] | Should -Match '^HeitzSync SITE LYON01 FAILED: A HeitzSync run is already in progress on this node: Sync since .* UTC'
        Test-Path -LiteralPath (Join-HzPath $root 'LYON01/reports') | Should -BeFalse   # a refused run is no run
    }
}
