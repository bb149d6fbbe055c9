BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-HzBuiltModule
}

Describe 'New-HzSyncKey' {
    It 'writes a key file and outputs its path and key id, never the key' {
        $path = Join-HzPath $TestDrive 'create/group.key'
        $info = New-HzSyncKey -Path $path

        $info | Should -BeOfType ([HeitzSync.PowerShell.HzSyncKeyInfo])
        $info.Path | Should -Be $path
        $info.KeyId | Should -Match '^[0-9a-f]{16}$'
        $key = (Get-Content -LiteralPath $path -Raw).Trim()
        [Convert]::FromBase64String($key).Length | Should -Be 32
        ($info | ConvertTo-Json) | Should -Not -Match ([regex]::Escape($key))
        ($info | Out-String) | Should -Not -Match ([regex]::Escape($key))
    }

    # Unix only: Windows has no mode bits (the folder's ACL applies there, as documented).
    if ($PSVersionTable.PSEdition -eq 'Core' -and -not $IsWindows) {
        It 'makes the key file readable by its owner only' {
            $path = Join-HzPath $TestDrive 'mode/group.key'
            New-HzSyncKey -Path $path | Out-Null
            Get-HzUnixMode $path | Should -Be '600'
        }
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-HzPath $TestDrive 'whatif/group.key'
        New-HzSyncKey -Path $path -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath $path | Should -BeFalse
    }

    It 'refuses to replace a key without -Force, and replaces it with -Force' {
        $path = Join-HzPath $TestDrive 'replace/group.key'
        $first = New-HzSyncKey -Path $path
        $before = Get-Content -LiteralPath $path -Raw

        { New-HzSyncKey -Path $path -ErrorAction Stop } | Should -Throw -ErrorId 'KeyFileExists,HeitzSync.PowerShell.Commands.NewHzSyncKeyCommand'
        Get-Content -LiteralPath $path -Raw | Should -Be $before

        New-HzSyncKey -Path $path -Force -WhatIf | Out-Null
        Get-Content -LiteralPath $path -Raw | Should -Be $before

        $second = New-HzSyncKey -Path $path -Force
        $second.KeyId | Should -Not -Be $first.KeyId
    }

    It 'resolves a relative path against the current location' {
        Push-Location -LiteralPath $TestDrive
        try {
            $info = New-HzSyncKey -Path 'relative.key'
            $info.Path | Should -Be (Join-Path $TestDrive 'relative.key')
            Test-Path -LiteralPath (Join-Path $TestDrive 'relative.key') | Should -BeTrue
        }
        finally { Pop-Location }
    }

    It 'writes the keyFile of the configuration when no path is given' {
        $config = New-HzTestConfig -Name 'fromconfig'
        $info = New-HzSyncKey -ConfigPath $config
        $info.Path | Should -Be (Join-Path (Split-Path $config) 'group.key')
        Test-Path -LiteralPath $info.Path | Should -BeTrue
    }

    It 'reports a missing configuration when no path is given' {
        { New-HzSyncKey -ConfigPath (Join-HzPath $TestDrive 'none/heitzsync.json') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConfigNotFound,HeitzSync.PowerShell.Commands.NewHzSyncKeyCommand'
    }
}
