using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HeitzSync.Core.Configuration;

/// <summary>What a configuration property holds, in the words an error message uses.</summary>
internal enum ConfigValueKind { Object, Text, WholeNumber, Boolean, Choice, TextList }

/// <summary>One property of the configuration file: its JSON name, dotted path and kind.</summary>
internal sealed class ConfigProperty
{
    private readonly Dictionary<string, ConfigProperty> _children = new(StringComparer.OrdinalIgnoreCase);

    public ConfigProperty(string name, string path, Type type)
    {
        Name = name;
        Path = path;
        Type = Nullable.GetUnderlyingType(type) ?? type;
        Kind = KindOf(Type);
        if (Kind == ConfigValueKind.Object)
        {
            foreach (var property in Type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                // Only what the file holds: settable properties that are not [JsonIgnore] (BaseFolder, KeyRange...).
                if (property.SetMethod is null || property.GetCustomAttribute<JsonIgnoreAttribute>() is not null) continue;
                var childName = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
                _children[childName] = new ConfigProperty(childName, path.Length == 0 ? childName : path + "." + childName, property.PropertyType);
            }
        }
    }

    /// <summary>The JSON property name (camelCase).</summary>
    public string Name { get; }

    /// <summary>The dotted path from the root, e.g. <c>drop.host</c>.</summary>
    public string Path { get; }

    public Type Type { get; }
    public ConfigValueKind Kind { get; }
    public IReadOnlyCollection<ConfigProperty> Children => _children.Values;

    public ConfigProperty? Child(string name) => _children.TryGetValue(name, out var child) ? child : null;

    /// <summary>What a value of this property looks like, for "expected ..." messages.</summary>
    public string Expected => Kind switch
    {
        ConfigValueKind.Object => $"an object ({string.Join(", ", _children.Keys)})",
        ConfigValueKind.Text => "text",
        ConfigValueKind.WholeNumber => "a whole number",
        ConfigValueKind.Boolean => "true or false",
        ConfigValueKind.Choice => "one of " + string.Join(", ", Enum.GetNames(Type)),
        _ => "a list of text, e.g. [\"A\", \"B\"]",
    };

    public string ChildNames => string.Join(", ", _children.Keys.OrderBy(k => k, StringComparer.Ordinal));

    private static ConfigValueKind KindOf(Type type)
    {
        if (type == typeof(string)) return ConfigValueKind.Text;
        if (type == typeof(bool)) return ConfigValueKind.Boolean;
        if (type == typeof(int) || type == typeof(long)) return ConfigValueKind.WholeNumber;
        if (type.IsEnum) return ConfigValueKind.Choice;
        if (typeof(System.Collections.IEnumerable).IsAssignableFrom(type)) return ConfigValueKind.TextList;
        return ConfigValueKind.Object;
    }
}

/// <summary>The shape of heitzsync.json, read from the configuration records, for unknown-property and setting-name checks.</summary>
internal static class ConfigSchema
{
    public static ConfigProperty Root { get; } = new("", "", typeof(HzSyncConfig));

    /// <summary>The property at a dotted path (case-insensitive), or null with the reason in <paramref name="problem"/>.</summary>
    public static ConfigProperty? Find(string dottedPath, out string? problem)
    {
        problem = null;
        var current = Root;
        foreach (var segment in (dottedPath ?? "").Split('.'))
        {
            if (current.Kind != ConfigValueKind.Object)
            {
                problem = $"'{dottedPath}' is not a setting: {current.Path} holds {current.Expected}, not properties";
                return null;
            }
            var next = current.Child(segment);
            if (next is null)
            {
                var where = current.Path.Length == 0 ? "the configuration" : current.Path;
                problem = $"'{dottedPath}' is not a setting: {where} has {current.ChildNames}";
                return null;
            }
            current = next;
        }
        return current;
    }

    /// <summary>
    /// Every property of the document that the configuration does not have (misspelled or misplaced), each with the
    /// names that are allowed there. Names starting with '$' (e.g. "$schema") are left alone.
    /// </summary>
    public static void FindUnknown(JsonElement element, ConfigProperty schema, List<string> problems)
    {
        if (element.ValueKind != JsonValueKind.Object || schema.Kind != ConfigValueKind.Object) return;
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.StartsWith("$", StringComparison.Ordinal)) continue;
            var child = schema.Child(property.Name);
            if (child is null)
            {
                var path = schema.Path.Length == 0 ? property.Name : schema.Path + "." + property.Name;
                var where = schema.Path.Length == 0 ? "at the top level" : "in " + schema.Path;
                problems.Add($"{path} is not a known setting: check its spelling; allowed {where}: {schema.ChildNames}");
                continue;
            }
            FindUnknown(property.Value, child, problems);
        }
    }

    /// <summary>"$.site.number" (System.Text.Json's path) → "site.number".</summary>
    public static string FromJsonPath(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$") return "(the whole file)";
        var path = jsonPath!.StartsWith("$.", StringComparison.Ordinal) ? jsonPath.Substring(2) : jsonPath.TrimStart('$');
        return path;
    }

    /// <summary>The property a JSON path points at (array indexes ignored), to say what was expected there.</summary>
    public static ConfigProperty? AtJsonPath(string? jsonPath)
    {
        var path = FromJsonPath(jsonPath);
        var bracket = path.IndexOf('[');
        if (bracket >= 0) path = path.Substring(0, bracket);
        var current = Root;
        foreach (var segment in path.Split('.'))
        {
            var next = current.Child(segment);
            if (next is null) return null;
            current = next;
        }
        return current;
    }
}
