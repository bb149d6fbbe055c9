using System.Globalization;
using System.Text;

namespace HeitzSync.Core.Packaging;

/// <summary>
/// Moves a refused package aside, to <c>&lt;quarantine&gt;/&lt;name&gt;.&lt;yyyyMMddTHHmmssZ&gt;[-n]</c>, with
/// <c>….reason.txt</c> beside it. Never overwrites: a package quarantined twice under the same name keeps both copies.
/// The quarantined name no longer ends in .hzp, so no lister takes it for a package.
/// </summary>
public static class PackageQuarantine
{
    /// <summary>Moves <paramref name="packagePath"/> into <paramref name="quarantineFolder"/>; returns where it went.</summary>
    /// <param name="reason">Usually a <see cref="PackageRejectedException"/>; its message (which never holds a key) is written beside the file.</param>
    public static string Move(string packagePath, string quarantineFolder, Exception reason) =>
        Move(packagePath, quarantineFolder, reason, DateTimeOffset.UtcNow);

    internal static string Move(string packagePath, string quarantineFolder, Exception reason, DateTimeOffset nowUtc)
    {
        if (packagePath is null) throw new ArgumentNullException(nameof(packagePath));
        if (quarantineFolder is null) throw new ArgumentNullException(nameof(quarantineFolder));
        if (reason is null) throw new ArgumentNullException(nameof(reason));
        Directory.CreateDirectory(quarantineFolder);
        var stamp = nowUtc.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var baseName = Path.GetFileName(packagePath) + "." + stamp;
        for (var attempt = 0; ; attempt++)
        {
            var name = attempt == 0 ? baseName : baseName + "-" + attempt.ToString(CultureInfo.InvariantCulture);
            var target = Path.Combine(quarantineFolder, name);
            var reasonPath = target + ".reason.txt";
            if (File.Exists(target) || File.Exists(reasonPath)) continue;
            try
            {
                // File.Move never replaces an existing file: if another process took this name meanwhile, try the next.
                File.Move(packagePath, target);
            }
            catch (IOException) when (File.Exists(target) && File.Exists(packagePath) && attempt < 1000)
            {
                continue;
            }
            WriteReason(reasonPath, packagePath, reason, nowUtc);
            return target;
        }
    }

    private static void WriteReason(string reasonPath, string packagePath, Exception reason, DateTimeOffset nowUtc)
    {
        var text = new StringBuilder()
            .Append("Package: ").AppendLine(Path.GetFileName(packagePath))
            .Append("Quarantined (UTC): ").AppendLine(nowUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))
            .Append("Reason: ").AppendLine(reason is PackageRejectedException rejected ? rejected.Reason.ToString() : reason.GetType().Name)
            .AppendLine(reason.Message)
            .ToString();
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
        try
        {
            using var file = new FileStream(reasonPath, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            file.Write(bytes, 0, bytes.Length);
        }
        catch (IOException) when (File.Exists(reasonPath))
        {
            // Someone wrote a reason under this exact name in the same instant: keep theirs, add ours beside it.
            File.WriteAllBytes(reasonPath + "." + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture), bytes);
        }
    }
}
