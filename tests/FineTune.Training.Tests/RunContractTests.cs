using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Training.Contract;
using FineTune.Training.Evaluation;
using H = FineTune.Training.HyperparameterTable;

namespace FineTune.Training.Tests;

/// <summary>
/// The pipeline ↔ trainer/evaluator contract: each record written and read back through <see cref="RunContractJson"/>,
/// snake_case on the wire, an unknown or missing field a clear error.
/// </summary>
public class RunContractTests
{
    private static TrainingRunSpec TrainSpec() => new()
    {
        JobId = "job1", BaseModel = "models/tiny", Preset = "fast",
        Hyperparameters = new HyperparameterOverrides { { H.Epochs, 2 }, { H.LearningRate, 0.01 } },
        Train = "datasets/job1/train.jsonl", Validation = "datasets/job1/validation.jsonl",
        Output = "adapters/job1", Metrics = "jobs/job1/train/metrics.jsonl",
    };

    [Fact]
    public void TrainingRunSpec_RoundTrips_InSnakeCase()
    {
        var json = JsonSerializer.Serialize(TrainSpec(), RunContractJson.Indented.TrainingRunSpec);
        var keys = JsonNode.Parse(json)!.AsObject().Select(p => p.Key);
        Assert.Equal(["job_id", "base_model", "preset", "hyperparameters", "expert", "train", "validation", "output", "metrics", "log_every"], keys);
        var back = RunContractJson.Read(json, RunContractJson.Default.TrainingRunSpec, "spec.json");
        Assert.Equal(TrainSpec(), back);
        Assert.NotEqual(TrainSpec(), back with { Hyperparameters = new HyperparameterOverrides { { H.Epochs, 3 }, { H.LearningRate, 0.01 } } });
        Assert.Equal(new Hyperparameters { Epochs = 2, LearningRate = 0.01 }, back.Hyperparameters!.ApplyTo(new Hyperparameters()));
        Assert.Equal(json, JsonSerializer.Serialize(back, RunContractJson.Indented.TrainingRunSpec));
    }

    [Fact]
    public void EvaluationRunSpec_RoundTrips()
    {
        var spec = new EvaluationRunSpec
        {
            JobId = "job1", BaseModel = "models/tiny", Adapter = "adapters/job1", Data = "datasets/job1/validation.jsonl",
            Results = "jobs/job1/evaluate/results.json", MinImprovement = 0.02, OnGateFail = "fail",
        };
        var json = JsonSerializer.Serialize(spec, RunContractJson.Default.EvaluationRunSpec);
        Assert.Contains("\"min_improvement\":0.02", json);
        Assert.Equal(spec, RunContractJson.Read(json, RunContractJson.Default.EvaluationRunSpec, "spec.json"));
    }

    [Fact]
    public void AbsentFields_KeepTheirDefaults()
    {
        var train = RunContractJson.Read("""{"job_id":"j","base_model":"m","train":"t","output":"o"}""", RunContractJson.Default.TrainingRunSpec, "spec.json");
        Assert.Equal(("standard", 5, false, null), (train.Preset, train.LogEvery, train.Expert, train.Hyperparameters));
        var eval = RunContractJson.Read("""{"job_id":"j","base_model":"m","adapter":"a","data":"d","results":"r"}""", RunContractJson.Default.EvaluationRunSpec, "spec.json");
        Assert.Equal(("wait", 128, 16, 0.0), (eval.OnGateFail, eval.MaxNewTokens, eval.BatchSize, eval.MinImprovement));
        var local = RunContractJson.Read("""{"model":"m","data":"d","output":"o"}""", RunContractJson.Default.TrainingSpec, "spec.json");
        Assert.Equal(new TrainingSpec { Model = "m", Data = "d", Output = "o" }, local);
    }

