BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.GetHzSyncConfigCommand'
}

Describe 'Get-HzSyncConfig' {
    It 'outputs the configuration with its path, secrets by name only' {
        $path = New-HzTestConfig -Name 'read'
        $config = Get-HzSyncConfig -ConfigPath $path

        $config | Should -BeOfType ([HeitzSync.Core.Configuration.HzSyncConfig])
        $config.ConfigPath | Should -Be $path
        $config.BaseFolder | Should -Be (Split-Path $path)
        $config.Site.Code | Should -Be 'LYON01'
        $config.Backup.Keep | Should -Be 10
        ($config | Out-String) | Should -Match 'LYON01 \(number 2\)'
        ($config | Out-String) | Should -Match '\[2000000000, 2999999999\]'
    }

    It 'uses HEITZSYNC_CONFIG when no path is given' {
        $path = New-HzTestConfig -Name 'env' -SiteCode NICE02 -SiteNumber 3
        $previous = $env:HEITZSYNC_CONFIG
        try {
            $env:HEITZSYNC_CONFIG = $path
            (Get-HzSyncConfig).Site.Code | Should -Be 'NICE02'
        }
        finally { $env:HEITZSYNC_CONFIG = $previous }
    }

    It 'reads files piped from Get-ChildItem' {
        New-HzTestConfig -Name 'many1' -SiteCode LYON01 -SiteNumber 2 | Out-Null
        New-HzTestConfig -Name 'many2' -SiteCode NICE02 -SiteNumber 3 | Out-Null
        $configs = Get-ChildItem -Path (Join-Path $TestDrive 'many*/heitzsync.json') | Get-HzSyncConfig
        ($configs.Site.Code | Sort-Object) | Should -Be @('LYON01', 'NICE02')
        ($configs | Format-Table -View HzSyncConfigTable | Out-String) | Should -Match 'NICE02'
    }

    It 'reports a missing file as ConfigNotFound' {
        { Get-HzSyncConfig -ConfigPath (Join-Path $TestDrive 'missing.json') -ErrorAction Stop } |
            Should -Throw -ErrorId "ConfigNotFound,$cmd"
    }

    It 'reports malformed JSON with its line and position as ConfigInvalid' {
        $path = Join-Path $TestDrive 'broken.json'
        Set-Content -LiteralPath $path -Value "{`n  `"role`": `"Site`",`n  `"site`": { `"code`": `"LYON01`" `"number`": 2 }`n}"
        $err = $null
        Get-HzSyncConfig -ConfigPath $path -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be "ConfigInvalid,$cmd"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject | Should -Be $path
        $err[0].Exception.Message | Should -Match 'line 3, position 30'
    }

    It 'lists every problem of an unusable file' {
        $path = Join-Path $TestDrive 'unusable.json'
        Set-Content -LiteralPath $path -Value '{ "site": { "code": "lyon", "number": 0 }, "drop": { "kind": "Ftp", "hots": "x" } }'
        $err = $null
        Get-HzSyncConfig -ConfigPath $path -ErrorVariable err -ErrorAction SilentlyContinue
        $problems = $err[0].Exception.Problems
        $problems | Should -Contain 'drop.host is required when drop.kind is Ftp (the Siège''s FTP server)'
        ($problems -join "`n") | Should -Match 'drop.hots is not a known setting'
        ($problems -join "`n") | Should -Match "site.code 'lyon'"
        ($problems -join "`n") | Should -Match 'database.path is required'
    }

    It 'goes on with the next file after a broken one' {
        $good = New-HzTestConfig -Name 'next'
        $bad = Join-Path $TestDrive 'bad.json'
        Set-Content -LiteralPath $bad -Value '{'
        $err = $null
        $configs = @([pscustomobject]@{ ConfigPath = $bad }, [pscustomobject]@{ ConfigPath = $good }) |
            Get-HzSyncConfig -ErrorVariable err -ErrorAction SilentlyContinue
        @($configs).Count | Should -Be 1
        $err.Count | Should -Be 1
    }
}
