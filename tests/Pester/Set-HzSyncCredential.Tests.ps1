BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.SetHzSyncCredentialCommand'

    # A site that reaches the Siège by FTP (its password stored at creation as the secret 'ftp').
    function New-HzFtpConfig([string] $Name) {
        $path = Join-HzPath $TestDrive "$Name/heitzsync.json"
        New-HzSyncConfig -Path $path -Role Site -SiteCode LYON01 -SiteNumber 2 -DatabasePath club.fdb -FtpHost siege.example.net -FtpCredential (New-HzTestCredential) | Out-Null
        $path
    }
}

Describe 'Set-HzSyncCredential' {
    It 'stores the FTP password and writes the user and secret name into the configuration' {
        $path = New-HzFtpConfig 'ftp'
        $info = Set-HzSyncCredential -ConfigPath $path -For Ftp -Credential (New-HzTestCredential LYON01-NEW 'N3w-Ftp-Pass') -PassThru

        $info | Should -BeOfType ([HeitzSync.PowerShell.HzCredentialInfo])
        $info.Name | Should -Be 'ftp'
        $info.For | Should -Be 'Ftp'
        $info.UserName | Should -Be 'LYON01-NEW'
        $info.SecretsFolder | Should -Be (Join-HzPath $TestDrive 'ftp/secrets')
        ($info | ConvertTo-Json) | Should -Not -Match 'N3w-Ftp-Pass'
        $config = Get-HzSyncConfig -ConfigPath $path
        $config.Drop.User | Should -Be 'LYON01-NEW'
        $config.Drop.PasswordSecret | Should -Be 'ftp'
        Get-Content -LiteralPath $path -Raw | Should -Not -Match 'N3w-Ftp-Pass'
    }

    # How the secret file is kept differs by platform; both are checked.
    if ($PSVersionTable.PSEdition -eq 'Core' -and -not $IsWindows) {
        It 'keeps the secret in a file readable by its owner only' {
            $path = New-HzTestConfig -Name 'mode'
            Set-HzSyncCredential -ConfigPath $path -Name db2 -Credential (New-HzTestCredential SYSDBA 'M0de-Pass')
            $file = Join-HzPath $TestDrive 'mode/secrets/db2.secret'
            Get-HzUnixMode $file | Should -Be '600'
            Get-HzUnixMode (Join-HzPath $TestDrive 'mode/secrets') | Should -Be '700'
            Get-Content -LiteralPath $file -Raw | Should -Be 'M0de-Pass'
        }

        It 'says what -Scope CurrentUser does here: the same owner-only file, no DPAPI' {
            $path = New-HzTestConfig -Name 'userscope'
            $info = Set-HzSyncCredential -ConfigPath $path -Name db3 -Credential (New-HzTestCredential SYSDBA 'Us3r-Pass') -Scope CurrentUser -PassThru -WarningVariable warned -WarningAction SilentlyContinue
            $warned.Count | Should -Be 1
            $warned[0].Message | Should -BeLike '-Scope CurrentUser applies on Windows only*readable by its owner only (mode 0600*not encrypted*'
            $info.Scope | Should -Be 'FileOwner'
            Get-HzUnixMode (Join-HzPath $TestDrive 'userscope/secrets/db3.secret') | Should -Be '600'
            # The default scope says nothing.
            Set-HzSyncCredential -ConfigPath $path -Name db4 -Credential (New-HzTestCredential SYSDBA 'x-Pass-1') -WarningVariable quiet -WarningAction SilentlyContinue
            $quiet | Should -BeNullOrEmpty
        }
    }
    else {
        It 'keeps the secret protected with DPAPI' {
            $path = New-HzTestConfig -Name 'dpapi'
            Set-HzSyncCredential -ConfigPath $path -Name db2 -Credential (New-HzTestCredential SYSDBA 'Dpapi-Pass')
            $bytes = [System.IO.File]::ReadAllBytes((Join-HzPath $TestDrive 'dpapi/secrets/db2.secret'))
            [System.Text.Encoding]::UTF8.GetString($bytes) | Should -Not -Match 'Dpapi-Pass'
        }
    }

    It 'stores and changes nothing with -WhatIf' {
        $path = New-HzTestConfig -Name 'whatif'
        $before = Get-Content -LiteralPath $path -Raw
        Set-HzSyncCredential -ConfigPath $path -For Database -Credential (New-HzTestCredential SYSDBA) -WhatIf | Should -BeNullOrEmpty
        Set-HzSyncCredential -ConfigPath $path -Name other -Credential (New-HzTestCredential) -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-HzPath $TestDrive 'whatif/secrets') | Should -BeFalse
        Get-Content -LiteralPath $path -Raw | Should -Be $before
    }

    It 'stores a secret by name only without touching the configuration' {
        $path = New-HzTestConfig -Name 'byname'
        $before = Get-Content -LiteralPath $path -Raw
        $info = Set-HzSyncCredential -ConfigPath $path -Name backup-server -Credential (New-HzTestCredential SYSDBA) -PassThru
        $info.Name | Should -Be 'backup-server'
        $info.For | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-HzPath $TestDrive 'byname/secrets/backup-server.secret') | Should -BeTrue
        Get-Content -LiteralPath $path -Raw | Should -Be $before
    }

    It 'sets the database login of a configuration' {
        $path = New-HzTestConfig -Name 'db'
        Set-HzSyncCredential -ConfigPath $path -For Database -Credential (New-HzTestCredential APPUSER)
        $config = Get-HzSyncConfig -ConfigPath $path
        $config.Database.User | Should -Be 'APPUSER'
        $config.Database.PasswordSecret | Should -Be 'database'
        Test-Path -LiteralPath (Join-HzPath $TestDrive 'db/secrets/database.secret') | Should -BeTrue
    }

    It 'refuses an invalid secret name' {
        $path = New-HzTestConfig -Name 'badname'
        { Set-HzSyncCredential -ConfigPath $path -Name '../escape' -Credential (New-HzTestCredential) -ErrorAction Stop } | Should -Throw -ErrorId "SecretNameInvalid,$cmd"
        Test-Path -LiteralPath (Join-Path $TestDrive 'escape.secret') | Should -BeFalse
    }

    It 'asks for the mail section before an SMTP login' {
        $path = New-HzTestConfig -Name 'nomail'
        { Set-HzSyncCredential -ConfigPath $path -For Smtp -Credential (New-HzTestCredential) -ErrorAction Stop } | Should -Throw -ErrorId "MailNotConfigured,$cmd"
        Test-Path -LiteralPath (Join-HzPath $TestDrive 'nomail/secrets') | Should -BeFalse
    }

    It 'asks what the credential is for' {
        $path = New-HzTestConfig -Name 'notarget'
        { Set-HzSyncCredential -ConfigPath $path -Credential (New-HzTestCredential) -ErrorAction Stop } | Should -Throw -ErrorId "CredentialTargetMissing,$cmd"
    }

    It 'takes the target and the credential by position' {
        $path = New-HzTestConfig -Name 'positional'
        Set-HzSyncCredential Database (New-HzTestCredential POSUSER) -ConfigPath $path
        (Get-HzSyncConfig -ConfigPath $path).Database.User | Should -Be 'POSUSER'
    }

    It 'refuses an empty password' {
        $path = New-HzTestConfig -Name 'empty'
        $empty = [pscredential]::new('SYSDBA', [securestring]::new())
        { Set-HzSyncCredential -ConfigPath $path -For Database -Credential $empty -ErrorAction Stop } | Should -Throw -ErrorId "CredentialPasswordEmpty,$cmd"
    }

    It 'reports a missing configuration' {
        { Set-HzSyncCredential -ConfigPath (Join-Path $TestDrive 'none.json') -For Ftp -Credential (New-HzTestCredential) -ErrorAction Stop } |
            Should -Throw -ErrorId "ConfigNotFound,$cmd"
    }
}
