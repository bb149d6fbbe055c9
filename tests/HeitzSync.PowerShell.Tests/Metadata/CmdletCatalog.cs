using System.Reflection;

namespace HeitzSync.PowerShell.Tests.Metadata;

/// <summary>One parameter of a cmdlet as PowerShell will see it, read from metadata.</summary>
internal sealed record CmdletParameter(string Name, string TypeName, IReadOnlyList<string> ParameterSets, bool MandatoryInSomeSet, bool FromPipeline, IReadOnlyList<string> Aliases)
{
    /// <summary>The sets the parameter is mandatory in (<see cref="CmdletDescription.AllSets"/> when mandatory in every set it is in).</summary>
    public IReadOnlyList<string> MandatorySets { get; init; } = Array.Empty<string>();

    public bool InSet(string set) => ParameterSets.Contains(set) || ParameterSets.Contains(CmdletDescription.AllSets);

    public bool MandatoryIn(string set) => MandatorySets.Contains(set) || MandatorySets.Contains(CmdletDescription.AllSets);
}

/// <summary>One cmdlet class of the built assembly, read from its attributes without loading PowerShell.</summary>
internal sealed record CmdletDescription(
    string ClassName,
    string Verb,
    string Noun,
    bool IsSealed,
    bool SupportsShouldProcess,
    string? DefaultParameterSetName,
    IReadOnlyList<string> OutputTypes,
    IReadOnlyList<CmdletParameter> Parameters)
{
    public string Name => Verb + "-" + Noun;
    public IReadOnlyList<string> ParameterSets => Parameters.SelectMany(p => p.ParameterSets).Where(s => s != AllSets).Distinct().ToList();
    public const string AllSets = "__AllParameterSets";
    public override string ToString() => Name;
}

/// <summary>
/// The cmdlets of the built HeitzSync.PowerShell.dll, read with MetadataLoadContext against the reference assemblies
/// (PowerShellStandard.Library, netstandard2.0) and the assembly's own dependencies: no PowerShell needed.
/// </summary>
internal static class CmdletCatalog
{
    private const string Sma = "System.Management.Automation";
    private static readonly Lazy<IReadOnlyList<CmdletDescription>> All = new(Read);

    public static IReadOnlyList<CmdletDescription> Cmdlets => All.Value;

    public static CmdletDescription Get(string name) => Cmdlets.Single(c => c.Name == name);

    private static IReadOnlyList<CmdletDescription> Read()
    {
        var assemblyPath = ModuleFiles.CmdletAssembly;
        var paths = Directory.GetFiles(ModuleFiles.NetStandardReference, "*.dll")
            .Concat(Directory.GetFiles(ModuleFiles.PowerShellReference, "*.dll"))
            .Concat(Directory.GetFiles(Path.GetDirectoryName(assemblyPath)!, "*.dll"))
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First()) // reference assemblies first: the facades must come from netstandard2.0
            .ToList();
        using var context = new MetadataLoadContext(new PathAssemblyResolver(paths), coreAssemblyName: "netstandard");
        var assembly = context.LoadFromAssemblyPath(assemblyPath);
        return assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract)
            .Select(t => (Type: t, Cmdlet: t.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == Sma + ".CmdletAttribute")))
            .Where(c => c.Cmdlet is not null)
            .Select(c => Describe(c.Type, c.Cmdlet!))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static CmdletDescription Describe(Type type, CustomAttributeData cmdlet)
    {
        var named = cmdlet.NamedArguments.ToDictionary(a => a.MemberName, a => a.TypedValue.Value);
        var outputTypes = type.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == Sma + ".OutputTypeAttribute")
            .SelectMany(a => a.ConstructorArguments)
            .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> items ? items.Select(i => i.Value) : new[] { arg.Value })
            .Select(v => v is Type t ? t.FullName! : v?.ToString() ?? "")
            .ToList();
        return new CmdletDescription(
            type.FullName!,
            (string)cmdlet.ConstructorArguments[0].Value!,
            (string)cmdlet.ConstructorArguments[1].Value!,
            type.IsSealed,
            named.TryGetValue("SupportsShouldProcess", out var should) && should is true,
            named.TryGetValue("DefaultParameterSetName", out var set) ? set as string : null,
            outputTypes,
            Parameters(type));
    }

    private static IReadOnlyList<CmdletParameter> Parameters(Type type)
    {
        var result = new List<CmdletParameter>();
        for (var current = type; current is not null && current.Assembly == type.Assembly; current = current.BaseType)
        {
            foreach (var property in current.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                // An override (a cmdlet that declares -ConfigPath its own way) hides the base class's declaration, as in PowerShell.
                if (result.Any(p => p.Name == property.Name)) continue;
                var attributes = property.GetCustomAttributesData();
                var parameters = attributes.Where(a => a.AttributeType.FullName == Sma + ".ParameterAttribute").ToList();
                if (parameters.Count == 0) continue;
                var sets = parameters.Select(p => Named(p, "ParameterSetName") as string ?? CmdletDescription.AllSets).ToList();
                var mandatory = parameters.Any(p => Named(p, "Mandatory") is true);
                var pipeline = parameters.Any(p => Named(p, "ValueFromPipeline") is true || Named(p, "ValueFromPipelineByPropertyName") is true);
                var aliases = attributes.Where(a => a.AttributeType.FullName == Sma + ".AliasAttribute")
                    .SelectMany(a => a.ConstructorArguments)
                    .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> items ? items.Select(i => (string)i.Value!) : new[] { (string)arg.Value! })
                    .ToList();
                var mandatorySets = parameters.Where(p => Named(p, "Mandatory") is true)
                    .Select(p => Named(p, "ParameterSetName") as string ?? CmdletDescription.AllSets).ToList();
                result.Add(new CmdletParameter(property.Name, ShortTypeName(property.PropertyType), sets, mandatory, pipeline, aliases) { MandatorySets = mandatorySets });
            }
        }
        return result;
    }

    private static object? Named(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.FirstOrDefault(a => a.MemberName == name).TypedValue.Value;

    /// <summary>The type name help shows (PlatyPS style): Nullable unwrapped, arrays as Name[].</summary>
    private static string ShortTypeName(Type type)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1") type = type.GetGenericArguments()[0];
        return type.IsArray ? ShortTypeName(type.GetElementType()!) + "[]" : type.Name;
    }
}
