using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FineTune.Pipeline;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Options;

namespace FineTune.Host.Hosting;

/// <summary>
/// What the API must not show: the host's folders (the data folder, model roots and local models, the work folder, the
/// temp folder) and its storage (account name, endpoints). Job status text (inputs, errors, the trainer's last lines) is
/// passed through <see cref="Redact(JsonNode?)"/>: a path under one of the folders becomes "(server folder)", a storage
/// endpoint "(storage)".
/// </summary>
public sealed class ServerDetails
{
    private const string Folder = "(server folder)", Storage = "(storage)";
    private readonly List<(Regex Pattern, string Shown)> _hidden = [];

    public ServerDetails(HostSettings settings, IOptions<PipelineOptions> pipeline, StorageAccount storage)
    {
        var options = pipeline.Value;
        var folders = new[] { settings.DataDirectory, options.WorkDirectory, Path.GetTempPath() }
            .Concat(options.ModelRoots).Concat(options.LocalModels.Values)
            .Where(f => f is { Length: > 1 } && Path.IsPathFullyQualified(f))
            .Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(f!)))
            .Where(f => f.Length > 1)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(f => f.Length);
        foreach (var folder in folders)
            _hidden.Add((new Regex(Regex.Escape(folder) + @"(?=$|[/\\\s""'])[^\s""']*", RegexOptions.CultureInvariant), Folder));
        var endpoint = storage.Service.Uri;
        _hidden.Add((new Regex($@"\w+://{Regex.Escape(endpoint.Authority)}[^\s""']*", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase), Storage));
        _hidden.Add((new Regex(Regex.Escape(endpoint.Authority), RegexOptions.CultureInvariant | RegexOptions.IgnoreCase), Storage));
        if (storage.AccountName is { Length: > 0 } account)
            _hidden.Add((new Regex($@"\b{Regex.Escape(account)}\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase), Storage));
    }

    public string Redact(string text)
    {
        foreach (var (pattern, shown) in _hidden) text = pattern.Replace(text, shown);
        return text;
    }

    /// <summary>The node with every string value redacted (in place; returns it).</summary>
    public JsonNode? Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                    if (value is JsonValue v && v.TryGetValue<string>(out var s)) o[key] = Redact(s);
                    else Redact(value);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    if (a[i] is JsonValue v && v.TryGetValue<string>(out var s)) a[i] = Redact(s);
                    else Redact(a[i]);
                break;
        }
        return node;
    }
}
