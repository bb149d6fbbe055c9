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
