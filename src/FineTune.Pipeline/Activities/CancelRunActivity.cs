using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Runs;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>Stops a training or evaluation run (one that ran past its time limit).</summary>
public sealed class CancelRunActivity(ITrainingBackend backend) : TaskActivity<RunProgressRequest, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, RunProgressRequest request)
    {
        if (request.Run.Backend != backend.Name) return false;
        await backend.CancelAsync(request.Run, CancellationToken.None);
        return true;
    }
}
