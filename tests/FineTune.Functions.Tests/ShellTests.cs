using System.Collections.Immutable;
using FineTune.Pipeline;
using FineTune.Pipeline.Activities;
using FineTune.Pipeline.Jobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FineTune.Functions.Tests;

public sealed class ShellTests
{
    [Fact]
    public async Task Cleanup_shell_builds_the_activity_from_the_function_services_and_runs_it()
    {
        using var temp = new TempDir();
        var jobFolder = WorkFolder.For(temp.Path, "job-1");
        Directory.CreateDirectory(Path.Combine(jobFolder, "prepare-x"));
        var services = new ServiceCollection()
            .AddLogging() // the worker always has it: the shell logs what an activity throws
            .AddSingleton(Options.Create(new PipelineOptions { WorkDirectory = temp.Path }))
            .BuildServiceProvider();

        var done = await Activities.Cleanup("job-1", new FakeFunctionContext(services));

        Assert.True(done);
        Assert.False(Directory.Exists(jobFolder));
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true", null, null, "UseDevelopmentStorage=true")]
    [InlineData(null, "https://acct.blob.core.windows.net/", null, "https://acct.blob.core.windows.net/")]
    [InlineData(null, null, "acct", "https://acct.blob.core.windows.net")]
    public void Storage_setting_is_the_connection_string_or_the_identity_based_blob_endpoint(string? connection, string? blobUri, string? account, string expected)
    {
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = connection,
            ["AzureWebJobsStorage:blobServiceUri"] = blobUri,
            ["AzureWebJobsStorage:accountName"] = account,
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values.Where(v => v.Value is not null)).Build();
        Assert.Equal(expected, FunctionsSettings.StorageSetting(configuration));
    }

    [Fact]
    public void Storage_setting_missing_says_what_to_set()
    {
        var e = Assert.Throws<InvalidOperationException>(() => FunctionsSettings.StorageSetting(new ConfigurationBuilder().Build()));
        Assert.Contains("AzureWebJobsStorage__blobServiceUri", e.Message);
    }

    [Theory]
    [InlineData("uploads/a/x.jsonl", "uploads", "a/x.jsonl")]
    [InlineData("/datasets/x.jsonl", "datasets", "x.jsonl")]
    [InlineData("x.jsonl", "uploads", "x.jsonl")]
    [InlineData("other/x.jsonl", "uploads", "other/x.jsonl")]
    public void Blob_names_split_into_container_and_name(string blob, string container, string name) =>
        Assert.Equal((container, name), Jobs.SplitBlob(blob));

    [Theory]
    [InlineData(JobControl.Result.Done, 202)]
    [InlineData(JobControl.Result.NotFound, 404)]
    [InlineData(JobControl.Result.NotRunning, 410)]
    [InlineData(JobControl.Result.NotWaiting, 409)]
    public void Control_results_map_to_http_statuses(JobControl.Result result, int status) =>
        Assert.Equal(status, (int)Jobs.StatusOf(result));

    private sealed class FakeFunctionContext(IServiceProvider services) : FunctionContext
    {
        public override string InvocationId { get; } = Guid.NewGuid().ToString("N");
        public override string FunctionId => "CleanupActivity";
        public override TraceContext TraceContext => throw new NotSupportedException();
        public override BindingContext BindingContext => throw new NotSupportedException();
        public override RetryContext RetryContext => throw new NotSupportedException();
        public override IServiceProvider InstanceServices { get; set; } = services;
        public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();
        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
        public override IInvocationFeatures Features => throw new NotSupportedException();
    }
}
