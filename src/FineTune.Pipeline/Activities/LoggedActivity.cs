using FineTune.Pipeline.Jobs;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// Runs a stage's activity and logs what it throws before Durable records the failure (which keeps only the message for
/// the job's output): an unexpected exception at Error with its stack trace, a refusal the job reports to its user
/// (<see cref="PermanentJobException"/>, <see cref="SynthesisBatchException"/>) at Warning with its message. It rethrows either.
/// </summary>
public sealed class LoggedActivity(ITaskActivity inner, string name, ILogger logger) : ITaskActivity
{
    public Type InputType => inner.InputType;
    public Type OutputType => inner.OutputType;

    public async Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        try
        {
            return await inner.RunAsync(context, input);
        }
        catch (Exception e) when (e is PermanentJobException or SynthesisBatchException)
        {
            PipelineLog.ActivityRefused(logger, name, context.InstanceId, e.Message);
            throw;
        }
        catch (Exception e)
        {
            PipelineLog.ActivityFault(logger, name, context.InstanceId, e);
            throw;
        }
    }
}
