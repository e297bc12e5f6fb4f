using FineTune.Data;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.AspNetCore.Http;

namespace FineTune.Host.WebConsole;

/// <summary>
/// The dataset check and the datasets an eval set or general-data mix names. Both read the request body as the file
/// itself (<c>fetch(url, {method: "POST", body: file})</c>), streamed and never held whole, up to
/// <see cref="Hosting.RequestLimits.ConsoleUploadBytes"/> (<see cref="Hosting.BodyLimitMiddleware"/> answers 413 beyond it), and run
/// FineTune.Data's streaming <see cref="DatasetValidator"/> with the options the pipeline's Validate stage uses, so the
/// report is the one a job would write to validate/report.json.
/// </summary>
public static class DatasetCheck
{
    /// <summary>POST /api/validate?name=FILE[&amp;mode=strict|lenient][&amp;format=auto|chat|alpaca|sharegpt] → 200 report.</summary>
    public static async Task<IResult> ValidateAsync(HttpContext http, string? name, string? mode, string? format, CancellationToken ct)
    {
        if (Options(name, mode, format) is not { } options) return BadOptions(name, mode, format);
        var report = await DatasetValidator.ValidateAsync(http.Request.Body, options, ct);
        return TypedResults.Json(report, JobJson.Options);
    }

    /// <summary>GET /api/datasets: top-level blobs of the datasets container (per-job folders are not listed).</summary>
    public static async Task<IResult> ListAsync(StorageAccount storage, CancellationToken ct)
    {
        var list = new List<DatasetInfo>();
        await foreach (var blob in storage.Blobs.ListAsync(Containers.Datasets, ct: ct))
            if (!blob.Name.Contains('/') && !blob.Name.StartsWith('.'))
                list.Add(new DatasetInfo(blob.Name, blob.Length, blob.LastModified));
        return TypedResults.Ok(list.OrderBy(d => d.Name, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// POST /api/datasets?name=FILE.jsonl: validated strictly, then stored as datasets/FILE.jsonl (replacing one of that
    /// name). 201 with the report; 400 with the report when the file is not usable.
    /// </summary>
    public static async Task<IResult> UploadAsync(HttpContext http, StorageAccount storage, string? name, CancellationToken ct)
    {
        var fileName = name is null ? "" : Path.GetFileName(name.Replace('\\', '/'));
        if (fileName.Length == 0 || fileName.StartsWith('.') || JobStarter.KindOf(fileName) != JobKind.Data)
            return TypedResults.Problem(statusCode: 400, title: "Not a dataset",
                detail: $"name the file (?name=…) with a .jsonl or .json extension; \"{name}\" is not one");
        var temp = Path.Combine(Path.GetTempPath(), $"finetune-dataset-{Guid.NewGuid():N}.jsonl");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
                await http.Request.Body.CopyToAsync(file, ct);
            ValidationReport report;
            await using (var file = File.OpenRead(temp))
                report = await DatasetValidator.ValidateAsync(file, new ValidationOptions(), ct);
            if (!report.Usable)
                return TypedResults.Problem(statusCode: 400, title: "Dataset not usable",
                    detail: $"{fileName}: {report.Errors} errors in {report.Records} records; nothing was stored",
                    extensions: new Dictionary<string, object?> { ["report"] = report });
            await using (var file = File.OpenRead(temp))
                await storage.Blobs.UploadAsync(Containers.Datasets, fileName, file, ct: ct);
            return TypedResults.Json(new DatasetUploadResponse(fileName, report), JobJson.Options, statusCode: StatusCodes.Status201Created);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static ValidationOptions? Options(string? name, string? mode, string? format)
    {
        if (name is not null && JobStarter.KindOf(name) != JobKind.Data) return null;
        var options = new ValidationOptions();
        if (mode is not null)
        {
            if (!Enum.TryParse<ValidationMode>(mode, ignoreCase: true, out var m)) return null;
            options = options with { Mode = m };
        }
        if (format is not null)
        {
            if (!Enum.TryParse<DataFormat>(format, ignoreCase: true, out var f)) return null;
            options = options with { Format = f };
        }
        return options;
    }

    private static IResult BadOptions(string? name, string? mode, string? format)
    {
        var detail = name is not null && JobStarter.KindOf(name) == JobKind.Documents
            ? $"{name} is a document: documents are read when a job synthesizes Q&A pairs from them, which are then validated; the check takes .jsonl/.json data (chat, alpaca, sharegpt)"
            : name is not null && JobStarter.KindOf(name) is null
                ? $"\"{name}\" is not a dataset: the check takes .jsonl or .json files (chat, alpaca, sharegpt)"
                : $"mode must be strict or lenient (got \"{mode}\") and format auto, chat, alpaca or sharegpt (got \"{format}\")";
        return TypedResults.Problem(statusCode: 400, title: "Cannot check this file", detail: detail);
    }
}
