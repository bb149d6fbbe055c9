namespace HeitzSync.PowerShell.Infrastructure;

/// <summary>
/// The stable error ids of the module (the first part of an ErrorRecord's FullyQualifiedErrorId): scripts and
/// monitoring tools match on them, so an id never changes meaning once released.
/// </summary>
public static class ErrorIds
{
    public const string ConfigNotFound = "ConfigNotFound";
    public const string ConfigInvalid = "ConfigInvalid";
    public const string ConfigReadFailed = "ConfigReadFailed";
    public const string ConfigExists = "ConfigExists";
    public const string ConfigWriteFailed = "ConfigWriteFailed";
    public const string SettingInvalid = "SettingInvalid";
    public const string NoSettingGiven = "NoSettingGiven";
    public const string KeyFileExists = "KeyFileExists";
    public const string KeyFileWriteFailed = "KeyFileWriteFailed";
    public const string SecretNameInvalid = "SecretNameInvalid";
    public const string SecretWriteFailed = "SecretWriteFailed";
    public const string CredentialPasswordEmpty = "CredentialPasswordEmpty";
    public const string CredentialTargetMissing = "CredentialTargetMissing";
    public const string MailNotConfigured = "MailNotConfigured";
    public const string NotSiege = "NotSiege";
    public const string SiteCodeInvalid = "SiteCodeInvalid";
    public const string ReportNotFound = "ReportNotFound";
    public const string StopRequestFailed = "StopRequestFailed";
    public const string ScheduleExists = "ScheduleExists";
    public const string ScheduleInstallFailed = "ScheduleInstallFailed";
    public const string ScheduleScriptMissing = "ScheduleScriptMissing";
    public const string CompareTargetInvalid = "CompareTargetInvalid";
    public const string DatabaseUnavailable = "DatabaseUnavailable";
    public const string RepairFailed = "RepairFailed";
    public const string NotSite = "NotSite";
    public const string NotAPackage = "NotAPackage";
    public const string RunInProgress = "RunInProgress";
    public const string PathNotFound = "PathNotFound";
    public const string SecretNotFound = "SecretNotFound";
    public const string SecretInUse = "SecretInUse";
    public const string SecretRemoveFailed = "SecretRemoveFailed";
    public const string ScheduleNotFound = "ScheduleNotFound";
    public const string ScheduleRemoveFailed = "ScheduleRemoveFailed";
    public const string ReportNotWritten = "ReportNotWritten";
}
