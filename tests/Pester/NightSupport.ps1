# Shared by the night cmdlets' Pester tests: a group of real nodes (a Siège and sites), each with its own
# configuration file made by New-HzSyncConfig, a real embedded Firebird database holding the sample schema and
# data (Core's Demo types, from the loaded module), one folder drop and one group key.

# Core and the Firebird binding load lazily with the module's first cmdlet; the helpers below use their types directly.
function Import-HzCoreTypes {
    $base = (Get-Module HeitzSync).ModuleBase
    foreach ($name in 'HeitzSync.Firebird', 'HeitzSync.Core') {
        if (-not ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq $name })) {
            Add-Type -Path (Join-Path $base "$name.dll")
        }
    }
}

# A new group under $Root: the key and the drop folder. Returns the root.
function New-HzTestGroup {
    param([Parameter(Mandatory)] [string] $Root)
    Import-HzCoreTypes
    New-Item -ItemType Directory -Path $Root -Force | Out-Null
    New-HzSyncKey -Path (Join-Path $Root 'group.key') | Out-Null
    New-Item -ItemType Directory -Path (Join-Path $Root 'drop') -Force | Out-Null
    $Root
}

# One node of the group: its configuration (short waits, deadline far away) and its database with sample data.
# -NoDatabase leaves the database out (for a refused run that never opens it). Returns the configuration path.
function New-HzTestNode {
    param(
        [Parameter(Mandatory)] [string] $Root,
        [Parameter(Mandatory)] [string] $Code,
        [Parameter(Mandatory)] [int] $Number,
        [ValidateSet('Site', 'Siege')] [string] $Role = 'Site',
        [int] $Members = 8,
        [int] $PackageWaitMinutes = 1,
        [switch] $NoDatabase
    )
    $folder = Join-Path $Root $Code
    New-Item -ItemType Directory -Path $folder -Force | Out-Null
    $config = Join-Path $folder 'heitzsync.json'
    New-HzSyncConfig -Path $config -Role $Role -SiteCode $Code -SiteNumber $Number -DatabasePath (Join-Path $folder "$Code.fdb") `
        -DropPath (Join-Path $Root 'drop') -KeyFile (Join-Path $Root 'group.key') | Out-Null
    # The restart hour an hour ago: the deadline is ~23 h away whenever the test runs.
    Set-HzSyncConfig -ConfigPath $config -RestartHour ((Get-Date).AddHours(-1).ToString('HH:mm')) -Setting @{
        'schedule.receptionMinutes'   = 1
        'schedule.packageWaitMinutes' = $PackageWaitMinutes
        'schedule.pollSeconds'        = 1
        'tables.localOnly'            = @('WORKSTATION_*')
    }
    if (-not $NoDatabase) {
        $node = Get-HzSyncConfig -ConfigPath $config
        $settings = [HeitzSync.Firebird.FbConnectionSettings]::new()
        $settings.Database = $node.Resolve($node.Database.Path)
        $connection = [HeitzSync.Firebird.FbConnection]::CreateDatabase($settings)
        try {
            [HeitzSync.Core.Demo.SampleSchema]::Create($connection)
            [HeitzSync.Core.Demo.SampleData]::SeedExisting($connection, $Number, $node.KeyRange.Low, $Members, [Random]::new($Number)) | Out-Null
        }
        finally { $connection.Dispose() }
    }
    $config
}

function Open-HzTestDatabase {
    param([Parameter(Mandatory)] [string] $ConfigPath)
    $node = Get-HzSyncConfig -ConfigPath $ConfigPath
    $settings = [HeitzSync.Firebird.FbConnectionSettings]::new()
    $settings.Database = $node.Resolve($node.Database.Path)
    [HeitzSync.Firebird.FbConnection]::Open($settings)
}

# The tables whose content differs between two nodes' databases (empty when they hold the same rows).
function Compare-HzTestDatabase {
    param([Parameter(Mandatory)] [string] $Left, [Parameter(Mandatory)] [string] $Right)
    $a = Open-HzTestDatabase $Left
    $b = Open-HzTestDatabase $Right
    try {
        $tables = [string[]] [HeitzSync.Core.Demo.SampleSchema]::SynchronisedTables
        [HeitzSync.Core.Compare.DatabaseComparer]::Compare($a, $b, $tables) | Where-Object { -not $_.Identical } | ForEach-Object { $_.Table }
    }
    finally { $a.Dispose(); $b.Dispose() }
}

# One scalar from a node's database (e.g. a count).
function Get-HzTestScalar {
    param([Parameter(Mandatory)] [string] $ConfigPath, [Parameter(Mandatory)] [string] $Sql)
    $connection = Open-HzTestDatabase $ConfigPath
    try {
        $transaction = $connection.BeginTransaction($null)
        try { $connection.ExecuteScalar($transaction, $Sql, [object[]] @()) }
        finally { $transaction.Dispose() }
    }
    finally { $connection.Dispose() }
}
