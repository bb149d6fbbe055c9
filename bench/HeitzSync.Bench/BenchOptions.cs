using System.Globalization;

namespace HeitzSync.Bench;

/// <summary>The command line. Defaults fit a few minutes on a small machine; --full is the scale.</summary>
internal sealed record BenchOptions
{
    /// <summary>Fraction of the database (200k members, 2M entries, 500k sale lines for the chain).</summary>
    public double Scale { get; init; } = 0.1;

    /// <summary>Clubs in the generated chain (its history is spread over them).</summary>
    public int Clubs { get; init; } = 10;

    /// <summary>Sites taking part in the measured night (bytes per site, whole night).</summary>
    public int Sites { get; init; } = 3;

    /// <summary>Share of the chain's rows changed in one day, by all sites together.</summary>
    public double DailyShare { get; init; } = 0.01;

    public int ApplySites { get; init; } = 10;
    public int ApplyChanges { get; init; } = 5_000;
    public int FtpMiB { get; init; } = 64;
    public int FtpRounds { get; init; } = 3;
    public string LinkRate { get; init; } = "2mbit";
    public bool Network { get; init; } = true;
    public bool Shaped { get; init; } = true;
    public int Seed { get; init; } = 20261122;
    public string? Output { get; init; }
    public string? WorkFolder { get; init; }
    public bool Keep { get; init; }

    /// <summary>Run one measure alone ("held-transaction"), after the database and the night's kit; null: all of them.</summary>
    public string? Only { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = Array.Empty<string>();

    public const string Usage = """
        HeitzSync.Bench: HeitzSync against the old way (full gbak backups up and down), side by side in one run.
        Run as root (it starts vsftpd, and makes a network namespace shaped with tc).

          --scale <x>           fraction of the issue's database (default 0.1; 1 = 200k members, 2M entries, 500k sale lines)
          --sites <n>           sites in the measured night (default 3)
          --daily-share <x>     share of the chain's rows changed in a day by all sites together (default 0.01)
          --apply-sites <n>     sites sending packages in the apply-rate measure (default 10)
          --apply-changes <n>   rows each of them sends (default 5000)
          --full                the issue's figures: --scale 1 --sites 10 --apply-sites 10 --apply-changes 50000
          --ftp-mib <n>         file size for FTPS against curl (default 64), --ftp-rounds <n> (default 3)
          --link-rate <r>       tc rate of the shaped link (default 2mbit)
          --no-network          folder drop only (no vsftpd, no namespace); --no-shaped: no namespace
          --out <file>          results file (default bench/results/<date>-<machine>.md under the repository)
          --work <dir>          work folder (default a new folder under /tmp, removed at the end unless --keep)
          --only held-transaction
                                only the night with a transaction held open since the previous day (measure 6),
                                written to bench/results/<date>-held-transaction-<machine>.md
          --seed <n>
        """;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions { Arguments = args };
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            double Double() => double.Parse(Value(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--scale" => options with { Scale = Double() },
                "--sites" => options with { Sites = Int() },
                "--daily-share" => options with { DailyShare = Double() },
                "--apply-sites" => options with { ApplySites = Int() },
                "--apply-changes" => options with { ApplyChanges = Int() },
                "--full" => options with { Scale = 1, Sites = 10, ApplySites = 10, ApplyChanges = 50_000 },
                "--ftp-mib" => options with { FtpMiB = Int() },
                "--ftp-rounds" => options with { FtpRounds = Int() },
                "--link-rate" => options with { LinkRate = Value() },
                "--no-network" => options with { Network = false, Shaped = false },
                "--no-shaped" => options with { Shaped = false },
                "--out" => options with { Output = Value() },
                "--work" => options with { WorkFolder = Value() },
                "--keep" => options with { Keep = true },
                "--seed" => options with { Seed = Int() },
                "--only" => options with { Only = Value() is "held-transaction" ? "held-transaction" : throw new ArgumentException($"--only takes held-transaction.\n\n{Usage}") },
                _ => throw new ArgumentException($"Unknown argument {args[i]}.\n\n{Usage}"),
            };
        }
        if (options.Scale <= 0 || options.Sites < 1 || options.Sites > options.Clubs || options.ApplySites < 1 || options.ApplySites > options.Clubs || options.ApplyChanges < 100)
        {
            throw new ArgumentException($"Scale must be positive, sites and apply-sites between 1 and {options.Clubs}, apply-changes at least 100.\n\n{Usage}");
        }
        return options;
    }

    /// <summary>The command as typed from the repository root; with --artifacts-path when this build lives in an artifacts folder.</summary>
    public string Command
    {
        get
        {
            var artifacts = "";
            var binary = AppContext.BaseDirectory.Replace('\\', '/');
            var marker = binary.IndexOf("/bin/HeitzSync.Bench/", StringComparison.Ordinal);
            if (marker > 0) artifacts = " --artifacts-path " + binary.Substring(0, marker);
            return "dotnet run -c Release --project bench/HeitzSync.Bench" + artifacts + (Arguments.Count == 0 ? "" : " -- " + string.Join(" ", Arguments));
        }
    }
}
