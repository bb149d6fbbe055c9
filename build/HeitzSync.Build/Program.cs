namespace HeitzSync.Build;

/// <summary>
/// <c>HeitzSync.Build module --repository R --binaries B --output O [--package P]</c>: assembles the module (help
/// included) under O, and with --package packs it into P. <c>HeitzSync.Build help --docs D --output O</c>: the help
/// alone. Prints what it wrote; one line naming the problem and exit code 2 when it cannot.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            var options = Options(args.Skip(1));
            switch (args.FirstOrDefault())
            {
                case "module":
                {
                    var module = ModuleAssembler.Assemble(Get(options, "repository"), Get(options, "binaries"), Get(options, "output"));
                    Console.WriteLine($"Module: {module}");
                    if (options.TryGetValue("package", out var packages))
                    {
                        Console.WriteLine($"Package: {ModulePackage.Write(module, packages)}");
                    }
                    return 0;
                }
                case "help":
                    foreach (var file in HelpCompiler.Compile(Get(options, "docs"), Get(options, "output"))) Console.WriteLine($"Help: {file}");
                    return 0;
                default:
                    Console.Error.WriteLine("HeitzSync.Build: use 'module --repository <root> --binaries <folder> --output <folder> [--package <folder>]' or 'help --docs <folder> --output <folder>'.");
                    return 2;
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or System.Xml.XmlException)
        {
            Console.Error.WriteLine("HeitzSync.Build: " + ex.Message);
            return 2;
        }
    }

    private static Dictionary<string, string> Options(IEnumerable<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? name = null;
        foreach (var arg in args)
        {
            if (name is null && arg.StartsWith("--", StringComparison.Ordinal)) name = arg.Substring(2);
            else if (name is not null)
            {
                options[name] = Path.GetFullPath(arg);
                name = null;
            }
            else throw new ArgumentException($"'{arg}' is not an option (--name value).");
        }
        if (name is not null) throw new ArgumentException($"--{name} needs a value.");
        return options;
    }

    private static string Get(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");
}
