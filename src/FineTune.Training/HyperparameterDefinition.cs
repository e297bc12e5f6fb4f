using System.Globalization;
using System.Text.Json;
using FineTune.Models.Lora;

namespace FineTune.Training;

/// <summary>How a hyperparameter's value is written: in a manifest or spec (JSON) and on the command line.</summary>
public enum HyperparameterKind
{
    /// <summary>A real number (double).</summary>
    Number,
    /// <summary>A whole number (int).</summary>
    Integer,
    /// <summary>A whole number ≥ 0 (ulong).</summary>
    Seed,
    /// <summary>One of <see cref="HyperparameterDefinition.Choices"/> (string).</summary>
    Choice,
    /// <summary>LoRA target modules: a JSON array of names, or "all-linear" / "q,k,v,o" (list of strings).</summary>
    Targets,
    /// <summary>true or false; on the command line a flag that sets true.</summary>
    Flag,
}

/// <summary>
/// One row of <see cref="HyperparameterTable"/>: the snake_case name manifests, specs and messages use, the CLI option,
/// the kind of value, its range or choices, and how to read it from and write it to a <see cref="Hyperparameters"/>.
/// Everything else (the manifest parser, the spec's JSON, the CLI options, validation and its messages) derives from it.
/// </summary>
public abstract class HyperparameterDefinition
{
    private protected HyperparameterDefinition(string name, string option, HyperparameterKind kind, string description)
    {
        Name = name;
        Option = option;
        Kind = kind;
        Description = description;
    }

    /// <summary>The key in manifests and specs, and the name in messages: <c>learning_rate</c>.</summary>
    public string Name { get; }
    /// <summary>The `finetune train` option: <c>--lr</c>. <c>--learning-rate</c> (the name with dashes) is accepted too.</summary>
    public string Option { get; }
    public HyperparameterKind Kind { get; }
    public string Description { get; }
    /// <summary>Other keys a manifest may use (<c>lr</c>, <c>batch</c>, <c>r</c>…); camelCase and kebab-case of the name match anyway.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];
    /// <summary>The allowed values of a numeric hyperparameter (named after it); null for the others.</summary>
    public HyperparameterRange? Range
    {
        get => _range;
        init => _range = value is null ? null : value with { Name = Name, Integer = Kind is not HyperparameterKind.Number };
    }

    private readonly HyperparameterRange? _range;
    /// <summary>The allowed values of a <see cref="HyperparameterKind.Choice"/>.</summary>
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>The option with dashes for the name (<c>--learning-rate</c>), when it differs from <see cref="Option"/>.</summary>
    public string? LongOption => "--" + Name.Replace('_', '-') is var o && o != Option ? o : null;

    /// <summary>CLI help: the description with the range or the choices.</summary>
    public string Help => Range is { } r ? $"{Description}, {r.Interval()}." : Choices is { } c ? $"{Description}: {Or(c)}." : Description + ".";

    public abstract object Get(Hyperparameters h);
    public abstract Hyperparameters Set(Hyperparameters h, object value);
    /// <summary>True when <paramref name="value"/> is of this hyperparameter's type.</summary>
    public abstract bool Accepts(object value);

