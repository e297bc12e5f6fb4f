using FineTune.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FineTune.Host.WebConsole; // not "…Console": that would hide System.Console from everything in FineTune.Host

/// <summary>
/// The web console `finetune serve` shows at <c>/</c>: its pages (one HTML shell, routed in the browser), its static
/// files under <c>/console/</c> (embedded in this assembly: nothing from a CDN, no build step), and the few read-only
/// helpers the public job API lacks (<see cref="ConsoleApi"/>). Pages and files need no API key and hold no secret;
/// everything they show comes from the API, called with the key the user enters when the host requires one.
/// </summary>
public static class ConsoleEndpoints
{
    /// <summary>The browser routes that return the console's HTML shell (deep links work after a reload).</summary>
    public static IReadOnlyList<string> Pages { get; } = ["/", "/jobs", "/jobs/{id}", "/new", "/check", "/models", "/playground"];

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder endpoints)
    {
        var assets = ConsoleAssets.FromAssembly();
        foreach (var page in Pages)
            endpoints.MapGet(page, (HttpContext http) => assets.WriteAsync(http, ConsoleAssets.IndexFile)).WithMetadata(NoApiKey.Instance);
        endpoints.MapGet("/console/{**file}", (HttpContext http, string file) => assets.WriteAsync(http, file)).WithMetadata(NoApiKey.Instance);
        endpoints.MapConsoleApi();
        return endpoints;
    }
}
