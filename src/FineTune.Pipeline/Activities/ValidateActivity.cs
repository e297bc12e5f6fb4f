using System.Text.Json;
using FineTune.Data;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// Validates the uploaded data with FineTune.Data's streaming validator (strict, or lenient when the manifest drops invalid
/// lines), stores the kept examples at datasets/{id}/validated.jsonl and then the report at jobs/{id}/validate/report.json.
/// The report is written last: when it exists the work is done, and a second delivery only reads it. Documents are only
/// checked to exist here; synthesis validates what it generates.
/// </summary>
public sealed class ValidateActivity(StorageAccount storage, IOptions<PipelineOptions> options) : TaskActivity<JobRequest, ValidateResult>
{
    public override async Task<ValidateResult> RunAsync(TaskActivityContext context, JobRequest job)
    {
        var blobs = storage.Blobs;
        var source = job.Input.Source;
        var ct = CancellationToken.None;
        var reportBytes = (await blobs.ReadBytesAsync(Containers.Jobs, JobPaths.ValidationReport(job.JobId), ct))?.Bytes;
        if (reportBytes is null)
        {
            var props = await blobs.GetPropertiesAsync(source.Container, source.Name, ct)
                ?? throw new PermanentJobException($"the upload {source.Container}/{source.Name} no longer exists");
            if (props.BareETag != source.ETag.Trim('"'))
                throw new PermanentJobException($"the upload {source.Container}/{source.Name} changed after this job started; the new version starts its own job");
            if (job.Input.Kind == JobKind.Documents)
                return props.Length == 0
                    ? new ValidateResult(false, $"the document {source.Name} is empty", 0, 0, 1, 0)
                    : new ValidateResult(true, null, 1, 0, 0, 0);
            reportBytes = await ValidateAsync(job, ct);
        }

        var report = JsonSerializer.Deserialize<ValidationReport>(reportBytes, JobJson.Options)
            ?? throw new PermanentJobException($"the stored validation report of job {job.JobId} is empty");
        return new ValidateResult(report.Usable, report.Usable ? null : FailureReason(report, job.Input.Manifest.DropInvalidLines), report.Records,
            report.ValidExamples, report.Errors, report.DroppedExamples);
    }

    private async Task<byte[]> ValidateAsync(JobRequest job, CancellationToken ct)
    {
        var source = job.Input.Source;
        var validation = new ValidationOptions { Mode = job.Input.Manifest.DropInvalidLines ? ValidationMode.Lenient : ValidationMode.Strict };
        var work = WorkFolder.NewAttempt(options.Value.WorkDirectory, job.JobId, "validate");
        try
        {
            var keptPath = Path.Combine(work, "validated.jsonl");
            ValidationReport result;
            await using (var download = await storage.Blobs.OpenReadAsync(source.Container, source.Name, ct)
                             ?? throw new PermanentJobException($"the upload {source.Container}/{source.Name} no longer exists"))
            {
                if (download.Properties.BareETag != source.ETag.Trim('"'))
                    throw new PermanentJobException($"the upload {source.Container}/{source.Name} changed after this job started; the new version starts its own job");
                await using var kept = new FileStream(keptPath, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
                result = await DatasetValidator.ValidateAsync(download.Content, validation, kept, ct);
            }
            if (result.Usable)
            {
                await using var kept = File.OpenRead(keptPath);
                await storage.Blobs.UploadAsync(Containers.Datasets, JobPaths.ValidatedData(job.JobId), kept, ct: ct);
            }
            var bytes = JsonSerializer.SerializeToUtf8Bytes(result, JobJson.Options);
            await storage.Blobs.UploadBytesAsync(Containers.Jobs, JobPaths.ValidationReport(job.JobId), bytes, ct: ct);
            return bytes;
        }
        finally
        {
            WorkFolder.Delete(work);
        }
    }

    private static string FailureReason(ValidationReport report, bool dropMode)
    {
        var (errors, records) = (report.Errors, report.Records);
        var first = report.Problems
            .Where(p => p.Severity == Severity.Error)
            .Take(3)
            .Select(p => $"line {p.Line}: {p.Code} {p.Message}")
            .ToList();
        var why = dropMode
            ? $"no valid examples remain after dropping invalid lines ({errors} errors in {records} records)"
            : $"validation failed: {errors} errors in {records} records (set \"invalidLines\": \"drop\" in the job manifest to drop invalid lines instead)";
        return first.Count == 0 ? why : $"{why}; first: {string.Join("; ", first)}";
    }
}
