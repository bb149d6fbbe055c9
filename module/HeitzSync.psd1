# HeitzSync module manifest. ModuleVersion is stamped by build.ps1 from Directory.Build.props (the one place the
# version lives); the value here is only what an unbuilt checkout says.
@{
    RootModule             = 'HeitzSync.PowerShell.dll'
    ModuleVersion          = '0.1.0'
    GUID                   = '9f408c5f-797d-49e0-b207-5e62049828c4'
    Author                 = 'HeitzSync contributors'
    CompanyName            = 'HeitzSync'
    Copyright              = 'HeitzSync contributors'
    Description            = 'Keeps the Firebird databases of a chain of establishments in step through a head office (the Siege) every night: backup, extract, send, consolidate, publish, receive and apply, with nothing lost and nothing applied twice.'

    CompatiblePSEditions   = @('Desktop', 'Core')
    PowerShellVersion      = '5.1'
    DotNetFrameworkVersion = '4.7.2'

    FormatsToProcess       = @('HeitzSync.Format.ps1xml')

    # Listed one by one (never '*'): the xunit metadata test compares this list with the cmdlets the assembly holds.
    # Every cmdlet of DESIGN.md section 9 is here.
    CmdletsToExport        = @(
        'New-HzSyncKey'
        'New-HzSyncConfig'
        'Get-HzSyncConfig'
        'Set-HzSyncConfig'
        'Set-HzSyncCredential'
        'Initialize-HzSite'
        'Invoke-HzSync'
        'Invoke-HzConsolidation'
        'Unregister-HzSite'
        'Stop-HzSync'
        'Get-HzSyncReport'
        'Start-HzBackup'
        'Send-HzBackup'
        'Receive-HzBackup'
        'Register-HzSyncTask'
        'Test-HzSiege'
        'Compare-HzDatabase'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()

    PrivateData            = @{
        PSData = @{
            Tags = @('HeitzSync', 'Firebird', 'Sync', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux')
            # No LicenseUri or ProjectUri yet: the project has no published license or home page to point at.
        }
    }
}
