using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Data;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;

namespace FineTune.Pipeline.Stages;

/// <summary>
/// Validates the uploaded data with FineTune.Data's streaming validator (strict, or lenient when the manifest says
/// invalid lines are dropped), stores the report at jobs/{id}/validate/report.json and the kept examples at
/// datasets/{id}/validated.jsonl. The report is written last: when it exists the stage is done, and a re-run reads it.
/// Documents are only checked to exist here; synthesis validates what it generates.
/// </summary>
public sealed class ValidateStage : IJobStage
{
    public JobStage Stage => JobStage.Validate;

    public async Task<StageOutcome> RunAsync(StageContext context, CancellationToken ct)
    {
        var job = context.Job;
        var blobs = context.Storage.Blobs;
        var source = job.Input.Source;
        var issues = job.Input.Manifest.Check();
        if (issues.Count > 0)
            return new StageOutcome.Failed($"the job manifest is invalid: {string.Join("; ", issues)}");

        var reportBytes = (await blobs.ReadBytesAsync(Containers.Jobs, JobPaths.ValidationReport(job.Id), ct))?.Bytes;
        if (reportBytes is null)
        {
            var props = await blobs.GetPropertiesAsync(source.Container, source.Name, ct);
            if (props is null)
                return new StageOutcome.Failed($"the upload {source.Container}/{source.Name} no longer exists");
            if (props.BareETag != source.ETag.Trim('"'))
                return new StageOutcome.Failed($"the upload {source.Container}/{source.Name} changed after this job started; the new version starts its own job");
            if (job.Input.Kind == JobKind.Documents)
                return props.Length == 0
                    ? new StageOutcome.Failed($"the document {source.Name} is empty")
                    : new StageOutcome.Next(JobStage.Synthesize);

            await context.ReportAsync(new JsonObject { ["progress"] = 0.0, ["message"] = "validating" }, ct);
            reportBytes = await ValidateAsync(context, source, ct);
        }

        using var report = JsonDocument.Parse(reportBytes);
        var root = report.RootElement;
        var usable = root.GetProperty("usable").GetBoolean();
        var summary = new JsonObject
        {
            ["progress"] = 1.0,
            ["examples"] = root.GetProperty("validExamples").GetInt64(),
            ["errors"] = root.GetProperty("errors").GetInt64(),
            ["dropped"] = root.GetProperty("droppedExamples").GetInt64(),
        };
        if (usable)
        {
            await context.ReportAsync(summary, ct);
            return new StageOutcome.Next(JobStage.Prepare);
        }
        return new StageOutcome.Failed(FailureReason(root, job.Input.Manifest.DropInvalidLines), FailureDetails(job.Id, root));
    }

    private static async Task<byte[]> ValidateAsync(StageContext context, SourceBlob source, CancellationToken ct)
    {
        var blobs = context.Storage.Blobs;
        var job = context.Job;
        var options = new ValidationOptions { Mode = job.Input.Manifest.DropInvalidLines ? ValidationMode.Lenient : ValidationMode.Strict };
        var keptPath = Path.Combine(Path.GetTempPath(), $"finetune-{job.Id}-{Guid.NewGuid():N}.jsonl");
        try
        {
            ValidationReport result;
            await using (var download = await blobs.OpenReadAsync(source.Container, source.Name, ct)
                             ?? throw new PermanentStageException($"the upload {source.Container}/{source.Name} no longer exists"))
            {
                if (download.Properties.BareETag != source.ETag.Trim('"'))
                    throw new PermanentStageException($"the upload {source.Container}/{source.Name} changed after this job started; the new version starts its own job");
                await using var kept = new FileStream(keptPath, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
                result = await DatasetValidator.ValidateAsync(download.Content, options, kept, ct);
            }
            if (result.Usable)
            {
                await using var kept = File.OpenRead(keptPath);
                await blobs.UploadAsync(Containers.Datasets, JobPaths.ValidatedData(job.Id), kept, ct: ct);
            }
            var bytes = JsonSerializer.SerializeToUtf8Bytes(result, JobJson.Options);
            await blobs.UploadBytesAsync(Containers.Jobs, JobPaths.ValidationReport(job.Id), bytes, ct: ct);
            return bytes;
        }
        finally
        {
            File.Delete(keptPath);
        }
    }

    private static string FailureReason(JsonElement root, bool dropMode)
    {
        var errors = root.GetProperty("errors").GetInt64();
        var records = root.GetProperty("records").GetInt64();
        var first = root.GetProperty("problems").EnumerateArray()
            .Where(p => p.GetProperty("severity").ToString().Equals("error", StringComparison.OrdinalIgnoreCase))
            .Take(3)
            .Select(p => $"line {p.GetProperty("line").GetInt64()}: {p.GetProperty("code").GetString()} {p.GetProperty("message").GetString()}")
            .ToList();
        var why = dropMode
            ? $"no valid examples remain after dropping invalid lines ({errors} errors in {records} records)"
            : $"validation failed: {errors} errors in {records} records (set \"invalidLines\": \"drop\" in the job manifest to drop invalid lines instead)";
        return first.Count == 0 ? why : $"{why}; first: {string.Join("; ", first)}";
    }

    private static JsonObject FailureDetails(string id, JsonElement root) => new()
    {
        ["report"] = JobPaths.Address(Containers.Jobs, JobPaths.ValidationReport(id)),
        ["reportUri"] = $"/api/jobs/{id}/files/validate/report.json",
        ["errors"] = root.GetProperty("errors").GetInt64(),
        ["records"] = root.GetProperty("records").GetInt64(),
    };
}
