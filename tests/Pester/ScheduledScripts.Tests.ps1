BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    $scripts = Join-Path (Get-Module HeitzSync).ModuleBase 'Scripts'

    # Runs a program as a scheduler (or an RMM agent) does: its own process, stdout and stderr captured apart.
    function Invoke-HzProcess([string] $Program, [string[]] $Arguments) {
        $start = [System.Diagnostics.ProcessStartInfo]::new($Program)
        foreach ($argument in $Arguments) { $start.ArgumentList.Add($argument) }
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $start.UseShellExecute = $false
        $process = [System.Diagnostics.Process]::Start($start)
        $stderr = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEnd()
        $process.WaitForExit()
        [pscustomobject]@{
            ExitCode = $process.ExitCode
            Stdout   = $stdout
            Stderr   = $stderr.Result
            Lines    = @($stdout -split "`r?`n" | Where-Object { $_.Trim() })
        }
    }
}

Describe 'The scheduled scripts on a failed night' {
    It 'print one plain FAILED line that names the cause, one plain error line on stderr, and leave gbak''s lines to the report' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'failed')
        $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0 -NoDatabase   # no database file
        $shell = (Get-Process -Id $PID).Path

        $night = Invoke-HzProcess $shell @('-NoProfile', '-NonInteractive', '-File', (Join-Path $scripts 'Invoke-HzSiteNight.ps1'), '-ConfigPath', $lyon)

        $night.ExitCode | Should -Be 2 -Because $night.Stderr
        $night.Lines.Count | Should -Be 1 -Because $night.Stdout
        $night.Lines[0] | Should -Match '^HeitzSync SITE LYON01 FAILED: sent 0, received 0 rows, 0 conflicts, \d\d:\d\d:\d\d \(report (\S+)\) - The safety backup of .*LYON01\.fdb .* failed: the database file \S+LYON01\.fdb does not exist: check database\.path'
        $night.Stdout | Should -Not -Match 'gbak:'
        $night.Stdout | Should -Not -Match 'free space'
        $errorLines = @($night.Stderr -split "`r?`n" | Where-Object { $_.Trim() })
        $errorLines.Count | Should -Be 1 -Because $night.Stderr
        $errorLines[0] | Should -Match '^error DatabaseNotFound: Sync: The safety backup of .* does not exist'
        $night.Stderr + $night.Stdout | Should -Not -Match "`e"          # no ANSI escape
        $night.Stderr | Should -Not -Match 'Line \|'                     # no ErrorRecord view
        $night.Stderr.Length | Should -BeLessThan 600

        # The detail (gbak's own lines) is in the report the line names.
        $id = [regex]::Match($night.Lines[0], '\(report (\S+)\)').Groups[1].Value
        $report = Get-Content -Raw -LiteralPath (Join-HzPath $root "LYON01/reports/$id.json") | ConvertFrom-Json
        $report.errors[0].errorId | Should -Be 'DatabaseNotFound'
        $report.errors[0].detail | Should -Match 'gbak: ERROR:.*No such file or directory'
    }

    It 'gives the cmdlet''s error a specific category and the cause''s error id' {
        $root = New-HzTestGroup (Join-Path $TestDrive 'category')
        $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0 -NoDatabase
        $run = Invoke-HzSync -ConfigPath $lyon -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failures
        $run.State | Should -Be 'Failed'
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'DatabaseNotFound,HeitzSync.PowerShell.Commands.InvokeHzSyncCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[0].Exception.Message | Should -Not -Match "`n"
    }
}

Describe 'A registered night after an upgrade' {
    It 'runs the night with the version found when it starts, logs the cron line''s output, and exits 2 with one line once no module is left' {
        # The module installed as Install-PSResource lays it out: <Modules>/HeitzSync/<version>.
        $modules = Join-Path $TestDrive 'Modules'
        $installed = Join-Path $modules "HeitzSync/$((Get-Module HeitzSync).Version)"
        New-Item -ItemType Directory -Path (Split-Path $installed) -Force | Out-Null
        Copy-Item -Recurse -LiteralPath (Get-Module HeitzSync).ModuleBase -Destination $installed
        $root = New-HzTestGroup (Join-Path $TestDrive 'upgrade')
        $lyon = New-HzTestNode -Root $root -Code LYON01 -Number 2 -PackageWaitMinutes 0 -NoDatabase   # the night fails at its backup: quick
        $shell = (Get-Process -Id $PID).Path

        # Registered by an admin from the installed module, in a PowerShell of its own.
        $cron = Join-Path $TestDrive 'cron.d'
        $register = Invoke-HzProcess $shell @('-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$installed/HeitzSync.psd1' -ErrorAction Stop; Register-HzSyncTask -ConfigPath '$lyon' -Kind Cron -Path '$cron' -ErrorAction Stop | Out-Null")
        $register.ExitCode | Should -Be 0 -Because $register.Stderr
        $line = Get-Content -LiteralPath (Join-Path $cron 'heitzsync-lyon01') | Where-Object { $_ -match '^\d' }
        $log = Join-HzPath $root 'LYON01/reports/night.log'
        # Installing the task (not -Path) makes the log's folder; any run makes it too. Here, as a first run would:
        New-Item -ItemType Directory -Path (Split-Path $log) -Force | Out-Null
        & chmod 700 (Split-Path $log)   # the reports folder as a run (or the installer) makes it: no LoosePermissions warning
        $line | Should -BeLike "* >> *$log* 2>&1"   # quoted for sh when it needs it
        # What cron hands to /bin/sh: the line after the five time fields and the user, '\%' back to '%'.
        $command = ($line -replace '^(\S+\s+){6}', '').Replace('\%', '%')

        # The upgrade: the next version installed beside it, the registered one removed.
        $next = Join-Path $modules 'HeitzSync/99.0.0'
        Move-Item -LiteralPath $installed -Destination $next
        $manifest = Join-Path $next 'HeitzSync.psd1'
        (Get-Content -Raw -LiteralPath $manifest) -replace "ModuleVersion\s*=\s*'[^']+'", "ModuleVersion = '99.0.0'" | Set-Content -LiteralPath $manifest

        $night = Invoke-HzProcess '/bin/sh' @('-c', $command)
        $night.ExitCode | Should -Be 2 -Because (Get-Content -Raw -LiteralPath $log)
        $night.Stdout + $night.Stderr | Should -BeNullOrEmpty   # all of it went to the log
        $logged = @(Get-Content -LiteralPath $log)
        $logged.Count | Should -Be 2
        $logged[0] | Should -Match '^error DatabaseNotFound: '
        $logged[1] | Should -Match '^HeitzSync SITE LYON01 FAILED: .*the database file \S+ does not exist'   # the night ran, with 99.0.0, its line last

        # No module left anywhere: still the 0/1/2 contract, and one line that says what to do.
        Remove-Item -Recurse -Force -LiteralPath (Join-Path $modules 'HeitzSync')
        $gone = Invoke-HzProcess '/bin/sh' @('-c', $command)
        $gone.ExitCode | Should -Be 2
        $last = @(Get-Content -LiteralPath $log)[-1]
        $last | Should -Match "^HeitzSync SITE .*heitzsync\.json FAILED: the HeitzSync module could not be loaded \(.*\): install it for all users \(Install-PSResource HeitzSync -Scope AllUsers\)"
        @(Get-Content -LiteralPath $log).Count | Should -Be 3
    }
}
