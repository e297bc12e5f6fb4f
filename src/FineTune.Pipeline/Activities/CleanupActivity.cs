using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline.Activities;

/// <summary>Removes the job's local work folder on this host when the job ends (other hosts sweep theirs at start-up and in the watchdog).</summary>
public sealed class CleanupActivity(IOptions<PipelineOptions> options) : TaskActivity<string, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, string jobId)
    {
        WorkFolder.Delete(WorkFolder.For(options.Value.WorkDirectory, jobId));
        return Task.FromResult(true);
    }
}
