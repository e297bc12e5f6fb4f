using System.Text.Json;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Synthesis;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// What the three synthesis activities share: the configured LLM endpoint, the job's document fetched into a work folder,
/// and chunk results stored as blobs (jobs/{id}/synthesize/chunks/), so a replayed or retried activity never pays for a
/// chunk twice.
/// </summary>
public sealed class SynthesisRunner(StorageAccount storage, IOptions<PipelineOptions> options)
{
    public const string NotAvailable = "synthesis not available: no LLM endpoint configured (set Pipeline__Synthesis__Endpoint and Pipeline__Synthesis__Model); upload chat, alpaca or sharegpt data instead";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public StorageAccount Storage => storage;
    public PipelineOptions Options => options.Value;

    /// <summary>Runs <paramref name="work"/> with a synthesizer for the job and the document downloaded into a fresh work folder.</summary>
    public async Task<T> WithDocumentAsync<T>(JobRequest job, string activity, Func<Synthesizer, string, Task<T>> work)
    {
        var settings = Options.Synthesis;
        if (!settings.Configured) throw new PermanentJobException(NotAvailable);
        var folder = WorkFolder.NewAttempt(Options.WorkDirectory, job.JobId, activity);
        try
        {
            var source = job.Input.Source;
            var document = Path.Combine(folder, SafeFileName(source.Name));
            await using (var download = await storage.Blobs.OpenReadAsync(source.Container, source.Name)
                             ?? throw new PermanentJobException($"the upload {source.Container}/{source.Name} no longer exists"))
            {
                if (download.Properties.BareETag != source.ETag.Trim('"'))
                    throw new PermanentJobException($"the upload {source.Container}/{source.Name} changed after this job started; the new version starts its own job");
                await using var file = File.Create(document);
                await download.Content.CopyToAsync(file);
            }
            var synthesis = new SynthesisOptions
            {
                SystemPrompt = job.Input.Manifest.SystemPrompt ?? settings.SystemPrompt,
                Generation = new GenerationSettings { Model = settings.Model! },
                QuestionsPerChunk = settings.QuestionsPerChunk,
                Language = settings.Language.Equals("zh", StringComparison.OrdinalIgnoreCase) ? SynthesisLanguage.Zh : SynthesisLanguage.En,
            };
            using var client = new ResilientChatClient(
                OpenAIChatCompletionClient.Create(new EndpointOptions { Endpoint = new Uri(settings.Endpoint!), ApiKey = settings.ApiKey }, settings.Model!),
                new ResilienceOptions());
            var store = new BlobChunkResultStore(storage.Blobs, Containers.Jobs, JobPaths.SynthesisChunks(job.JobId));
            try
            {
                return await work(new Synthesizer(client, store, synthesis), document);
            }
            catch (ExtractionException e)
            {
                throw new PermanentJobException($"cannot read the document {source.Name}: {e.Message}", e);
            }
            catch (SynthesisException e)
            {
                throw new PermanentJobException($"synthesis failed: {e.Message}", e);
            }
        }
        finally
        {
            WorkFolder.Delete(folder);
        }
    }

    /// <summary>The last path segment, with anything a file system could mind replaced (the extension is kept: it picks the extractor).</summary>
    private static string SafeFileName(string blobName)
    {
        var name = blobName[(blobName.LastIndexOf('/') + 1)..];
        var safe = string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
        return safe.Length > 120 ? safe[..60] + safe[^60..] : safe;
    }
}
