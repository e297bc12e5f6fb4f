namespace FineTune.Training.Contract;

/// <summary>
/// How a local run ended, jobs/{id}/{stage}/exit.json: written by the host that ran the process, read by any host sharing
/// the task hub. JSON through <see cref="RunContractJson"/>.
/// </summary>
public sealed record RunExit(string RunId, int ExitCode, string? Message, long? Step, double? Loss);
