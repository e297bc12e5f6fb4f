using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Stages;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace FineTune.Pipeline;

/// <summary>Registers storage, the job state machine, its stages, the queue workers and the drop-zone scanner.</summary>
public static class PipelineServices
{
    public static IServiceCollection AddFineTunePipeline(this IServiceCollection services, StorageAccount storage, PipelineOptions options,
        ITrainingBackend? backend = null, bool runBackgroundServices = true)
    {
        var problems = options.Check();
        if (problems.Count > 0) throw new InvalidOperationException("invalid pipeline options: " + string.Join("; ", problems));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(storage);
        services.AddSingleton(options);
        services.AddSingleton(backend ?? new NotConfiguredTrainingBackend());
        services.AddSingleton<WorkerSignal>();
        services.AddSingleton(sp => new JobStore(storage.Blobs, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<JobStarter>();
        services.AddSingleton<JobControl>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<IJobStage, ValidateStage>();
        services.AddSingleton<IJobStage, SynthesizeStage>();
        services.AddSingleton<IJobStage, PrepareStage>();
        services.AddSingleton<IJobStage, TrainStage>();
        services.AddSingleton<IJobStage, EvaluateStage>();
        services.AddSingleton<IJobStage, DeployStage>();
        services.AddSingleton<DropZoneScanner>();
        if (runBackgroundServices)
        {
            services.AddHostedService<JobWorker>();
            services.AddHostedService(sp => sp.GetRequiredService<DropZoneScanner>());
            services.AddHostedService<TrainingWatchdog>();
        }
        return services;
    }
}
