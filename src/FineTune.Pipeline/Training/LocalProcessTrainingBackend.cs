using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace FineTune.Pipeline.Training;

/// <summary>
/// Runs `finetune {verb} --spec {container/name}` as a child process of this host, with the storage settings in its
/// environment (FINETUNE_STORAGE). Progress comes from the process's last stdout line of the form
/// <c>progress step=N loss=X fraction=F</c>; success is exit code 0. A run this process did not start (the host restarted)
/// is reported <see cref="TrainingRunState.Lost"/>, and the stage starts it again (the trainer resumes from checkpoints).
/// </summary>
public sealed class LocalProcessTrainingBackend(TrainingBackendOptions options, string storageSetting) : ITrainingBackend
{
    private readonly ConcurrentDictionary<string, RunningProcess> _runs = new();

    public string Name => "local";

    /// <summary>Runs started by this process and still running, with their job ids (for <see cref="TrainingWatchdog"/>).</summary>
    public IReadOnlyList<(TrainingRun Run, string JobId)> Running =>
        _runs.Where(r => !r.Value.Process.HasExited).Select(r => (new TrainingRun(Name, r.Key), r.Value.JobId)).ToList();

    public Task<TrainingRun> StartAsync(TrainingTask task, CancellationToken ct)
    {
        var (exe, prefix) = Command();
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in prefix) start.ArgumentList.Add(arg);
        start.ArgumentList.Add(task.Verb);
        start.ArgumentList.Add("--spec");
        start.ArgumentList.Add(task.Spec);
        start.Environment["FINETUNE_STORAGE"] = storageSetting;
        start.Environment["FINETUNE_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {exe}");
        var running = new RunningProcess(process, task.JobId, storageSetting);
        process.OutputDataReceived += (_, e) => running.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => running.OnError(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var runId = $"{process.Id}-{task.JobId}-{task.Verb}";
        _runs[runId] = running;
        return Task.FromResult(new TrainingRun(Name, runId));
    }

    public Task<TrainingProgress> GetProgressAsync(TrainingRun run, CancellationToken ct)
    {
        if (!_runs.TryGetValue(run.RunId, out var running))
            return Task.FromResult(new TrainingProgress(TrainingRunState.Lost, Message: "the training process belonged to an earlier host process"));
        return Task.FromResult(running.Progress());
    }

    public Task CancelAsync(TrainingRun run, CancellationToken ct)
    {
        if (_runs.TryRemove(run.RunId, out var running) && !running.Process.HasExited)
            running.Process.Kill(entireProcessTree: true);
        return Task.CompletedTask;
    }

    private (string Exe, IReadOnlyList<string> Prefix) Command()
    {
        if (options.Executable is { } exe) return (exe, options.ExecutableArguments);
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this process's executable; set Pipeline:Training:Executable");
        // Under `dotnet finetune.dll`, run the same dll.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet" && Environment.GetCommandLineArgs() is [var dll, ..] && dll.EndsWith(".dll", StringComparison.Ordinal))
            return (self, [dll]);
        return (self, []);
    }

    private sealed class RunningProcess(Process process, string jobId, string secret)
    {
        public string JobId { get; } = jobId;
        private readonly object _gate = new();
        private string? _lastProgress;
        private readonly Queue<string> _stderr = new();
        public Process Process { get; } = process;

        public void OnOutput(string? line)
        {
            if (line is not null && line.StartsWith("progress ", StringComparison.Ordinal))
                lock (_gate) _lastProgress = line;
        }

        public void OnError(string? line)
        {
            if (line is null) return;
            lock (_gate)
            {
                _stderr.Enqueue(line);
                while (_stderr.Count > 20) _stderr.Dequeue();
            }
        }

        public TrainingProgress Progress()
        {
            lock (_gate)
            {
                var fields = (_lastProgress ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
                double? D(string k) => fields.TryGetValue(k, out var v) && double.TryParse(v, CultureInfo.InvariantCulture, out var d) ? d : null;
                long? L(string k) => fields.TryGetValue(k, out var v) && long.TryParse(v, CultureInfo.InvariantCulture, out var d) ? d : null;
                if (!Process.HasExited) return new TrainingProgress(TrainingRunState.Running, D("fraction"), L("step"), D("loss"));
                return Process.ExitCode == 0
                    ? new TrainingProgress(TrainingRunState.Succeeded, 1, L("step"), D("loss"))
                    : new TrainingProgress(TrainingRunState.Failed, D("fraction"), L("step"), D("loss"),
                        // The storage setting may hold an account key: never let it reach a job's status.
                        $"exit code {Process.ExitCode}: {string.Join(" | ", _stderr.TakeLast(5)).Replace(secret, "***")}");
            }
        }
    }
}
