BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.NewHzSyncConfigCommand'
}

Describe 'New-HzSyncConfig' {
    It 'writes a site configuration with a folder drop and outputs it' {
        $path = Join-HzPath $TestDrive 'folder/heitzsync.json'
        $config = New-HzSyncConfig -Path $path -Role Site -SiteCode LYON01 -SiteNumber 2 `
            -DatabasePath (Join-Path $TestDrive 'club.fdb') -DropPath (Join-Path $TestDrive 'drop')

        $config | Should -BeOfType ([HeitzSync.Core.Configuration.HzSyncConfig])
        $config.ConfigPath | Should -Be $path
        $config.Role | Should -Be 'Site'
        $config.Site.Code | Should -Be 'LYON01'
        $config.KeyRange.Low | Should -Be 2000000000
        $config.Drop.Kind | Should -Be 'Folder'
        $config.Database.PasswordSecret | Should -BeNullOrEmpty
        $json = Get-Content -LiteralPath $path -Raw | ConvertFrom-Json
        $json.site.number | Should -Be 2
        $json.drop.path | Should -Be (Join-Path $TestDrive 'drop')
        $json.keyFile | Should -Be 'group.key'
    }

    It 'makes local paths absolute from the current location' {
        Push-Location -LiteralPath $TestDrive
        try {
            $config = New-HzSyncConfig -Path 'rel/heitzsync.json' -Role Siege -SiteCode SIEGE -SiteNumber 1 -DatabasePath 'master.fdb' -DropPath 'drop' -KeyFile 'keys/group.key'
            $config.ConfigPath | Should -Be (Join-HzPath $TestDrive 'rel/heitzsync.json')
            $config.Database.Path | Should -Be (Join-Path $TestDrive 'master.fdb')
            $config.Drop.Path | Should -Be (Join-Path $TestDrive 'drop')
            $config.KeyFile | Should -Be (Join-HzPath $TestDrive 'keys/group.key')
        }
        finally { Pop-Location }
    }

    It 'stores the FTP password as a secret and writes only its name' {
        $path = Join-HzPath $TestDrive 'ftp/heitzsync.json'
        $config = New-HzSyncConfig -Path $path -Role Site -SiteCode NICE02 -SiteNumber 3 -DatabasePath CLUB -DatabaseServer 127.0.0.1 `
            -DatabaseCredential (New-HzTestCredential SYSDBA 'Db-Pa55') -FtpHost siege.example.net -FtpCredential (New-HzTestCredential NICE02 'Ftp-Pa55')

        $config.Drop.Kind | Should -Be 'Ftp'
        $config.Drop.User | Should -Be 'NICE02'
        $config.Drop.PasswordSecret | Should -Be 'ftp'
        $config.Drop.Security | Should -Be 'ExplicitTls'
        $config.Drop.Path | Should -Be '/'
        $config.Database.Path | Should -Be 'CLUB'
        $config.Database.PasswordSecret | Should -Be 'database'
        $text = Get-Content -LiteralPath $path -Raw
        $text | Should -Not -Match 'Pa55'
        Test-Path -LiteralPath (Join-HzPath $TestDrive 'ftp/secrets/ftp.secret') | Should -BeTrue
        Test-Path -LiteralPath (Join-HzPath $TestDrive 'ftp/secrets/database.secret') | Should -BeTrue
    }

    It 'writes nothing with -WhatIf, neither the file nor the secrets' {
        $path = Join-HzPath $TestDrive 'whatif/heitzsync.json'
        New-HzSyncConfig -Path $path -Role Site -SiteCode LYON01 -SiteNumber 2 -DatabasePath x.fdb -FtpHost siege -FtpCredential (New-HzTestCredential) -WhatIf |
            Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-Path $TestDrive 'whatif') | Should -BeFalse
    }

    It 'refuses to replace a configuration without -Force' {
        $path = New-HzTestConfig -Name 'exists'
        $before = Get-Content -LiteralPath $path -Raw
        { New-HzSyncConfig -Path $path -Role Site -SiteCode NICE02 -SiteNumber 3 -DatabasePath a.fdb -DropPath d -ErrorAction Stop } |
            Should -Throw -ErrorId "ConfigExists,$cmd"
        Get-Content -LiteralPath $path -Raw | Should -Be $before

        $replaced = New-HzSyncConfig -Path $path -Role Site -SiteCode NICE02 -SiteNumber 3 -DatabasePath a.fdb -DropPath d -Force
        $replaced.Site.Code | Should -Be 'NICE02'
    }

    It 'refuses an unusable configuration with every problem, and writes nothing' {
        $path = Join-HzPath $TestDrive 'invalid/heitzsync.json'
        $err = $null
        New-HzSyncConfig -Path $path -Role Siege -SiteCode lyon -SiteNumber 2 -DatabasePath a.fdb -FtpHost siege -FtpCredential (New-HzTestCredential) -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be "ConfigInvalid,$cmd"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -Match "site.code 'lyon'"
        $err[0].Exception.Message | Should -Match 'drop.kind must be Folder at the Siège'
        Test-Path -LiteralPath (Join-Path $TestDrive 'invalid') | Should -BeFalse
    }

    It 'refuses an empty password before writing anything' {
        $path = Join-HzPath $TestDrive 'empty/heitzsync.json'
        $empty = [pscredential]::new('LYON01', [securestring]::new())
        { New-HzSyncConfig -Path $path -Role Site -SiteCode LYON01 -SiteNumber 2 -DatabasePath a.fdb -FtpHost siege -FtpCredential $empty -ErrorAction Stop } |
            Should -Throw -ErrorId "CredentialPasswordEmpty,$cmd"
        Test-Path -LiteralPath (Join-Path $TestDrive 'empty') | Should -BeFalse
    }

    It 'takes sites from the pipeline by property name' {
        $sites = @(
            [pscustomobject]@{ Path = (Join-HzPath $TestDrive 'csv/lyon.json'); SiteCode = 'LYON01'; SiteNumber = 2; DatabasePath = 'lyon.fdb' }
            [pscustomobject]@{ Path = (Join-HzPath $TestDrive 'csv/nice.json'); SiteCode = 'NICE02'; SiteNumber = 3; DatabasePath = 'nice.fdb' }
        )
        $configs = $sites | New-HzSyncConfig -Role Site -DropPath (Join-Path $TestDrive 'drop')
        $configs.Site.Code | Should -Be @('LYON01', 'NICE02')
        $configs.Site.Number | Should -Be @(2, 3)
    }
}
