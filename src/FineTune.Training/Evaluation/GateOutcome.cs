namespace FineTune.Training.Evaluation;

/// <summary>The gate's decision: deploy, hold for a person, or fail the job.</summary>
public enum GateOutcome
{
    Deploy,
    /// <summary>Hold the job until an <c>approve</c> or <c>reject</c> event.</summary>
    AwaitApproval,
    Fail,
}
