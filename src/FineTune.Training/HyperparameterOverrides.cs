using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FineTune.Training;

/// <summary>
/// The hyperparameters a spec or manifest sets explicitly; the others keep the preset's. Keyed by the rows of
/// <see cref="HyperparameterTable"/>, so its JSON (snake_case names) and its parser (which also takes camelCase and the
/// table's aliases) come from the table. Build one with a collection initializer:
/// <c>new HyperparameterOverrides { { HyperparameterTable.Epochs, 2 } }</c>.
/// </summary>
[JsonConverter(typeof(HyperparameterOverridesConverter))]
public sealed class HyperparameterOverrides : IEnumerable<KeyValuePair<HyperparameterDefinition, object>>, IEquatable<HyperparameterOverrides>
{
    private readonly Dictionary<HyperparameterDefinition, object> _values = [];

    public int Count => _values.Count;

    public void Add<T>(HyperparameterDefinition<T> definition, T value) where T : notnull => _values[definition] = definition.Canonical(value);

    /// <summary>The value set for <paramref name="definition"/>, or null.</summary>
    public object? this[HyperparameterDefinition definition] => _values.GetValueOrDefault(definition);

    public Hyperparameters ApplyTo(Hyperparameters basis) => _values.Aggregate(basis, (h, kv) => kv.Key.Set(h, kv.Value));

    /// <summary>Overrides from values already of their definitions' types (<see cref="HyperparameterDefinition.Parse"/>, <see cref="HyperparameterDefinition.Read"/>).</summary>
    public static HyperparameterOverrides From(IEnumerable<KeyValuePair<HyperparameterDefinition, object>> values)
    {
        var overrides = new HyperparameterOverrides();
        foreach (var (d, v) in values)
            overrides._values[d] = d.Accepts(v) ? d.Canonical(v) : throw new ArgumentException($"hyperparameter {d.Name}: a {v.GetType().Name} is not a {d.Kind} value");
        return overrides;
    }

    /// <summary>Every hyperparameter of <paramref name="h"/> (a resolved run, as its checkpoints record it).</summary>
    public static HyperparameterOverrides Of(Hyperparameters h)
    {
        var all = new HyperparameterOverrides();
        foreach (var d in HyperparameterTable.All) all._values[d] = d.Get(h);
        return all;
    }

    /// <summary>Overrides from a JSON object; an unknown key or a value of the wrong type throws <see cref="ArgumentException"/> naming it.</summary>
    public static HyperparameterOverrides Parse(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object) throw new ArgumentException($"hyperparameters must be a JSON object, not {json.ValueKind}");
        return Parse(json.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value)));
    }

    /// <inheritdoc cref="Parse(JsonElement)"/>
    public static HyperparameterOverrides Parse(IEnumerable<KeyValuePair<string, JsonElement>> entries)
    {
        var overrides = new HyperparameterOverrides();
        foreach (var (key, value) in entries)
        {
            var d = HyperparameterTable.Find(key)
                ?? throw new ArgumentException($"unknown hyperparameter '{key}' (known: {string.Join(", ", HyperparameterTable.All)})");
            if (overrides._values.ContainsKey(d)) throw new ArgumentException($"hyperparameter {d.Name} is given twice ('{key}' is another name for it)");
            if (value.ValueKind != JsonValueKind.Null) overrides._values[d] = d.Read(value);
        }
        return overrides;
    }

    /// <summary>Writes the set values as a JSON object, snake_case names in table order.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var d in HyperparameterTable.All)
            if (_values.TryGetValue(d, out var v))
            {
                w.WritePropertyName(d.Name);
                d.Write(w, v);
            }
        w.WriteEndObject();
    }

    /// <summary>The same hyperparameters set to the same values (lists compared item by item), so specs compare by value.</summary>
    public bool Equals(HyperparameterOverrides? other) =>
        other is not null && other.Count == Count && _values.All(kv => other._values.TryGetValue(kv.Key, out var v) && Same(kv.Value, v));

    public override bool Equals(object? obj) => Equals(obj as HyperparameterOverrides);

    public override int GetHashCode() => _values.Keys.Aggregate(0, (h, d) => h ^ d.GetHashCode());

    private static bool Same(object a, object b) =>
        a is IEnumerable<string> x && b is IEnumerable<string> y ? x.SequenceEqual(y) : a.Equals(b);

    public IEnumerator<KeyValuePair<HyperparameterDefinition, object>> GetEnumerator() =>
        HyperparameterTable.All.Where(_values.ContainsKey).Select(d => KeyValuePair.Create(d, _values[d])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The JSON of <see cref="HyperparameterOverrides"/>, through <see cref="HyperparameterTable"/>: no reflection.</summary>
public sealed class HyperparameterOverridesConverter : JsonConverter<HyperparameterOverrides>
{
    public override HyperparameterOverrides Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return HyperparameterOverrides.Parse(doc.RootElement);
    }

    public override void Write(Utf8JsonWriter writer, HyperparameterOverrides value, JsonSerializerOptions options) => value.Write(writer);
}
