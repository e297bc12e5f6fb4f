namespace FineTune.Pipeline.Runs;

/// <summary>Configuration section "Pipeline:Training".</summary>
public sealed class TrainingBackendOptions
{
    public const string Section = "Pipeline:Training";

    /// <summary>"local" (default: `finetune train` as a child process of the host) or "containerapps" (a GPU job in Azure).</summary>
    public string Backend { get; set; } = "local";

    /// <summary>Local backend: the program to start; default this process's own `finetune`.</summary>
    public string? Executable { get; set; }
    /// <summary>Local backend: arguments before the verb (e.g. the path of finetune.dll when Executable is dotnet).</summary>
    public List<string> ExecutableArguments { get; set; } = [];

    /// <summary>Container Apps: /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.App/jobs/{job}.</summary>
    public string? ContainerAppsJobResourceId { get; set; }
    public string? ContainerImage { get; set; }
    public string ContainerName { get; set; } = "trainer";
    public string ArmApiVersion { get; set; } = "2025-01-01";

    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        switch (Backend.ToLowerInvariant())
        {
            case "local":
                break;
            case "containerapps":
                if (string.IsNullOrWhiteSpace(ContainerAppsJobResourceId)) problems.Add("Pipeline:Training:ContainerAppsJobResourceId is required for the containerapps backend");
                if (string.IsNullOrWhiteSpace(ContainerImage)) problems.Add("Pipeline:Training:ContainerImage is required for the containerapps backend");
                break;
            default:
                problems.Add($"Pipeline:Training:Backend must be local or containerapps, not \"{Backend}\"");
                break;
        }
        return problems;
    }
}
