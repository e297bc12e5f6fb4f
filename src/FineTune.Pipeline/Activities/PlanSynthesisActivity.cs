using System.Text.Json;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Synthesis;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>Extracts, cleans and chunks the document (no model calls), stores the chunks at jobs/{id}/synthesize/plan.json and returns their ids in batches.</summary>
public sealed class PlanSynthesisActivity(SynthesisRunner runner) : TaskActivity<JobRequest, SynthesisPlan>
{
    public override Task<SynthesisPlan> RunAsync(TaskActivityContext context, JobRequest job) =>
        runner.WithDocumentAsync(job, "plan", async (synthesizer, document) =>
        {
            var prepared = await synthesizer.PrepareAsync([document], CancellationToken.None);
            var chunks = prepared.SelectMany(p => p.Chunks).ToList();
            if (chunks.Count == 0) throw new PermanentJobException($"the document {job.Input.Source.Name} holds no text to generate questions from");
            await runner.Storage.Blobs.UploadBytesAsync(Containers.Jobs, JobPaths.SynthesisPlan(job.JobId),
                JsonSerializer.SerializeToUtf8Bytes(chunks, SynthesisRunner.Json));
            var batches = chunks.Select(c => c.Id).Chunk(runner.Options.SynthesisBatchSize).Select(b => (IReadOnlyList<string>)b).ToList();
            return new SynthesisPlan(chunks.Count, batches);
        });

    internal static async Task<List<Chunk>> ReadPlanAsync(StorageAccount storage, string jobId)
    {
        var bytes = await storage.Blobs.ReadBytesAsync(Containers.Jobs, JobPaths.SynthesisPlan(jobId))
            ?? throw new PermanentJobException($"the synthesis plan of job {jobId} is missing");
        return JsonSerializer.Deserialize<List<Chunk>>(bytes.Bytes, SynthesisRunner.Json) ?? [];
    }
}
