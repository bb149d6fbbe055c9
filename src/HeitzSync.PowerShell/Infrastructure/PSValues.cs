using System.Collections;
using System.Management.Automation;

namespace HeitzSync.PowerShell.Infrastructure;

/// <summary>Values from PowerShell as plain .NET values for Core (which knows nothing of PSObject).</summary>
internal static class PSValues
{
    /// <summary>Unwraps PSObjects, and the items of lists and dictionaries, recursively.</summary>
    public static object? Unwrap(object? value)
    {
        if (value is PSObject wrapped) value = wrapped.BaseObject;
        switch (value)
        {
            case null:
                return null;
            case string:
                return value;
            case IDictionary dictionary:
                var copy = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry entry in dictionary) copy[Unwrap(entry.Key)!] = Unwrap(entry.Value);
                return copy;
            case IEnumerable items:
                return items.Cast<object?>().Select(Unwrap).ToArray();
            default:
                return value;
        }
    }
}
