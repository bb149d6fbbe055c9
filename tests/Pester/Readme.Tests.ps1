BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $PSScriptRoot 'NightSupport.ps1')
    Import-HzBuiltModule
    Import-HzCoreTypes

    # README's "Five minutes: a Siège and one site" block, as written.
    $readme = (Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../README.md') -Raw) -replace "`r`n", "`n"
    $quickStart = [regex]::Match($readme, '(?ms)^### Five minutes: a Siège and one site\n.*?```powershell\n(?<code>.*?)```').Groups['code'].Value

    # A sample database of the chain for a node of the given number (its rows in its own key range).
    function New-HzSampleDatabase([string] $Path, [int] $Number) {
        New-Item -ItemType Directory -Path (Split-Path -Parent $Path) -Force | Out-Null
        $settings = [HeitzSync.Firebird.FbConnectionSettings]::new()
        $settings.Database = $Path
        $connection = [HeitzSync.Firebird.FbConnection]::CreateDatabase($settings)
        try {
            [HeitzSync.Core.Demo.SampleSchema]::Create($connection)
            [HeitzSync.Core.Demo.SampleData]::SeedExisting($connection, $Number, [long] $Number * 1000000000, 8, [Random]::new($Number)) | Out-Null
        }
        finally { $connection.Dispose() }
    }
}

Describe 'README' {
    It 'has a quick start whose block runs as written and leaves the Siège and the site holding the same rows' {
        $quickStart | Should -Match 'New-HzSyncKey' -Because 'the block is found under its heading'
        $hz = Join-HzPath $TestDrive 'quick start'
        $siegeDb = Join-HzPath $TestDrive 'databases/SIEGE.FDB'
        $siteDb = Join-HzPath $TestDrive 'databases/LYON01.FDB'
        New-HzSampleDatabase $siegeDb 1
        New-HzSampleDatabase $siteDb 2
        # The test's own paths in place of the three first lines; Register-HzSyncTask writes its files for review
        # into the test's folder instead of this machine's scheduler.
        $code = ($quickStart -split "`n" | Select-Object -Skip 3) -join "`n"
        $tasks = Join-HzPath $TestDrive 'tasks'
        function Register-HzSyncTask { process { HeitzSync\Register-HzSyncTask -ConfigPath $_.FullName -Kind Cron -Path $tasks } }

        $output = . ([scriptblock]::Create($code)) 3>&1

        $siege, $site = "$hz/siege/heitzsync.json", "$hz/lyon/heitzsync.json"
        Compare-HzTestDatabase $siege $site | Should -BeNullOrEmpty
        ($output | Where-Object { $_ -is [HeitzSync.PowerShell.HzCheckResult] } | Where-Object Status -NE 'Passed') | Should -BeNullOrEmpty
        $runs = $output | Where-Object { $_ -is [HeitzSync.PowerShell.HzSyncRun] }
        ($runs | Where-Object Operation -EQ 'Consolidate').State | Select-Object -First 1 | Should -Be 'OK'
        (Get-HzSyncReport -ConfigPath $site -Last 1).Operation | Should -Be 'Receive'
        (Get-HzSyncReport -ConfigPath $site -Last 1).State | Should -Be 'OK'
        (Get-ChildItem -LiteralPath $tasks).Name | Should -Be @('heitzsync-lyon01', 'heitzsync-siege')
    }
}
