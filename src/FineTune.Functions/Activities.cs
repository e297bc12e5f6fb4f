using FineTune.Pipeline.Activities;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Runs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FineTune.Functions;

/// <summary>
/// One function per activity of PipelineServices.AddFineTuneTasks, named exactly as the activity class (the orchestrator
/// calls activities by those names). Each builds the shared activity from the function's services and runs it.
/// </summary>
public static class Activities
{
    [Function(nameof(ValidateActivity))]
    public static Task<ValidateResult> Validate([ActivityTrigger] JobRequest input, FunctionContext ctx) =>
        Run<ValidateActivity, JobRequest, ValidateResult>(input, ctx);

    [Function(nameof(PlanSynthesisActivity))]
    public static Task<SynthesisPlan> PlanSynthesis([ActivityTrigger] JobRequest input, FunctionContext ctx) =>
        Run<PlanSynthesisActivity, JobRequest, SynthesisPlan>(input, ctx);

    [Function(nameof(SynthesizeBatchActivity))]
    public static Task<SynthesisBatchResult> SynthesizeBatch([ActivityTrigger] SynthesisBatch input, FunctionContext ctx) =>
        Run<SynthesizeBatchActivity, SynthesisBatch, SynthesisBatchResult>(input, ctx);

    [Function(nameof(AssembleSynthesisActivity))]
    public static Task<SynthesisSummary> AssembleSynthesis([ActivityTrigger] JobRequest input, FunctionContext ctx) =>
        Run<AssembleSynthesisActivity, JobRequest, SynthesisSummary>(input, ctx);

    [Function(nameof(PrepareActivity))]
    public static Task<PrepareResult> Prepare([ActivityTrigger] JobRequest input, FunctionContext ctx) =>
        Run<PrepareActivity, JobRequest, PrepareResult>(input, ctx);

    [Function(nameof(StartRunActivity))]
    public static Task<TrainingRun> StartRun([ActivityTrigger] RunRequest input, FunctionContext ctx) =>
        Run<StartRunActivity, RunRequest, TrainingRun>(input, ctx);

    [Function(nameof(GetRunProgressActivity))]
    public static Task<TrainingProgress> GetRunProgress([ActivityTrigger] RunProgressRequest input, FunctionContext ctx) =>
        Run<GetRunProgressActivity, RunProgressRequest, TrainingProgress>(input, ctx);

    [Function(nameof(ReadGateActivity))]
    public static Task<GateDecision> ReadGate([ActivityTrigger] JobRequest input, FunctionContext ctx) =>
        Run<ReadGateActivity, JobRequest, GateDecision>(input, ctx);

    [Function(nameof(DeployActivity))]
    public static Task<DeployResult> Deploy([ActivityTrigger] JobRequest input, FunctionContext ctx) =>
        Run<DeployActivity, JobRequest, DeployResult>(input, ctx);

    [Function(nameof(CancelRunActivity))]
    public static Task<bool> CancelRun([ActivityTrigger] RunProgressRequest input, FunctionContext ctx) =>
        Run<CancelRunActivity, RunProgressRequest, bool>(input, ctx);

    [Function(nameof(CleanupActivity))]
    public static Task<bool> Cleanup([ActivityTrigger] string input, FunctionContext ctx) =>
        Run<CleanupActivity, string, bool>(input, ctx);

    /// <summary>Builds activity <typeparamref name="TActivity"/> from the invocation's services and runs it on the input.</summary>
    /// <remarks>Inside <see cref="LoggedActivity"/>, as on the self-hosted worker: what it throws is logged (with the stack when unexpected).</remarks>
    internal static async Task<TOut> Run<TActivity, TIn, TOut>(TIn input, FunctionContext ctx) where TActivity : TaskActivity<TIn, TOut>
    {
        var name = typeof(TActivity).Name;
        var activity = new LoggedActivity(ActivatorUtilities.CreateInstance<TActivity>(ctx.InstanceServices), name, ctx.InstanceServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TActivity).FullName!));
        return (TOut)(await activity.RunAsync(new ShellActivityContext(name, ctx.InvocationId), input))!;
    }

    /// <summary>
    /// The TaskActivityContext the shared activities are given (none of them reads it). Functions' activity trigger does not
    /// hand over the orchestration's instance id; the activities take the job id from their input instead.
    /// </summary>
    private sealed class ShellActivityContext(string name, string invocationId) : TaskActivityContext
    {
        public override TaskName Name { get; } = name;
        public override string InstanceId { get; } = invocationId;
    }
}
