namespace FineTune.Training;

/// <summary>
/// Learning rate by optimizer step, as transformers' get_scheduler: linear warmup from 0 over
/// <c>warmup</c> steps, then linear decay to 0, half-cosine to 0, or constant.
/// </summary>
public sealed record LrSchedule(string Kind, double BaseLr, int TotalSteps, int WarmupSteps)
{
    public static LrSchedule Create(Hyperparameters h, int totalSteps) =>
        new(h.Scheduler, h.LearningRate, totalSteps, (int)Math.Ceiling(h.WarmupRatio * totalSteps));

    /// <summary>The rate for the optimizer step that follows <paramref name="completedSteps"/> completed ones.</summary>
    public double At(int completedSteps)
    {
        int s = completedSteps;
        if (s < WarmupSteps) return BaseLr * s / Math.Max(1, WarmupSteps);
        double progress = (double)(s - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        return Kind switch
        {
            "linear" => BaseLr * Math.Max(0, 1 - progress),
            "cosine" => BaseLr * Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress))),
            "constant" => BaseLr,
            _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "scheduler must be linear, cosine or constant"),
        };
    }
}
