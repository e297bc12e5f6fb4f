using FineTune.Pipeline;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace FineTune.Functions;

/// <summary>The job orchestration: a shell over the shared <see cref="FineTuneOrchestrator"/>.</summary>
public sealed class Orchestration(IOptions<PipelineOptions> options)
{
    [Function(nameof(FineTuneOrchestrator))]
    public Task<JobOutput> Run([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new FineTuneOrchestrator(options).RunAsync(context, context.GetInput<JobInput>()!);
}
