using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace FineTune.Functions;

/// <summary>
/// The job orchestration: a shell over the shared <see cref="FineTuneOrchestrator"/>. Its settings (poll intervals, retries)
/// travel in the job input, fixed by JobStarter when the job starts, so replays never see changed app settings.
/// </summary>
public static class Orchestration
{
    [Function(nameof(FineTuneOrchestrator))]
    public static Task<JobOutput> Run([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new FineTuneOrchestrator().RunAsync(context, context.GetInput<JobInput>()!);
}
