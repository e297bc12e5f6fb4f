using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace FineTune.Host.Jobs;

/// <summary>A small client of the job API (what `finetune jobs` uses); sends the key as x-functions-key when given.</summary>
public sealed class JobApiClient(HttpClient http, string? apiKey = null)
{
    /// <summary>Starts a job from a local file (and an optional manifest); returns the 202 body.</summary>
    /// <remarks>A host that is taking too many submissions answers 429 with Retry-After: the file is sent again then.</remarks>
    public Task<JsonObject> SubmitAsync(string dataFile, string? manifestFile, CancellationToken ct) => SendEachTimeAsync(HttpMethod.Post, "api/jobs", () =>
    {
        var form = new MultipartFormDataContent();
        if (manifestFile is not null)
            form.Add(new StreamContent(File.OpenRead(manifestFile)), "files", Path.GetFileName(manifestFile));
        var data = new StreamContent(File.OpenRead(dataFile));
        data.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(data, "files", Path.GetFileName(dataFile));
        return form;
    }, ct);

    public Task<JsonObject> StatusAsync(string id, bool history, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(id)}{(history ? "?showHistory=true" : "")}", null, ct);

    public async Task<JsonArray> ListAsync(string? runtimeStatus, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, "api/jobs" + (runtimeStatus is null ? "" : $"?runtimeStatus={Uri.EscapeDataString(runtimeStatus)}"), null);
        using var response = await http.SendAsync(request, ct);
        await EnsureAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<JsonArray>(ct))!;
    }

    public Task<JsonObject> RaiseEventAsync(string id, string eventName, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(id)}/raiseEvent/{Uri.EscapeDataString(eventName)}", null, ct);

    public Task<JsonObject> TerminateAsync(string id, string? reason, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(id)}/terminate" + (reason is null ? "" : $"?reason={Uri.EscapeDataString(reason)}"), null, ct);

    public Task<JsonObject> PurgeAsync(string id, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, $"api/jobs/{Uri.EscapeDataString(id)}", null, ct);

    /// <summary>Polls the status until the job finishes (HTTP 200), honouring Retry-After up to <paramref name="maxInterval"/>.</summary>
    public async Task<JsonObject> WaitAsync(string id, TimeSpan maxInterval, Action<JsonObject>? progress, CancellationToken ct)
    {
        while (true)
        {
            using var request = Request(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(id)}", null);
            using var response = await http.SendAsync(request, ct);
            await EnsureAsync(response, ct);
            var body = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!;
            if (response.StatusCode == HttpStatusCode.OK) return body;
            progress?.Invoke(body);
            var wait = response.Headers.RetryAfter?.Delta ?? maxInterval;
            await Task.Delay(wait < maxInterval ? wait : maxInterval, ct);
        }
    }

    private Task<JsonObject> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct) =>
        SendEachTimeAsync(method, path, () => content, ct);

    /// <summary>Sends the request, made anew by <paramref name="content"/> each time it is sent.</summary>
    private async Task<JsonObject> SendEachTimeAsync(HttpMethod method, string path, Func<HttpContent?> content, CancellationToken ct)
    {
        while (true)
        {
            using var request = Request(method, path, content());
            using var response = await http.SendAsync(request, ct);
            // A busy host says when to come back (429 + Retry-After): the request is sent again then, its content made anew.
            if (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter?.Delta is { } wait)
            {
                await Task.Delay(wait, ct);
                continue;
            }
            await EnsureAsync(response, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            return text.Length == 0 ? new JsonObject { ["status"] = (int)response.StatusCode } : JsonNode.Parse(text) as JsonObject ?? [];
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (apiKey is not null) request.Headers.Add("x-functions-key", apiKey);
        return request;
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if ((int)response.StatusCode < 400) return;
        var body = await response.Content.ReadAsStringAsync(ct);
        var detail = body.Length > 0 && JsonNode.Parse(body) is JsonObject problem ? problem["detail"]?.ToString() ?? problem["title"]?.ToString() : null;
        throw new JobApiException((int)response.StatusCode, $"HTTP {(int)response.StatusCode}: {detail ?? response.ReasonPhrase}");
    }
}

public sealed class JobApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
