namespace HeitzSync.Core.Configuration;

/// <summary>A configuration that cannot be used: every problem, each naming the property and the fix, and the file.</summary>
public sealed class HzConfigException : Exception
{
    public HzConfigException(string path, IReadOnlyList<string> problems)
        : base($"The configuration {path} cannot be used:{Environment.NewLine}  - " + string.Join(Environment.NewLine + "  - ", problems))
    {
        Path = path;
        Problems = problems;
    }

    /// <summary>The configuration file (or a description of where the configuration came from).</summary>
    public string Path { get; }

    public IReadOnlyList<string> Problems { get; }
}
