using FineTune.Pipeline.Activities;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Runs;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline;

/// <summary>Registers the pipeline for any host: options, storage, the activities' services, and the triggers.</summary>
public static class PipelineServices
{
    /// <summary>
    /// Options from configuration ("Pipeline", "Pipeline:Training"), validated at start-up; the storage account; the services
    /// activities and the job API take. A Durable client (DurableTaskClient) must be registered by the host.
    /// </summary>
    public static IServiceCollection AddFineTunePipeline(this IServiceCollection services, StorageAccount storage, ITrainingBackend? backend = null)
    {
        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TrainingBackendOptions>().BindConfiguration(TrainingBackendOptions.Section)
            .Validate(o => o.Check().Count == 0, "invalid Pipeline:Training settings (Backend local or containerapps; containerapps needs ContainerAppsJobResourceId and ContainerImage)")
            .ValidateOnStart();
        services.AddOptions<DropFolderOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(storage);
        if (backend is not null) services.AddSingleton(backend);
        else services.TryAddSingleton<ITrainingBackend>(sp => CreateBackend(sp.GetRequiredService<IOptions<TrainingBackendOptions>>().Value, storage,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(), sp.GetRequiredService<IOptions<PipelineOptions>>().Value.LocalModels));
        services.AddSingleton<ManifestChecker>();
        services.AddSingleton<JobStarter>();
        services.AddSingleton<JobControl>();
        services.AddSingleton<SynthesisRunner>();
        return services;
    }

    /// <summary>The self-hosted triggers: the uploads scan, the local drop folders, and the training watchdog.</summary>
    public static IServiceCollection AddFineTuneTriggers(this IServiceCollection services)
    {
        services.AddHostedService<UploadsScanner>();
        services.AddHostedService<DropFolderSync>();
        services.AddHostedService<TrainingWatchdog>();
        return services;
    }

    /// <summary>
    /// The orchestration and its activities, for a Durable worker (self-hosted, or the in-memory test host). Each activity
    /// runs inside <see cref="LoggedActivity"/>, so what it throws is logged (with the stack when unexpected).
    /// </summary>
    public static DurableTaskRegistry AddFineTuneTasks(this DurableTaskRegistry registry) => registry
        .AddOrchestrator<FineTuneOrchestrator>()
        .AddLoggedActivity<ValidateActivity>()
        .AddLoggedActivity<PlanSynthesisActivity>()
        .AddLoggedActivity<SynthesizeBatchActivity>()
        .AddLoggedActivity<AssembleSynthesisActivity>()
        .AddLoggedActivity<PrepareActivity>()
        .AddLoggedActivity<StartRunActivity>()
        .AddLoggedActivity<GetRunProgressActivity>()
        .AddLoggedActivity<ReadGateActivity>()
        .AddLoggedActivity<DeployActivity>()
        .AddLoggedActivity<CancelRunActivity>()
        .AddLoggedActivity<CleanupActivity>();

    /// <summary>Registers <typeparamref name="TActivity"/> under its class name (what the orchestrator calls), wrapped in <see cref="LoggedActivity"/>.</summary>
    private static DurableTaskRegistry AddLoggedActivity<TActivity>(this DurableTaskRegistry registry) where TActivity : class, ITaskActivity
    {
        var name = typeof(TActivity).Name;
        return registry.AddActivity(name, services => new LoggedActivity(ActivatorUtilities.GetServiceOrCreateInstance<TActivity>(services), name,
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TActivity).FullName!)));
    }

    public static ITrainingBackend CreateBackend(TrainingBackendOptions training, StorageAccount storage,
        Microsoft.Extensions.Logging.ILoggerFactory? loggers = null, IReadOnlyDictionary<string, string>? localModels = null) =>
        training.Backend.ToLowerInvariant() switch
        {
            "containerapps" => new ContainerAppsJobBackend(training,
                ContainerAppsJobBackend.CreatePipeline(new Azure.Identity.DefaultAzureCredential()), new Uri("https://management.azure.com/"),
                storage.Service.Uri),
            _ => new LocalProcessTrainingBackend(training, storage,
                loggers?.CreateLogger<LocalProcessTrainingBackend>(), localModels),
        };
}
