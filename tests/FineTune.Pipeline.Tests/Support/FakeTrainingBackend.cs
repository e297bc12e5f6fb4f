using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline.Activities;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Runs;
using FineTune.Training;
using FineTune.Training.Contract;

namespace FineTune.Tests.Support;

/// <summary>
/// A training backend scripted per job: "train" writes a fake adapter and metrics lines where the spec says, "eval"
/// writes the gate decision; each run reports Running for a few polls (or until released) and then Succeeded or Failed.
/// Every start, poll and cancel is recorded. Jobs without a script train and deploy.
/// </summary>
public sealed class FakeTrainingBackend(StorageAccount storage) : ITrainingBackend
{
    public sealed class Script
    {
        public int RunningPolls { get; init; } = 2;
        /// <summary>When set, training fails with this message.</summary>
        public string? TrainFailure { get; init; }
        public string GateOutcome { get; init; } = "Deploy";
        public string GateReason { get; init; } = "tuned 0.50 ≥ base 0.10 + 0.00";
        /// <summary>Training reports Running until <see cref="Release"/>.</summary>
        public bool HoldTraining { get; init; }
        /// <summary>StartAsync throws a transient HttpRequestException this many times first.</summary>
        public int TransientStartFaults { get; set; }
        /// <summary>StartAsync of "train" throws a PermanentJobException with this message.</summary>
        public string? PermanentStartFault { get; init; }
        /// <summary>The first train run is reported Lost (the host that ran it went away).</summary>
        public bool LoseFirstTrainRun { get; init; }

        internal volatile bool Released;
        public void Release() => Released = true;
    }

    public sealed record Call(string Kind, string JobId, string Verb, string RunId);

    private readonly ConcurrentDictionary<string, Script> _scripts = new();
    private readonly ConcurrentDictionary<string, int> _polls = new();
    private readonly ConcurrentQueue<Call> _calls = new();
    private int _runs;

    public string Name => "fake";

    public IReadOnlyList<Call> Calls => _calls.ToList();
    public IReadOnlyList<Call> CallsOf(string jobId) => _calls.Where(c => c.JobId == jobId).ToList();

    public Script For(string jobId, Script script) => _scripts[jobId] = script;

    private Script ScriptOf(string jobId) => _scripts.GetOrAdd(jobId, _ => new Script());

    public async Task<TrainingRun> StartAsync(TrainingTask task, CancellationToken ct)
    {
        var script = ScriptOf(task.JobId);
        _calls.Enqueue(new Call("start", task.JobId, task.Verb, ""));
        lock (script)
        {
            if (script.TransientStartFaults > 0)
            {
                script.TransientStartFaults--;
                throw new HttpRequestException("scripted: the backend's API is briefly unreachable");
            }
        }
        if (task.Verb == "train" && script.PermanentStartFault is { } fault) throw new PermanentJobException(fault);

        var slash = task.Spec.IndexOf('/');
        var specText = await storage.Blobs.ReadTextAsync(task.Spec[..slash], task.Spec[(slash + 1)..], ct)
            ?? throw new InvalidOperationException($"the spec {task.Spec} does not exist");
        if (task.Verb == "train")
        {
            // The spec and the metrics lines through the trainer's own contract (RunContractJson, MetricsLine).
            var spec = RunContractJson.Read(specText, RunContractJson.Default.TrainingRunSpec, task.Spec);
            var (outContainer, outPrefix) = Split(spec.Output);
            await storage.Blobs.UploadTextAsync(outContainer, outPrefix.TrimEnd('/') + "/adapter_model.safetensors", "fake adapter", ct: ct);
            await storage.Blobs.UploadTextAsync(outContainer, outPrefix.TrimEnd('/') + "/adapter_config.json", """{"r":8}""", ct: ct);
            var (metricsContainer, metricsName) = Split(spec.Metrics!);
            await storage.Blobs.UploadTextAsync(metricsContainer, metricsName,
                MetricsLine.Format(Step(1, 2.5)) + "\n" + MetricsLine.Format(Step(2, 2.25)) + "\n", ct: ct);
        }
        else
        {
            var spec = RunContractJson.Read(specText, RunContractJson.Default.EvaluationRunSpec, task.Spec);
            var (resultsContainer, resultsName) = Split(spec.Results);
            var gate = new GateRecord(script.GateOutcome, script.GateOutcome == "Deploy", 0.1, 0.5, 0, 0.4, "flexible_accuracy", script.GateReason);
            var results = JsonSerializer.Serialize(new EvaluationResults(gate, JsonDocument.Parse("{}").RootElement), EvaluationResultsJson.Default.EvaluationResults);
            await storage.Blobs.UploadTextAsync(resultsContainer, resultsName, results, ct: ct);
        }
        var run = new TrainingRun(Name, $"{task.JobId}:{task.Verb}:{Interlocked.Increment(ref _runs)}");
        _calls.Enqueue(new Call("started", task.JobId, task.Verb, run.RunId));
        return run;
    }

    public Task<TrainingProgress> GetProgressAsync(TrainingRun run, CancellationToken ct)
    {
        var (jobId, verb) = Parse(run);
        var script = ScriptOf(jobId);
        _calls.Enqueue(new Call("poll", jobId, verb, run.RunId));
        var polls = _polls.AddOrUpdate(run.RunId, 1, (_, n) => n + 1);
        if (verb == "train" && script.LoseFirstTrainRun && FirstRunOf(jobId, "train") == run.RunId)
            return Task.FromResult(new TrainingProgress(TrainingRunState.Lost, Message: "scripted: the host went away"));
        if (verb == "train" && script.HoldTraining && !script.Released)
            return Task.FromResult(new TrainingProgress(TrainingRunState.Running));
        if (polls <= script.RunningPolls)
            return Task.FromResult(new TrainingProgress(TrainingRunState.Running));
        if (verb == "train" && script.TrainFailure is { } failure)
            return Task.FromResult(new TrainingProgress(TrainingRunState.Failed, Message: failure));
        return Task.FromResult(new TrainingProgress(TrainingRunState.Succeeded, 1, Step: 10, Loss: 1.5, Epoch: 1));
    }

    public Task CancelAsync(TrainingRun run, CancellationToken ct)
    {
        var (jobId, verb) = Parse(run);
        _calls.Enqueue(new Call("cancel", jobId, verb, run.RunId));
        return Task.CompletedTask;
    }

    private string? FirstRunOf(string jobId, string verb) =>
        _calls.FirstOrDefault(c => c.Kind == "started" && c.JobId == jobId && c.Verb == verb)?.RunId;

    private static (string JobId, string Verb) Parse(TrainingRun run)
    {
        var parts = run.RunId.Split(':');
        return (parts[0], parts[1]);
    }

    private static StepMetrics Step(int step, double loss) =>
        new(StepMetrics.Kind, step, 10, step / 10.0, loss, 1e-4, 1.0, 100, step * 100L, step, 0);

    private static (string Container, string Name) Split(string address)
    {
        var slash = address.IndexOf('/');
        return (address[..slash], address[(slash + 1)..]);
    }
}
