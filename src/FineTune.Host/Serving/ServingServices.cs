using FineTune.Host.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Serving;

/// <summary>
/// Registers OpenAI-compatible serving in <see cref="FineTuneHost.Build"/>'s configure callback:
/// <c>FineTuneHost.Build(settings, b =&gt; b.Services.AddFineTuneServing(options))</c>. Loads the base model now, so a bad
/// --model fails start-up rather than the first request.
/// </summary>
public static class ServingServices
{
    public static IServiceCollection AddFineTuneServing(this IServiceCollection services, ServingOptions options)
    {
        var problems = options.Check();
        if (problems.Count > 0) throw new InvalidOperationException("invalid serving options: " + string.Join("; ", problems));
        var served = new ServedModel(options.ResolvedBaseModelId, options.ModelDirectory);
        services.AddSingleton(options);
        services.AddSingleton(_ => served); // a factory, so the container disposes the model at shutdown
        services.TryAddSingleton(TimeProvider.System);
        if (options.AdaptersDirectory is { } dir)
            services.AddSingleton<IAdapterCatalog>(sp => new FolderAdapterCatalog(dir, time: null, served,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<FolderAdapterCatalog>()));
        // Deployments published by the pipeline's Deploy stage (deployments/*.json) are registered here by DeploymentSync.
        services.AddSingleton<DeploymentCatalog>();
        services.AddSingleton<IAdapterCatalog>(sp => sp.GetRequiredService<DeploymentCatalog>());
        services.AddSingleton<DeploymentSync>();
        services.AddHostedService(sp => sp.GetRequiredService<DeploymentSync>());
        services.AddSingleton<ModelResolver>();
        services.AddSingleton<GenerationWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<GenerationWorker>());
        services.AddSingleton<IEndpointGroup, ChatCompletionEndpoints>();
        return services;
    }
}