    /// <summary>A JSON value as this hyperparameter's type; <see cref="ArgumentException"/> naming it when the type is wrong.</summary>
    public object Read(JsonElement value)
    {
        object? v = Kind switch
        {
            HyperparameterKind.Number => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) ? d : null,
            HyperparameterKind.Integer => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) ? i : null,
            HyperparameterKind.Seed => value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out var u) ? u : null,
            HyperparameterKind.Choice => value.ValueKind == JsonValueKind.String ? value.GetString() : null,
            HyperparameterKind.Targets => value.ValueKind switch
            {
                JsonValueKind.String => LoraConfig.ParseTargets(value.GetString()!),
                JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
                    LoraConfig.ParseTargets(string.Join(",", value.EnumerateArray().Select(e => e.GetString()))),
                _ => null,
            },
            HyperparameterKind.Flag => value.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null },
            _ => null,
        };
        return v ?? throw new ArgumentException($"hyperparameter {Name} must be {Expected}, not {value.GetRawText()}");
    }

    /// <summary>The canonical form of a value: LoRA targets as full module names (q → q_proj); others as they are.</summary>
    public object Canonical(object value) =>
        Kind == HyperparameterKind.Targets && value is IEnumerable<string> targets ? LoraConfig.ParseTargets(string.Join(",", targets)) : value;

    /// <summary>A command-line value as this hyperparameter's type; <see cref="ArgumentException"/> naming it when it does not parse.</summary>
    public object Parse(string text)
    {
        var c = CultureInfo.InvariantCulture;
        object? v = Kind switch
        {
            HyperparameterKind.Number => double.TryParse(text, NumberStyles.Float, c, out var d) ? d : null,
            HyperparameterKind.Integer => int.TryParse(text, NumberStyles.Integer, c, out var i) ? i : null,
            HyperparameterKind.Seed => ulong.TryParse(text, NumberStyles.Integer, c, out var u) ? u : null,
            HyperparameterKind.Choice => text,
            HyperparameterKind.Targets => LoraConfig.ParseTargets(text),
            HyperparameterKind.Flag => bool.TryParse(text, out var b) ? b : null,
            _ => null,
        };
        return v ?? throw new ArgumentException($"{Option}: {Name} must be {Expected}, not \"{text}\"");
    }

    /// <summary>Writes a value of this hyperparameter's type as JSON.</summary>
    public void Write(Utf8JsonWriter w, object value)
    {
        switch (value)
        {
            case double d: w.WriteNumberValue(d); break;
            case int i: w.WriteNumberValue(i); break;
            case ulong u: w.WriteNumberValue(u); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case IEnumerable<string> list:
                w.WriteStartArray();
                foreach (var s in list) w.WriteStringValue(s);
                w.WriteEndArray();
                break;
            default: throw new ArgumentException($"hyperparameter {Name}: cannot write a {value.GetType().Name}");
        }
    }

    /// <summary>Why <paramref name="h"/>'s value is not allowed ("learning_rate must be in (0, 0.1] …"), or null.</summary>
    public string? Problem(Hyperparameters h, bool expert)
    {
        var value = Get(h);
        if (Range is { } r && !r.Contains(Convert.ToDouble(value, CultureInfo.InvariantCulture), expert)) return r.Describe(expert);
        if (Choices is { } c && !c.Contains((string)value)) return $"{Name} must be {Or(c)}, not \"{value}\"";
        return null;
    }

    /// <summary>True when a manifest key names this hyperparameter: its name, camelCase or kebab-case, or an alias.</summary>
    public bool Matches(string key) => Normalize(key) is var k && (k == Normalize(Name) || Aliases.Any(a => Normalize(a) == k));

    private static string Normalize(string key) => key.Replace("_", "").Replace("-", "").ToLowerInvariant();

    private string Expected => Kind switch
    {
        HyperparameterKind.Number => "a number",
        HyperparameterKind.Integer => "a whole number",
        HyperparameterKind.Seed => "a whole number ≥ 0",
        HyperparameterKind.Choice => Or(Choices ?? []),
        HyperparameterKind.Targets => "a list of module names or \"all-linear\"",
        _ => "true or false",
    };

    private static string Or(IReadOnlyList<string> items) =>
        items.Count <= 1 ? string.Join("", items) : $"{string.Join(", ", items.Take(items.Count - 1))} or {items[^1]}";

    public override string ToString() => Name;
}

/// <summary>A <see cref="HyperparameterDefinition"/> of a value of type <typeparamref name="T"/>, bound to one property of <see cref="Hyperparameters"/>.</summary>
public sealed class HyperparameterDefinition<T>(
    string name, string option, HyperparameterKind kind, string description,
    Func<Hyperparameters, T> get, Func<Hyperparameters, T, Hyperparameters> set)
    : HyperparameterDefinition(name, option, kind, description) where T : notnull
{
    public T Value(Hyperparameters h) => get(h);
    public override object Get(Hyperparameters h) => get(h);
    public override Hyperparameters Set(Hyperparameters h, object value) => set(h, (T)value);
    public override bool Accepts(object value) => value is T;
}
