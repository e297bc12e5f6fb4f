using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;
using FineTune.Pipeline;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;

namespace FineTune.Host.Tests;

public sealed class EventGridTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        var options = TestHost.FastOptions();
        options.ScanInterval = TimeSpan.Zero; // only Event Grid starts jobs here
        _host = await TestHost.StartAsync(options: options);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task SubscriptionValidation_Returns200WithTheCode()
    {
        var payload = """
            [{"id":"2d1781af-3a4c-4d7c-bd0c-e34b19da4e66","topic":"/subscriptions/x","subject":"",
              "data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6","validationUrl":"https://rp-eastus2.eventgrid.azure.net/x"},
              "eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2026-11-21T05:00:00Z","metadataVersion":"1","dataVersion":"2"}]
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/eventgrid") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.Add("aeg-event-type", "SubscriptionValidation");
        using var response = await _host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", body["validationResponse"]!.GetValue<string>());
    }

    [Fact]
    public async Task BlobCreated_ForUploads_StartsTheBlobVersionsJobOnce()
    {
        var blob = await _host.Storage.Blobs.UploadTextAsync(Containers.Uploads, "eg/data.jsonl", ChatData.Valid());
        var payload = $$"""
            [{"topic":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/acct",
              "subject":"/blobServices/default/containers/uploads/blobs/eg/data.jsonl",
              "eventType":"Microsoft.Storage.BlobCreated","id":"1","eventTime":"2026-11-21T05:00:00Z",
              "data":{"api":"PutBlob","eTag":"{{blob.BareETag}}","contentType":"application/jsonl","contentLength":{{blob.Length}},
                      "blobType":"BlockBlob","url":"https://acct.blob.core.windows.net/uploads/eg/data.jsonl","sequencer":"1"},
              "dataVersion":"","metadataVersion":"1"},
             {"topic":"t","subject":"/blobServices/default/containers/models/blobs/x.bin","eventType":"Microsoft.Storage.BlobCreated",
              "id":"2","eventTime":"2026-11-21T05:00:00Z","data":{"eTag":"0x1","url":"u"},"dataVersion":"","metadataVersion":"1"}]
            """;
        using var first = await _host.Client.PostAsync("/api/eventgrid", new StringContent(payload, Encoding.UTF8, "application/json"));
        using var again = await _host.Client.PostAsync("/api/eventgrid", new StringContent(payload, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var id = JobPaths.IdFor(Containers.Uploads, "eg/data.jsonl", blob.ETag);
        Assert.Equal(id, (await first.Content.ReadFromJsonAsync<JsonObject>())!["jobs"]![0]!.GetValue<string>());
        var status = await _host.WaitForStatusAsync(id);
        Assert.Equal("Failed", TestHost.Status(status));
        Assert.Single((await ((JobStore)_host.Services.GetService(typeof(JobStore))!).ListAsync()));
    }
}
