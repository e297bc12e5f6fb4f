using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Synthesis;

namespace FineTune.Pipeline.Stages;

/// <summary>
/// Documents (PDF/TXT/MD/DOCX) → Q&amp;A chat data with FineTune.Synthesis: datasets/{id}/synthetic.jsonl (+ .sources.jsonl)
/// and jobs/{id}/synthesize/report.json (written last: the done marker). Chunk results are checkpointed as blobs under
/// jobs/{id}/synthesize/chunks/, so a re-run after a crash asks the model only for the chunks not yet done.
/// Without a configured endpoint the stage fails saying so.
/// </summary>
public sealed class SynthesizeStage(PipelineOptions options) : IJobStage
{
    public const string NotAvailable = "synthesis not available: no LLM endpoint configured (set Pipeline__Synthesis__Endpoint and Pipeline__Synthesis__Model); upload chat, alpaca or sharegpt data instead";

    public JobStage Stage => JobStage.Synthesize;

    public async Task<StageOutcome> RunAsync(StageContext context, CancellationToken ct)
    {
        var settings = options.Synthesis;
        if (!settings.Configured) return new StageOutcome.Failed(NotAvailable);
        var blobs = context.Storage.Blobs;
        var id = context.JobId;
        var reportName = $"{id}/synthesize/report.json";
        if (await blobs.ReadTextAsync(Containers.Jobs, reportName, ct) is { } stored)
            return Decide(JsonNode.Parse(stored)!, context.Job.Input.Source.Name);

        var source = context.Job.Input.Source;
        var work = Path.Combine(Path.GetTempPath(), "finetune-synth", $"{id}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var document = Path.Combine(work, Path.GetFileName(source.Name));
            await using (var download = await blobs.OpenReadAsync(source.Container, source.Name, ct)
                             ?? throw new PermanentStageException($"the upload {source.Container}/{source.Name} no longer exists"))
            {
                if (download.Properties.BareETag != source.ETag.Trim('"'))
                    throw new PermanentStageException($"the upload {source.Container}/{source.Name} changed after this job started; the new version starts its own job");
                await using var file = File.Create(document);
                await download.Content.CopyToAsync(file, ct);
            }
            await context.ReportAsync(new JsonObject { ["progress"] = 0.0, ["message"] = "generating Q&A pairs" }, ct);

            var synthesis = new SynthesisOptions
            {
                SystemPrompt = context.Job.Input.Manifest.SystemPrompt ?? settings.SystemPrompt,
                Generation = new GenerationSettings { Model = settings.Model! },
                QuestionsPerChunk = settings.QuestionsPerChunk,
                Language = settings.Language.Equals("zh", StringComparison.OrdinalIgnoreCase) ? SynthesisLanguage.Zh : SynthesisLanguage.En,
            };
            using var client = new ResilientChatClient(
                OpenAIChatCompletionClient.Create(new EndpointOptions { Endpoint = new Uri(settings.Endpoint!), ApiKey = settings.ApiKey }, settings.Model!),
                new ResilienceOptions());
            var store = new BlobChunkResultStore(blobs, Containers.Jobs, $"{id}/synthesize/chunks/");
            var output = Path.Combine(work, "synthetic.jsonl");
            SynthesisReport report;
            try
            {
                report = await new Synthesizer(client, store, synthesis).RunAsync([document], output, ct);
            }
            catch (ExtractionException e)
            {
                throw new PermanentStageException($"cannot read the document {source.Name}: {e.Message}", e);
            }
            catch (SynthesisException e)
            {
                throw new PermanentStageException($"synthesis failed: {e.Message}", e);
            }
            if (!report.Complete)
                throw new TransientStageException($"synthesis incomplete: {report.Chunks.Failed} of {report.Chunks.Total} chunks failed (first: {report.Chunks.FailedChunks[0].Error})");

            await using (var stream = File.OpenRead(output))
                await blobs.UploadAsync(Containers.Datasets, JobPaths.SyntheticData(id), stream, ct: ct);
            await using (var stream = File.OpenRead(Synthesizer.SourcesPathFor(output)))
                await blobs.UploadAsync(Containers.Datasets, $"{id}/synthetic.sources.jsonl", stream, ct: ct);
            var reportText = await File.ReadAllTextAsync(Synthesizer.ReportPathFor(output), ct);
            await blobs.UploadTextAsync(Containers.Jobs, reportName, reportText, ct: ct);
            await context.ReportAsync(new JsonObject { ["progress"] = 1.0, ["pairs"] = report.Pairs.Kept, ["chunks"] = report.Chunks.Total }, ct);
            return Decide(JsonNode.Parse(reportText)!, source.Name);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static StageOutcome Decide(JsonNode report, string name)
    {
        var kept = report["pairs"]?["kept"]?.GetValue<long>() ?? 0;
        return kept > 0
            ? new StageOutcome.Next(JobStage.Prepare)
            : new StageOutcome.Failed($"synthesis produced no usable Q&A pairs from {name}; see jobs/…/synthesize/report.json",
                new JsonObject { ["report"] = "synthesize/report.json" });
    }
}
