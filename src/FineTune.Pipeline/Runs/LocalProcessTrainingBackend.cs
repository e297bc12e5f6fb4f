using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FineTune.Training.Contract;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Pipeline.Runs;

/// <summary>
/// Runs `finetune {verb} --spec {container/name}` as a child process of this host, with the storage setting in its environment
/// (FINETUNE_STORAGE). Progress comes from the process's last <see cref="RunProgress"/> stdout line; success is exit code 0. Several hosts share one task hub, and Durable may run the progress check on any of them, so the run id names
/// the host that started it (machine and process id), and that host writes the exit (<see cref="RunExit"/>: code and the last
/// stderr lines) to jobs/{id}/{verb}/exit.json when the process ends: another host reads that, sees the run still going while its host lives,
/// and reports it <see cref="TrainingRunState.Lost"/> only when that host is gone (the orchestration starts it again; the
/// trainer resumes from its checkpoints).
/// </summary>
public sealed class LocalProcessTrainingBackend(TrainingBackendOptions options, StorageAccount storage, ILogger<LocalProcessTrainingBackend>? logger = null,
    IReadOnlyDictionary<string, string>? localModels = null)
    : ITrainingBackend
{
    private readonly ConcurrentDictionary<string, RunningProcess> _runs = new();
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public string Name => "local";

    /// <summary>The environment variable that gives the trainer <see cref="PipelineOptions.LocalModels"/> (JSON: name → folder).</summary>
    public const string LocalModelsVariable = "FINETUNE_LOCAL_MODELS";

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
        start.Environment["FINETUNE_STORAGE"] = storage.Setting;
        start.Environment["FINETUNE_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        // A baseModel naming one of Pipeline:LocalModels reaches the trainer as the name; the folder travels here, not in the spec.
        if (localModels is { Count: > 0 }) start.Environment[LocalModelsVariable] = JsonSerializer.Serialize(localModels);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {exe}");
        var runId = RunId.For(task.JobId, task.Verb, process.Id);
        var running = new RunningProcess(process, task.JobId, storage.Setting);
        // Registered before the exit is watched: a process that ends at once must find itself registered, or its exit
        // would be taken for a cancelled run's and never recorded.
        _runs[runId] = running;
        process.OutputDataReceived += (_, e) => running.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => running.OnError(e.Data);
        process.Exited += (_, _) => running.ExitRecorded = RecordExitAsync(runId, running);
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return Task.FromResult(new TrainingRun(Name, runId));
    }

    public async Task<TrainingProgress> GetProgressAsync(TrainingRun run, CancellationToken ct)
    {
        if (_runs.TryGetValue(run.RunId, out var running)) return running.Progress();
        if (RunId.Parse(run.RunId) is not { } id)
            return new TrainingProgress(TrainingRunState.Lost, Message: $"run {run.RunId} was started by an earlier version of the host");
        if (await ReadExitAsync(id, ct) is { } exit) return exit;
        return id.HostIsAlive()
            ? new TrainingProgress(TrainingRunState.Running, Message: $"running on {id.Machine} (host process {id.HostPid})")
            : new TrainingProgress(TrainingRunState.Lost, Message: $"the host that ran it ({id.Machine}, process {id.HostPid}) is gone");
    }

    public Task CancelAsync(TrainingRun run, CancellationToken ct)
    {
        if (_runs.TryRemove(run.RunId, out var running) && !running.Process.HasExited)
            running.Process.Kill(entireProcessTree: true);
        return Task.CompletedTask;
    }

    private async Task RecordExitAsync(string runId, RunningProcess running)
    {
        try
        {
            running.Process.WaitForExit(); // the redirected output is read to its end
            // A cancelled run (terminate, the watchdog) is no longer registered: its job has ended and may be purged, so
            // nothing is written for it.
            if (!_runs.ContainsKey(runId)) return;
            var progress = running.Progress();
            var id = RunId.Parse(runId)!;
            var record = new RunExit(runId, running.Process.ExitCode, progress.Message, progress.Step, progress.Loss);
            await storage.Blobs.UploadBytesAsync(Containers.Jobs, ExitPath(id), JsonSerializer.SerializeToUtf8Bytes(record, RunContractJson.Default.RunExit));
        }
        catch (Exception e)
        {
            LogExitNotRecorded(_logger, runId, e); // this host still answers for the run; others see it as running while it lives
        }
    }

    private async Task<TrainingProgress?> ReadExitAsync(RunId id, CancellationToken ct)
    {
        if (await storage.Blobs.ReadTextAsync(Containers.Jobs, ExitPath(id), ct) is not { } text) return null;
        RunExit exit;
        try { exit = RunContractJson.Read(text, RunContractJson.Default.RunExit, $"{Containers.Jobs}/{ExitPath(id)}"); }
        catch (InvalidDataException e) { return new TrainingProgress(TrainingRunState.Lost, Message: e.Message); } // ended, how unknown: run again, it resumes
        if (exit.RunId != id.ToString()) return null;
        return exit.ExitCode == 0
            ? new TrainingProgress(TrainingRunState.Succeeded, 1, exit.Step, exit.Loss)
            : new TrainingProgress(TrainingRunState.Failed, null, exit.Step, exit.Loss, exit.Message ?? $"exit code {exit.ExitCode}");
    }

    private static string ExitPath(RunId id) => $"{id.JobId}/{(id.Verb == "eval" ? "evaluate" : id.Verb)}/exit.json";

    private (string Exe, IReadOnlyList<string> Prefix) Command()
    {
        if (options.Executable is { } exe) return (exe, options.ExecutableArguments);
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this process's executable; set Pipeline:Training:Executable");
        // Under `dotnet finetune.dll`, run the same dll.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet" && Environment.GetCommandLineArgs() is [var dll, ..] && dll.EndsWith(".dll", StringComparison.Ordinal))
            return (self, [dll]);
        return (self, []);
    }

    private static readonly Action<ILogger, string, Exception?> LogExitNotRecordedMessage =
        LoggerMessage.Define<string>(LogLevel.Warning, new EventId(20, "ExitNotRecorded"), "Could not record the exit of run {RunId}");

    private static void LogExitNotRecorded(ILogger logger, string runId, Exception e) => LogExitNotRecordedMessage(logger, runId, e);

    /// <summary>"{machine}:{host pid}:{process pid}:{job}:{verb}": which host started the run.</summary>
    private sealed record RunId(string Machine, int HostPid, int ProcessId, string JobId, string Verb)
    {
        public static string For(string jobId, string verb, int processId) =>
            new RunId(Environment.MachineName, Environment.ProcessId, processId, jobId, verb).ToString();

        public static RunId? Parse(string text)
        {
            var parts = text.Split(':');
            return parts.Length == 5 && int.TryParse(parts[1], out var host) && int.TryParse(parts[2], out var pid)
                ? new RunId(parts[0], host, pid, parts[3], parts[4]) : null;
        }

        /// <summary>True while the starting host runs (on this machine: its process exists; elsewhere: assumed, until its exit record or MaxRunDuration).</summary>
        public bool HostIsAlive()
        {
            if (Machine != Environment.MachineName) return true;
            try
            {
                using var host = Process.GetProcessById(HostPid);
                return !host.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        public override string ToString() => $"{Machine}:{HostPid}:{ProcessId}:{JobId}:{Verb}";
    }

    private sealed class RunningProcess(Process process, string jobId, string secret)
    {
        public string JobId { get; } = jobId;
        private readonly object _gate = new();
        private RunProgress? _lastProgress;
        private string? _unreadable;
        private readonly Queue<string> _stderr = new();
        public Process Process { get; } = process;
        public Task? ExitRecorded { get; set; }

        public void OnOutput(string? line)
        {
            try
            {
                if (RunProgress.FromLine(line) is { } progress)
                    lock (_gate) _lastProgress = progress;
            }
            catch (InvalidDataException e)
            {
                lock (_gate) _unreadable = e.Message; // a trainer of another version: the run goes on, its status says why no progress
            }
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
            // HasExited can turn true before the redirected streams are read to their end; WaitForExit() drains them (outside
            // the lock, which their handlers take), so a failure's message carries its last stderr lines.
            bool exited = Process.HasExited;
            if (exited) Process.WaitForExit();
            lock (_gate)
            {
                var reported = _lastProgress is { } p ? new TrainingProgress(TrainingRunState.Running).With(p) : new TrainingProgress(TrainingRunState.Running, Message: _unreadable);
                if (!exited) return reported;
                return Process.ExitCode == 0
                    ? reported with { State = TrainingRunState.Succeeded, Progress = 1, Message = null }
                    : reported with
                    {
                        State = TrainingRunState.Failed,
                        // The storage setting may hold an account key: never let it reach a job's status.
                        Message = $"exit code {Process.ExitCode}: {string.Join(" | ", _stderr.TakeLast(5)).Replace(secret, "***")}",
                    };
            }
        }
    }
}
