using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Runs;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// One check of a running training or evaluation (between durable timers): the backend's state, and for training the step,
/// loss, epoch and progress from the last step line of the metrics blob when the backend cannot report them (Container Apps).
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
        // The last step line: epoch lines ({"type":"epoch", train_loss, validation_loss}) carry no "loss".
        var last = text?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => l.Contains("\"loss\"", StringComparison.Ordinal));
        if (last is null) return progress;
        try
        {
            var line = JsonNode.Parse(last) as JsonObject;
            return progress with
            {
                Step = line?["step"]?.GetValue<long>(),
                Loss = line?["loss"]?.GetValue<double>(),
                Epoch = line?["epoch"] is JsonValue e ? (int)Math.Floor(e.GetValue<double>()) : progress.Epoch,
                Progress = line?["progress"]?.GetValue<double>() ?? progress.Progress,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return progress; // a line being written
        }
    }
}