    [Fact]
    public void UnknownField_IsRejected_NamingItAndTheContract()
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(TrainSpec(), RunContractJson.Default.TrainingRunSpec))!.AsObject();
        json["logEvery"] = 3; // the old camelCase spelling
        var e = Assert.Throws<InvalidDataException>(() => RunContractJson.Read(json.ToJsonString(), RunContractJson.Default.TrainingRunSpec, "jobs/job1/train/spec.json"));
        Assert.StartsWith("jobs/job1/train/spec.json does not match the TrainingRunSpec contract:", e.Message);
        Assert.Contains("'logEvery'", e.Message);
    }

    [Fact]
    public void MissingRequiredField_IsRejected_NamingIt()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            RunContractJson.Read("""{"job_id":"j","base_model":"m","train":"t"}""", RunContractJson.Default.TrainingRunSpec, "spec.json"));
        Assert.Contains("output", e.Message);
    }

    [Fact]
    public void UnknownHyperparameter_InASpec_IsAnArgumentErrorNamingIt()
    {
        var json = """{"job_id":"j","base_model":"m","train":"t","output":"o","hyperparameters":{"learning_rat":0.1}}""";
        var e = Assert.Throws<ArgumentException>(() => RunContractJson.Read(json, RunContractJson.Default.TrainingRunSpec, "spec.json"));
        Assert.StartsWith("unknown hyperparameter 'learning_rat'", e.Message);
    }

    [Fact]
    public void ProgressLine_ReadsBackWhatTheTrainerWrites()
    {
        var step = new StepMetrics(StepMetrics.Kind, 3, 12, 0.75, 1.25, 1e-4, 0.5, 900, 3000, 4.5, 0);
        var line = RunProgress.From(step).ToLine();
        Assert.StartsWith("progress {\"fraction\":0.25,\"step\":3,\"total_steps\":12,\"epoch\":0.75,\"loss\":1.25}", line);
        Assert.Equal(RunProgress.From(step), RunProgress.FromLine(line));
        Assert.Null(RunProgress.FromLine("epoch 1: train loss 1.2"));
        Assert.Null(RunProgress.FromLine(null));
        var e = Assert.Throws<InvalidDataException>(() => RunProgress.FromLine("progress fraction=0.5 step=3 loss=1.2"));
        Assert.StartsWith("progress line does not match the RunProgress contract", e.Message);
        var unknown = Assert.Throws<InvalidDataException>(() => RunProgress.FromLine("progress {\"fraction\":0.5,\"speed\":9}"));
        Assert.Contains("'speed'", unknown.Message);
    }

    [Fact]
    public void MetricsLines_RoundTrip_StepAndEpoch_WithProgressOnStepLines()
    {
        var step = new StepMetrics(StepMetrics.Kind, 2, 4, 0.5, 1.5, 1e-4, 0.25, 1000, 2048, 3.0, 1 << 20);
        var epoch = new EpochMetrics(EpochMetrics.Kind, 1, 2, 1.6, null, "checkpoints/epoch-1", 3.1);
        var stepLine = MetricsLine.Format(step);
        Assert.Contains("\"type\":\"step\"", stepLine);
        Assert.Contains("\"progress\":0.5", stepLine);   // the console reads it
        Assert.Equal([step, epoch], MetricsLine.ParseAll(stepLine + "\n" + MetricsLine.Format(epoch) + "\n{\"type\":\"st"));
        Assert.Null(MetricsLine.Parse("{\"type\":\"step\",\"st"));   // cut by a crash mid-write
        Assert.Throws<InvalidDataException>(() => MetricsLine.Parse("""{"step":1,"loss":2.5}"""));
        var e = Assert.Throws<InvalidDataException>(() => MetricsLine.Parse(stepLine.Replace("\"loss\"", "\"lossy\"")));
        Assert.Contains("'lossy'", e.Message);
    }

    [Fact]
    public void RunExit_RoundTrips()
    {
        var exit = new RunExit("host:1:2:job1:train", 1, "exit code 1: boom", 7, 0.5);
        var json = JsonSerializer.Serialize(exit, RunContractJson.Default.RunExit);
        Assert.Equal("""{"run_id":"host:1:2:job1:train","exit_code":1,"message":"exit code 1: boom","step":7,"loss":0.5}""", json);
        Assert.Equal(exit, RunContractJson.Read(json, RunContractJson.Default.RunExit, "exit.json"));
    }

    [Fact]
    public void TrainingSpecFile_TakesManifestStyleHyperparameters_AndRejectsUnknownFields()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "spec.json");
        File.WriteAllText(path, """{"model": "m", "data": "d.jsonl", "output": "out", "hyperparameters": {"lr": 0.01, "loraRank": 4}}""");
        var spec = TrainingSpec.Load(path);
        Assert.Equal(Path.Combine(dir.Path, "d.jsonl"), spec.Data);
        Assert.Equal((0.01, 4), (spec.ResolveHyperparameters().LearningRate, spec.ResolveHyperparameters().LoraRank));
        Assert.Contains("\"learning_rate\": 0.01", spec.ToJson());
        File.WriteAllText(path, """{"model": "m", "data": "d.jsonl", "output": "out", "epochs": 3}""");
        var e = Assert.Throws<InvalidDataException>(() => TrainingSpec.Load(path));
        Assert.Contains("'epochs'", e.Message);
    }

    [Fact]
    public void EvaluationResults_RoundTrip_WithTheConsolesCamelCaseGate_AndRejectUnknownFields()
    {
        var gate = DeploymentGate.Decide(0.2, 0.5, 0.1, "wait");
        using var report = JsonDocument.Parse("""{"results": {"base": {"flexible_accuracy": 0.2}}}""");
        var json = JsonSerializer.Serialize(new EvaluationResults(GateRecord.From(gate, "flexible_accuracy"), report.RootElement),
            EvaluationResultsJson.Default.EvaluationResults);
        var node = JsonNode.Parse(json)!;
        Assert.Equal("Deploy", node["gate"]!["outcome"]!.GetValue<string>());
        Assert.Equal(0.5, node["gate"]!["tunedScore"]!.GetValue<double>());
        Assert.Equal(0.2, node["report"]!["results"]!["base"]!["flexible_accuracy"]!.GetValue<double>());
        var back = RunContractJson.Read(json, EvaluationResultsJson.Default.EvaluationResults, "results.json");
        Assert.Equal(GateRecord.From(gate, "flexible_accuracy"), back.Gate);

        node["gate"]!["tunedScroe"] = 0.9;
        var e = Assert.Throws<InvalidDataException>(() =>
            RunContractJson.Read(node.ToJsonString(), EvaluationResultsJson.Default.EvaluationResults, "jobs/j/evaluate/results.json"));
        Assert.Contains("tunedScroe", e.Message);
        Assert.Contains("jobs/j/evaluate/results.json", e.Message);
    }
}
