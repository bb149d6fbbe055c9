BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.SetHzSyncConfigCommand'
}

Describe 'Set-HzSyncConfig' {
    It 'changes named settings and typed parameters, and saves a usable file' {
        $path = New-HzTestConfig -Name 'set'
        $result = Set-HzSyncConfig -ConfigPath $path -RestartHour '06:00' -Setting @{ 'backup.keep' = 14; 'Tables.LocalOnly' = 'WORKSTATION_*'; 'schedule.receptionMinutes' = '90' } -PassThru

        $result | Should -BeOfType ([HeitzSync.Core.Configuration.HzSyncConfig])
        $result.Schedule.RestartHour | Should -Be '06:00'
        $result.Backup.Keep | Should -Be 14
        $result.Tables.LocalOnly | Should -Be @('WORKSTATION_*')
        $result.Schedule.ReceptionMinutes | Should -Be 90
        $json = Get-Content -LiteralPath $path -Raw | ConvertFrom-Json
        $json.backup.keep | Should -Be 14
        $json.schedule.restartHour | Should -Be '06:00'
    }

    It 'outputs nothing without -PassThru' {
        $path = New-HzTestConfig -Name 'quiet'
        Set-HzSyncConfig -ConfigPath $path -Setting @{ 'reports.keep' = 30 } | Should -BeNullOrEmpty
        (Get-HzSyncConfig -ConfigPath $path).Reports.Keep | Should -Be 30
    }

    It 'changes nothing with -WhatIf' {
        $path = New-HzTestConfig -Name 'whatif'
        $before = [System.IO.File]::ReadAllBytes($path)
        Set-HzSyncConfig -ConfigPath $path -SiteCode NICE02 -WhatIf | Should -BeNullOrEmpty
        [System.IO.File]::ReadAllBytes($path) | Should -Be $before
    }

    It 'refuses unknown settings and values of the wrong type, and changes nothing' {
        $path = New-HzTestConfig -Name 'unknown'
        $before = Get-Content -LiteralPath $path -Raw
        $err = $null
        Set-HzSyncConfig -ConfigPath $path -Setting @{ 'drop.hots' = 'x'; 'backup.keep' = 'many' } -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be "SettingInvalid,$cmd"
        $err[0].Exception.Message | Should -Match "'drop.hots' is not a setting"
        $err[0].Exception.Message | Should -Match "backup.keep: 'many' is not a whole number"
        Get-Content -LiteralPath $path -Raw | Should -Be $before
    }

    It 'refuses a change that leaves the configuration unusable, and changes nothing' {
        $path = New-HzTestConfig -Name 'unusable'
        $before = Get-Content -LiteralPath $path -Raw
        { Set-HzSyncConfig -ConfigPath $path -Setting @{ 'drop.kind' = 'Ftp' } -ErrorAction Stop } | Should -Throw -ErrorId "ConfigInvalid,$cmd"
        Get-Content -LiteralPath $path -Raw | Should -Be $before
    }

    It 'asks for at least one setting' {
        $path = New-HzTestConfig -Name 'none'
        { Set-HzSyncConfig -ConfigPath $path -ErrorAction Stop } | Should -Throw -ErrorId "NoSettingGiven,$cmd"
    }

    It 'repairs a file that does not validate' {
        $path = Join-HzPath $TestDrive 'repair/heitzsync.json'
        New-Item -ItemType Directory -Path (Split-Path $path) -Force | Out-Null
        Set-Content -LiteralPath $path -Value '{ "role": "Site", "site": { "code": "LYON01", "number": 2 }, "database": { "path": "club.fdb" }, "drop": { "kind": "Folder" } }'
        { Get-HzSyncConfig -ConfigPath $path -ErrorAction Stop } | Should -Throw -ErrorId 'ConfigInvalid,HeitzSync.PowerShell.Commands.GetHzSyncConfigCommand'

        Set-HzSyncConfig -ConfigPath $path -DropPath (Join-Path $TestDrive 'drop')
        (Get-HzSyncConfig -ConfigPath $path).Drop.Path | Should -Be (Join-Path $TestDrive 'drop')
    }

    It 'removes an optional section with $null' {
        $path = New-HzTestConfig -Name 'mail'
        Set-HzSyncConfig -ConfigPath $path -Setting @{ 'mail.smtpHost' = 'smtp.example.net'; 'mail.from' = 'hz@club.example'; 'mail.to' = 'it@club.example', 'boss@club.example' }
        (Get-HzSyncConfig -ConfigPath $path).Mail.To | Should -Be @('it@club.example', 'boss@club.example')
        Set-HzSyncConfig -ConfigPath $path -Setting @{ mail = $null }
        (Get-HzSyncConfig -ConfigPath $path).Mail | Should -BeNullOrEmpty
    }

    It 'takes the configuration from Get-HzSyncConfig through the pipeline' {
        $path = New-HzTestConfig -Name 'pipe'
        Get-HzSyncConfig -ConfigPath $path | Set-HzSyncConfig -SiteNumber 7
        (Get-HzSyncConfig -ConfigPath $path).Site.Number | Should -Be 7
    }

    It 'reports a missing file as ConfigNotFound' {
        { Set-HzSyncConfig -ConfigPath (Join-Path $TestDrive 'missing.json') -SiteNumber 3 -ErrorAction Stop } | Should -Throw -ErrorId "ConfigNotFound,$cmd"
    }

    It 'round-trips Get-HzSyncConfig | Set-HzSyncConfig: the object changed in PowerShell is written, what-if lists each change' {
        $path = New-HzTestConfig -Name 'instance'
        $config = Get-HzSyncConfig -ConfigPath $path
        $config.Backup.Keep = 7
        $config.Schedule.Sites = [string[]] ($config.Schedule.Sites + 'METZ03')   # a list setting takes a typed array
        $before = Get-Content -LiteralPath $path -Raw

        $config | Set-HzSyncConfig -WhatIf
        Get-Content -LiteralPath $path -Raw | Should -Be $before
        $verbose = $config | Set-HzSyncConfig -Verbose 4>&1
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain "${path}: backup.keep: 10 -> 7"
        $saved = Get-HzSyncConfig -ConfigPath $path
        $saved.Backup.Keep | Should -Be 7
        $saved.Schedule.Sites | Should -Be @('METZ03')

        # The same settings again: nothing to write, the file is not touched.
        $stamp = (Get-Item -LiteralPath $path).LastWriteTimeUtc
        Get-HzSyncConfig -ConfigPath $path | Set-HzSyncConfig -PassThru | ForEach-Object { $_.Backup.Keep } | Should -Be 7
        (Get-Item -LiteralPath $path).LastWriteTimeUtc | Should -Be $stamp
    }

    It 'refuses an unusable object with ConfigInvalid and saves nothing' {
        $path = New-HzTestConfig -Name 'badinstance'
        $before = Get-Content -LiteralPath $path -Raw
        $config = Get-HzSyncConfig -ConfigPath $path
        $config.Site.Number = 0
        { $config | Set-HzSyncConfig -ErrorAction Stop } | Should -Throw -ErrorId "ConfigInvalid,$cmd"
        Get-Content -LiteralPath $path -Raw | Should -Be $before
    }
}
