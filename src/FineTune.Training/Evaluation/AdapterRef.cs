using System.Text.RegularExpressions;

namespace FineTune.Training.Evaluation;

/// <summary>A LoRA adapter folder to evaluate, under the name its results are reported by.</summary>
public sealed partial record AdapterRef(string Name, string Path)
{
    /// <summary>The name of the base model's results; no adapter may take it.</summary>
    public const string BaseName = "base";

    /// <summary>
    /// An adapter named after its folder (<c>out/adapter</c> → <c>adapter</c>, <c>checkpoints/epoch-3</c> →
    /// <c>epoch-3</c>), or <c>NAME=DIR</c>. Names already in <paramref name="taken"/> get a <c>-2</c>, <c>-3</c>… suffix.
    /// </summary>
    public static AdapterRef Parse(string text, ICollection<string>? taken = null)
    {
        string name, path;
        int eq = text.IndexOf('=');
        if (eq > 0 && ValidName().IsMatch(text[..eq]) && !Directory.Exists(text))
            (name, path) = (text[..eq], text[(eq + 1)..]);
        else
        {
            path = text;
            name = System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(text)));
            name = InvalidChars().Replace(name, "_");
            if (name.Length == 0) name = "adapter";
        }
        if (taken is not null)
        {
            var unique = name;
            for (int i = 2; taken.Contains(unique) || unique == BaseName; i++) unique = $"{name}-{i}";
            name = unique;
            taken.Add(name);
        }
        return new AdapterRef(name, path);
    }

    /// <summary>Throws when the name could not be a file name part or is reserved.</summary>
    public AdapterRef Validate()
    {
        if (!ValidName().IsMatch(Name)) throw new ArgumentException($"adapter name '{Name}' must be letters, digits, '.', '_' or '-'");
        if (Name == BaseName) throw new ArgumentException($"adapter name '{BaseName}' is reserved for the base model");
        return this;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex ValidName();

    [GeneratedRegex("[^A-Za-z0-9_.-]")]
    private static partial Regex InvalidChars();
}
