using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Runs;
using FineTune.Training;
using FineTune.Training.Contract;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// One check of a running training or evaluation (between durable timers): the backend's state, and for training the step,
/// loss, epoch and progress from the last <see cref="StepMetrics"/> line of the metrics blob when the backend cannot report them
/// (Container Apps).
/// </summary>
public sealed class GetRunProgressActivity(StorageAccount storage, ITrainingBackend backend) : TaskActivity<RunProgressRequest, TrainingProgress>
{
    public override async Task<TrainingProgress> RunAsync(TaskActivityContext context, RunProgressRequest request)
    {
        if (request.Run.Backend != backend.Name)
            return new TrainingProgress(TrainingRunState.Lost, Message: $"the run was started on the {request.Run.Backend} backend; this host runs {backend.Name}");
        var progress = await backend.GetProgressAsync(request.Run, CancellationToken.None);
        if (request.Verb == "train" && progress.State == TrainingRunState.Running && progress.Step is null)
            progress = await FromMetricsAsync(request.JobId, progress);
        return progress;
    }

    private async Task<TrainingProgress> FromMetricsAsync(string jobId, TrainingProgress progress)
    {
        var text = await storage.Blobs.ReadTextAsync(Containers.Jobs, JobPaths.TrainMetrics(jobId));
        try
        {
            return MetricsLine.ParseAll(text).OfType<StepMetrics>().LastOrDefault() is { } last ? progress.With(RunProgress.From(last)) : progress;
        }
        catch (InvalidDataException e)
        {
            return progress with { Message = e.Message }; // a trainer of another version: the run goes on, the status says why no step
        }
    }
}
