BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
    $cmd = 'HeitzSync.PowerShell.Commands.RemoveHzSyncCredentialCommand'

    # A site whose configuration names the FTP secret 'ftp', plus a secret stored by name only.
    function New-HzCredentialNode([string] $Name) {
        $path = Join-HzPath $TestDrive "$Name/heitzsync.json"
        New-HzSyncConfig -Path $path -Role Site -SiteCode LYON01 -SiteNumber 2 -DatabasePath club.fdb -FtpHost siege.example.net -FtpCredential (New-HzTestCredential) | Out-Null
        Set-HzSyncCredential -ConfigPath $path -Name backup-server -Credential (New-HzTestCredential SYSDBA)
        $path
    }
}

Describe 'Remove-HzSyncCredential' {
    It 'deletes a secret by name, and -WhatIf deletes nothing' {
        $path = New-HzCredentialNode 'remove'
        $file = Join-HzPath $TestDrive 'remove/secrets/backup-server.secret'
        Remove-HzSyncCredential -ConfigPath $path -Name backup-server -WhatIf
        Test-Path -LiteralPath $file | Should -BeTrue
        $removed = Remove-HzSyncCredential -ConfigPath $path -Name backup-server -PassThru -Confirm:$false
        $removed.Name | Should -Be 'backup-server'
        Test-Path -LiteralPath $file | Should -BeFalse
        (Get-HzSyncCredential -ConfigPath $path).Name | Should -Be 'ftp'
    }

    It 'keeps a secret the configuration still uses (SecretInUse) unless -Force' {
        $path = New-HzCredentialNode 'inuse'
        $file = Join-HzPath $TestDrive 'inuse/secrets/ftp.secret'
        { Remove-HzSyncCredential -ConfigPath $path -Name ftp -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "SecretInUse,$cmd"
        Test-Path -LiteralPath $file | Should -BeTrue
        Remove-HzSyncCredential -ConfigPath $path -Name ftp -Force -Confirm:$false
        Test-Path -LiteralPath $file | Should -BeFalse
    }

    It 'takes Get-HzSyncCredential''s objects from the pipeline, and goes on after a name that is not stored' {
        $path = New-HzCredentialNode 'pipe'
        $removed = Get-HzSyncCredential -ConfigPath $path | Where-Object For -EQ '' | Remove-HzSyncCredential -PassThru -Confirm:$false
        $removed.Name | Should -Be 'backup-server'
        $done = 'nope', 'ftp' | Remove-HzSyncCredential -ConfigPath $path -Force -PassThru -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -Be "SecretNotFound,$cmd"
        $done.Name | Should -Be 'ftp'
        Get-HzSyncCredential -ConfigPath $path -WarningAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
