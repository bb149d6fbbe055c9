using HeitzSync.Testing;

namespace HeitzSync.Cli.Tests;

/// <summary>
/// What hzsync prints when its output is redirected (cron, RMM agents, a log file): the summary, each error once on
/// stderr, no progress; gbak's lines only with --verbose. Counted on real runs (real gbak, real database).
/// </summary>
[Trait("Category", "Firebird")]
public sealed class OutputTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-cli-output");

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void A_redirected_backup_prints_what_it_made_and_its_summary_and_gbak_lines_only_with_verbose()
    {
        var config = CliNode.Initialized(_temp.Path);

        var backup = Hzsync.Run("backup", "--kind", "safety", "--config", config.ConfigPath!);

        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Equal(new[] { "Safety", "OK:" }, Lines(backup.Stdout).Select(l => l.Split(' ')[0]));
        Assert.Equal("", backup.Stderr);   // no progress when stderr is not a terminal

        var verbose = Hzsync.Run("backup", "--kind", "safety", "--verbose", "--config", config.ConfigPath!);

        Assert.True(verbose.ExitCode == 0, verbose.ToString());
        Assert.Equal(2, Lines(verbose.Stdout).Length);
        var detail = Lines(verbose.Stderr);
        Assert.True(detail.Count(l => l.StartsWith("[Backup] gbak:", StringComparison.Ordinal)) >= 20, verbose.Stderr);
    }

    [Fact]
    public void A_failed_sync_prints_its_error_once_on_stderr_and_one_summary_line_on_stdout()
    {
        var config = CliNode.Initialized(_temp.Path);
        File.Delete(config.Resolve(config.Database.Path));

        var night = Hzsync.Run("sync", "--config", config.ConfigPath!);

        Assert.Equal(2, night.ExitCode);
        var summary = Assert.Single(Lines(night.Stdout));
        Assert.Matches(@"^Failed: LYON01 Sync \(report \S+-LYON01-Sync\)$", summary);
        var error = Assert.Single(Lines(night.Stderr));
        Assert.StartsWith("hzsync: Sync [DatabaseNotFound] The safety backup of embedded ", error);
        Assert.EndsWith("LYON01.fdb does not exist: check database.path in the configuration.", error);
    }

    public void Dispose() => _temp.Dispose();
}
