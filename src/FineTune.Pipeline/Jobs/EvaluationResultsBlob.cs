using FineTune.Pipeline.Activities;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Training.Contract;

namespace FineTune.Pipeline.Jobs;

/// <summary>jobs/{id}/evaluate/results.json, as the evaluator wrote it (<see cref="EvaluationResults"/>), for the gate and deploy steps.</summary>
public static class EvaluationResultsBlob
{
    public static string Address(string jobId) => $"{Containers.Jobs}/{JobPaths.EvaluationResults(jobId)}";

    /// <summary>The results, or null when none were written; a file that breaks the contract fails the job, naming the field.</summary>
    public static async Task<EvaluationResults?> ReadAsync(StorageAccount storage, string jobId)
    {
        var text = await storage.Blobs.ReadTextAsync(Containers.Jobs, JobPaths.EvaluationResults(jobId));
        if (text is null) return null;
        try
        {
            return RunContractJson.Read(text, EvaluationResultsJson.Default.EvaluationResults, Address(jobId));
        }
        catch (InvalidDataException e)
        {
            throw new PermanentJobException(e.Message, e);
        }
    }
}
