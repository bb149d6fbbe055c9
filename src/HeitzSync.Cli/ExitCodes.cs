namespace HeitzSync.Cli;

/// <summary>Exit codes for RMM tools and schedulers.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Partial = 1;
    public const int Failed = 2;
}
