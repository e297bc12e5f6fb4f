using System.Reflection;
using System.Text.Json;
using FineTune.Pipeline;
using FineTune.Pipeline.Orchestration;
using Microsoft.DurableTask;

namespace FineTune.Functions.Tests;

/// <summary>
/// The functions.metadata the Worker.Sdk generates at build time (what the Functions host indexes; publish copies the same
/// file): one function per activity class, named as the class (the orchestrator calls activities by those names), the
/// orchestrator, the uploads trigger and the job API, each with the binding types the host needs.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly string[] JobApi = ["StartJob", "ListJobs", "ApproveJob", "RejectJob", "TerminateJob"];

    private static string MetadataPath() =>
        typeof(FunctionsMetadataTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "FunctionsMetadata").Value!;

    private static Dictionary<string, JsonElement> Functions()
    {
        var path = MetadataPath();
        Assert.True(File.Exists(path), $"no functions.metadata at {path}: build src/FineTune.Functions in this configuration");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.Clone());
    }

    private static List<JsonElement> Bindings(JsonElement function) => function.GetProperty("bindings").EnumerateArray().ToList();

    private static List<string> BindingTypes(JsonElement function) =>
        Bindings(function).Select(b => b.GetProperty("type").GetString()!).ToList();

    /// <summary>Every concrete TaskActivity&lt;,&gt; of FineTune.Pipeline (what AddFineTuneTasks registers).</summary>
    public static IReadOnlyList<Type> ActivityTypes() => typeof(PipelineServices).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && DerivesFromActivity(t))
        .OrderBy(t => t.Name).ToList();

    private static bool DerivesFromActivity(Type type)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(TaskActivity<,>)) return true;
        return false;
    }

    [Fact]
    public void Function_names_are_the_orchestrator_every_activity_and_the_triggers()
    {
        var activities = ActivityTypes().Select(t => t.Name).ToList();
        Assert.True(activities.Count >= 10, $"found only {activities.Count} activities: {string.Join(", ", activities)}");
        var expected = activities.Append(nameof(FineTuneOrchestrator)).Append("UploadsBlobTrigger").Concat(JobApi).Order().ToList();
        Assert.Equal(expected, Functions().Keys.Order().ToList());
    }

    [Fact]
    public void Activities_have_an_activity_trigger_and_the_orchestrator_an_orchestration_trigger()
    {
        var functions = Functions();
        foreach (var activity in ActivityTypes())
            Assert.Equal(["activityTrigger"], BindingTypes(functions[activity.Name]));
        Assert.Equal(["orchestrationTrigger"], BindingTypes(functions[nameof(FineTuneOrchestrator)]));
    }

    [Fact]
    public void Uploads_trigger_is_an_event_grid_blob_trigger_with_a_durable_client()
    {
        var function = Functions()["UploadsBlobTrigger"];
        Assert.Equal(["blobTrigger", "durableClient"], BindingTypes(function));
        var trigger = Bindings(function)[0];
        Assert.Equal("uploads/{name}", trigger.GetProperty("path").GetString());
        Assert.Equal("EventGrid", trigger.GetProperty("source").GetString());
    }

    [Theory]
    [InlineData("StartJob", "post", "jobs")]
    [InlineData("ListJobs", "get", "jobs")]
    [InlineData("ApproveJob", "post", "jobs/{id}/approve")]
    [InlineData("RejectJob", "post", "jobs/{id}/reject")]
    [InlineData("TerminateJob", "post", "jobs/{id}/terminate")]
    public void Job_api_is_function_level_http_with_a_durable_client(string name, string method, string route)
    {
        var function = Functions()[name];
        Assert.Equal(["httpTrigger", "durableClient", "http"], BindingTypes(function));
        var trigger = Bindings(function)[0];
        Assert.Equal("Function", trigger.GetProperty("authLevel").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!).ToList());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
    }

    [Fact]
    public void Every_activity_shell_takes_the_activity_input_type()
    {
        // An activity function's trigger parameter must be the activity's TInput, or Durable hands it the wrong shape.
        var shells = typeof(Activities).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Select(m => (Method: m, Name: m.GetCustomAttribute<Microsoft.Azure.Functions.Worker.FunctionAttribute>()?.Name))
            .Where(s => s.Name is not null).ToDictionary(s => s.Name!, s => s.Method);
        foreach (var activity in ActivityTypes())
        {
            var args = activity.BaseType!.GetGenericArguments();
            var shell = shells[activity.Name];
            Assert.Equal(args[0], shell.GetParameters()[0].ParameterType);
            Assert.Equal(typeof(Task<>).MakeGenericType(args[1]), shell.ReturnType);
        }
    }
}
