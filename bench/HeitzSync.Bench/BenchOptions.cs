using System.Globalization;

namespace HeitzSync.Bench;

/// <summary>The command line. Defaults fit a few minutes on a small machine; --full is the issue's scale.</summary>
internal sealed record BenchOptions
{
    /// <summary>Fraction of the issue's database (200k members, 2M entries, 500k sale lines for the chain).</summary>
    public double Scale { get; init; } = 0.1;

    /// <summary>Clubs in the generated chain (its history is spread over them).</summary>
    public int Clubs { get; init; } = 10;

    /// <summary>Sites taking part in the measured night (bytes per site, whole night).</summary>
    public int Sites { get; init; } = 3;

    /// <summary>Share of the chain's rows changed in one day, by all sites together.</summary>
    public double DailyShare { get; init; } = 0.01;

    public int ApplySites { get; init; } = 10;

    /// <summary>Rows of the site that joins in the join measure (the issue's: 4.3M).</summary>
    public long JoinRows { get; init; } = 430_000;

    /// <summary>The measures to run (all by default): held-transaction, storage, night, apply, memory, network, join.</summary>
    public IReadOnlySet<string> Only { get; init; } = AllMeasures;

    public static readonly IReadOnlySet<string> AllMeasures = new HashSet<string>(StringComparer.Ordinal) { "held-transaction", "storage", "night", "apply", "memory", "network", "join" };

    public bool Runs(string measure) => Only.Contains(measure);

    /// <summary>What the default results file name says of --only ("" for every measure; "held-transaction-" for that one).</summary>
    public string FileTag => Only.Count == AllMeasures.Count ? "" : string.Join("-", AllMeasures.Where(Only.Contains)) + "-";

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

    /// <summary>The storage measure's site: a club of its own at this scale; by default the chain's scale × 4.3/3.7, so
    /// that --full gives the issue's 4.3M-row site.</summary>
    public double? StorageScale { get; init; }

    public double SiteScale => StorageScale ?? Scale * 4.3 / 3.7;

    public IReadOnlyList<string> Arguments { get; init; } = Array.Empty<string>();

    public const string Usage = """
        HeitzSync.Bench: HeitzSync against the old way (full gbak backups up and down), side by side in one run.
        Run as root (it starts vsftpd, and makes a network namespace shaped with tc).

          --scale <x>           fraction of the issue's database (default 0.1; 1 = 200k members, 2M entries, 500k sale lines)
          --sites <n>           sites in the measured night (default 3)
          --daily-share <x>     share of the chain's rows changed in a day by all sites together (default 0.01)
          --apply-sites <n>     sites sending packages in the apply-rate measure (default 10)
          --apply-changes <n>   rows each of them sends (default 5000)
          --join-rows <n>       rows of the site that joins the chain in the join measure (default 430000)
          --full                the issue's figures: --scale 1 --sites 10 --apply-sites 10 --apply-changes 50000 --join-rows 4300000
          --only <list>         run only these measures, comma-separated: held-transaction, storage, night, apply, memory, network, join
                                (network needs night); the default results file name then carries them, e.g.
                                --only held-transaction writes bench/results/<date>-held-transaction-<machine>.md
          --ftp-mib <n>         file size for FTPS against curl (default 64), --ftp-rounds <n> (default 3)
          --link-rate <r>       tc rate of the shaped link (default 2mbit)
          --no-network          folder drop only (no vsftpd, no namespace); --no-shaped: no namespace
          --out <file>          results file (default bench/results/<date>-<machine>.md under the repository)
          --work <dir>          work folder (default a new folder under /tmp, removed at the end unless --keep)
          --storage-scale <x>   the storage measure's site, one club at this scale (default scale × 4.3/3.7: with
                                --full, a 4.3M-row site)
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
                "--join-rows" => options with { JoinRows = long.Parse(Value(), CultureInfo.InvariantCulture) },
                "--full" => options with { Scale = 1, Sites = 10, ApplySites = 10, ApplyChanges = 50_000, JoinRows = 4_300_000 },
                "--only" => options with { Only = ParseOnly(Value()) },
                "--ftp-mib" => options with { FtpMiB = Int() },
                "--ftp-rounds" => options with { FtpRounds = Int() },
                "--link-rate" => options with { LinkRate = Value() },
                "--no-network" => options with { Network = false, Shaped = false },
                "--no-shaped" => options with { Shaped = false },
                "--out" => options with { Output = Value() },
                "--work" => options with { WorkFolder = Value() },
                "--keep" => options with { Keep = true },
                "--seed" => options with { Seed = Int() },
                "--storage-scale" => options with { StorageScale = Double() },
                _ => throw new ArgumentException($"Unknown argument {args[i]}.\n\n{Usage}"),
            };
        }
        if (options.Scale <= 0 || options.Sites < 1 || options.Sites > options.Clubs || options.ApplySites < 1 || options.ApplySites > options.Clubs || options.ApplyChanges < 100 || options.JoinRows < 1_000)
        {
            throw new ArgumentException($"Scale must be positive, sites and apply-sites between 1 and {options.Clubs}, apply-changes at least 100, join-rows at least 1000.\n\n{Usage}");
        }
        return options;
    }

    private static IReadOnlySet<string> ParseOnly(string list)
    {
        var measures = new HashSet<string>(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
        var unknown = measures.Where(m => !AllMeasures.Contains(m)).ToList();
        if (unknown.Count > 0 || measures.Count == 0) throw new ArgumentException($"--only takes {string.Join(", ", AllMeasures)}; not {string.Join(", ", unknown)}.");
        if (measures.Contains("network") && !measures.Contains("night")) throw new ArgumentException("--only network needs night too (the old way's local steps are measured there).");
        return measures;
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
