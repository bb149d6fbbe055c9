using System.Text;
using System.Text.RegularExpressions;

namespace HeitzSync.Core.Capture;

/// <summary>
/// Reads and edits the PSQL source of a business trigger (RDB$TRIGGER_SOURCE: <c>AS [declarations] BEGIN ... END</c>) to
/// add or remove the apply guard, the first statement of its main block:
/// <c>IF (RDB$GET_CONTEXT('USER_TRANSACTION', 'HZ$APPLYING') IS NOT NULL) THEN EXIT;</c>
/// The main block is the last BEGIN at the top level: the declarations before it may hold sub-routines with blocks of
/// their own (DECLARE PROCEDURE ... BEGIN ... END), cursors with CASE ... END, comments and strings that say BEGIN or END.
/// </summary>
public static class TriggerSource
{
    /// <summary>What init inserts, exactly (its removal takes out this very text, so the author's source comes back).</summary>
    public const string Guard = "\n  IF (RDB$GET_CONTEXT('USER_TRANSACTION', 'HZ$APPLYING') IS NOT NULL) THEN EXIT; /* HZ$GUARD: added by HeitzSync init, replicated rows arrive as they left their origin */";

    private static readonly Regex TestsApplying = new(
        @"RDB\$GET_CONTEXT\s*\(\s*'USER_TRANSACTION'\s*,\s*'HZ\$APPLYING'\s*\)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Whether init's guard is in the source.</summary>
    public static bool HasGuard(string source) => source.Contains(Guard);

    /// <summary>Whether the trigger's author tests HZ$APPLYING already (it then knows what to do during an apply).</summary>
    public static bool TestsApplyingItself(string source) => !HasGuard(source) && TestsApplying.IsMatch(StripComments(source));

    /// <summary>The source without init's guard (the source unchanged when it has none).</summary>
    public static string RemoveGuard(string source) => source.Replace(Guard, "");

    /// <summary>Adds the guard right after the BEGIN of the main block; false (with the reason) when the source is not a
    /// PSQL body HeitzSync can read (an external trigger, no main block).</summary>
    public static bool TryAddGuard(string source, out string guarded, out string? why)
    {
        guarded = source;
        if (HasGuard(source))
        {
            why = null;
            return true;
        }
        var tokens = Tokens(source).ToList();
        // Firebird 4 may keep "SQL SECURITY DEFINER|INVOKER" before AS; it stays as it is.
        var header = tokens.TakeWhile(t => t.Is("SQL") || t.Is("SECURITY") || t.Is("DEFINER") || t.Is("INVOKER")).Count();
        if (tokens.Count == header || !tokens[header].Is("AS"))
        {
            why = "its source does not start with AS (an external trigger, or a source HeitzSync cannot read)";
            return false;
        }
        var depth = 0;
        var mainBegin = -1;
        foreach (var token in tokens)
        {
            if (token.Is("BEGIN"))
            {
                if (depth == 0) mainBegin = token.End;
                depth++;
            }
            else if (token.Is("CASE"))
            {
                depth++;
            }
            else if (token.Is("END"))
            {
                depth--;
                if (depth < 0)
                {
                    why = "its BEGIN and END do not pair up";
                    return false;
                }
            }
        }
        if (mainBegin < 0 || depth != 0 || !tokens[tokens.Count - 1].Is("END"))
        {
            why = "no main BEGIN ... END block was found in its source";
            return false;
        }
        guarded = source.Substring(0, mainBegin) + Guard + source.Substring(mainBegin);
        why = null;
        return true;
    }

    private readonly struct Token
    {
        public Token(string text, int end)
        {
            Text = text;
            End = end;
        }

        public string Text { get; }

        /// <summary>The position just after the token.</summary>
        public int End { get; }

        public bool Is(string word) => Text.Equals(word, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The words of the source (keywords and unquoted identifiers), skipping comments, string literals and quoted identifiers.</summary>
    private static IEnumerable<Token> Tokens(string source)
    {
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (PastComment(source, i) is var past && past > i)
            {
                i = past;
            }
            else if (c is 'q' or 'Q' && At(source, i + 1, '\''))
            {
                i = SkipAlternativeQuoted(source, i);
            }
            else if (c is '\'' or '"')
            {
                i = SkipQuoted(source, i, c);
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] is '_' or '$')) i++;
                yield return new Token(source.Substring(start, i - start), i);
            }
            else
            {
                i++;
            }
        }
    }

    /// <summary>Past a '...' literal or a "..." identifier (a doubled quote stands for itself).</summary>
    private static int SkipQuoted(string source, int at, char quote)
    {
        var i = at + 1;
        while (i < source.Length)
        {
            if (source[i] == quote)
            {
                if (At(source, i + 1, quote)) i += 2;
                else return i + 1;
            }
            else
            {
                i++;
            }
        }
        return i;
    }

    /// <summary>Past a q'{...}' literal (Firebird 3's alternative quoting: the text may hold quotes).</summary>
    private static int SkipAlternativeQuoted(string source, int at)
    {
        if (at + 2 >= source.Length) return source.Length;
        var open = source[at + 2];
        var close = open switch { '(' => ')', '{' => '}', '[' => ']', '<' => '>', _ => open };
        var end = source.IndexOf(close.ToString() + "'", at + 3, StringComparison.Ordinal);
        return end < 0 ? source.Length : end + 2;
    }

    private static bool At(string source, int i, char c) => i < source.Length && source[i] == c;

    /// <summary>Past a <c>--</c> comment (to the end of its line) or a <c>/* */</c> comment starting at
    /// <paramref name="i"/>; <paramref name="i"/> itself when no comment starts there.</summary>
    private static int PastComment(string source, int i)
    {
        if (source[i] == '-' && At(source, i + 1, '-'))
        {
            var end = source.IndexOf('\n', i + 2);
            return end < 0 ? source.Length : end;
        }
        if (source[i] == '/' && At(source, i + 1, '*'))
        {
            var close = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
            return close < 0 ? source.Length : close + 2;
        }
        return i;
    }

    private static string StripComments(string source)
    {
        var text = new StringBuilder(source.Length);
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (PastComment(source, i) is var past && past > i)
            {
                i = past;
            }
            else if (c is '\'' or '"' || (c is 'q' or 'Q' && At(source, i + 1, '\'')))
            {
                var end = c is '\'' or '"' ? SkipQuoted(source, i, c) : SkipAlternativeQuoted(source, i);
                text.Append(source, i, end - i);
                i = end;
            }
            else
            {
                text.Append(c);
                i++;
            }
        }
        return text.ToString();
    }
}
