BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.GetHzSyncCredentialCommand'

    # A site whose configuration names the FTP secret 'ftp' (stored at creation) and the database secret 'database'.
    function New-HzCredentialNode([string] $Name) {
        $path = Join-HzPath $TestDrive "$Name/heitzsync.json"
        New-HzSyncConfig -Path $path -Role Site -SiteCode LYON01 -SiteNumber 2 -DatabasePath club.fdb -DatabaseServer 127.0.0.1 `
            -DatabaseCredential (New-HzTestCredential SYSDBA 'Db-Secret-1') -FtpHost siege.example.net -FtpCredential (New-HzTestCredential LYON01 'Ftp-Secret-2') | Out-Null
        $path
    }
}

Describe 'Get-HzSyncCredential' {
    It 'lists the stored secrets with what they are for, never a value' {
        $path = New-HzCredentialNode 'list'
        Set-HzSyncCredential -ConfigPath $path -Name backup-server -Credential (New-HzTestCredential SYSDBA 'Other-Secret-3')
        $found = Get-HzSyncCredential -ConfigPath $path
        $found | Should -BeOfType ([HeitzSync.PowerShell.HzCredentialInfo])
        ($found | ForEach-Object Name) | Should -Be @('backup-server', 'database', 'ftp')
        ($found | Where-Object Name -EQ 'database').For | Should -Be 'Database'
        ($found | Where-Object Name -EQ 'database').UserName | Should -Be 'SYSDBA'
        ($found | Where-Object Name -EQ 'ftp').For | Should -Be 'Ftp'
        ($found | Where-Object Name -EQ 'ftp').UserName | Should -Be 'LYON01'
        ($found | Where-Object Name -EQ 'backup-server').For | Should -Be ''
        foreach ($info in $found) {
            $info.ConfigPath | Should -Be $path
            $info.StoredUtc | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-10))
            if (-not $IsWindows) { $info.Scope | Should -Be 'FileOwner' }
        }
        $text = ($found | ConvertTo-Json) + ($found | Format-List * | Out-String)
        foreach ($secret in 'Db-Secret-1', 'Ftp-Secret-2', 'Other-Secret-3') { $text | Should -Not -Match $secret }
    }

    It 'filters by name with wildcards, and says SecretNotFound for a name that is not stored' {
        $path = New-HzCredentialNode 'filter'
        (Get-HzSyncCredential -ConfigPath $path -Name 'f*').Name | Should -Be 'ftp'
        Get-HzSyncCredential -ConfigPath $path -Name 'zz*' | Should -BeNullOrEmpty
        { Get-HzSyncCredential -ConfigPath $path -Name smtp -ErrorAction Stop } | Should -Throw -ErrorId "SecretNotFound,$cmd"
    }

    It 'warns of a secret the configuration names but the store does not hold' {
        $path = New-HzCredentialNode 'missing'
        Remove-Item -LiteralPath (Join-HzPath $TestDrive 'missing/secrets/ftp.secret')
        $found = Get-HzSyncCredential -ConfigPath $path -WarningVariable warned -WarningAction SilentlyContinue
        ($found | ForEach-Object Name) | Should -Be @('database')
        $warned.Count | Should -Be 1
        $warned[0].Message | Should -BeLike "*drop.passwordSecret names the secret 'ftp', which is not stored*"
    }

    It 'reads each piped configuration''s own secrets' {
        $a = New-HzCredentialNode 'nodea'
        $b = New-HzCredentialNode 'nodeb'
        Set-HzSyncCredential -ConfigPath $b -Name extra -Credential (New-HzTestCredential)
        $found = Get-ChildItem -Path (Join-Path $TestDrive 'node*/heitzsync.json') | Get-HzSyncCredential
        ($found | Where-Object ConfigPath -EQ $a | ForEach-Object Name) | Should -Be @('database', 'ftp')
        ($found | Where-Object ConfigPath -EQ $b | ForEach-Object Name) | Should -Be @('database', 'extra', 'ftp')
    }

    It 'reports a missing configuration as ConfigNotFound' {
        { Get-HzSyncCredential -ConfigPath (Join-Path $TestDrive 'none/heitzsync.json') -ErrorAction Stop } | Should -Throw -ErrorId "ConfigNotFound,$cmd"
    }
}
