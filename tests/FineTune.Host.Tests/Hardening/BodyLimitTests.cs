using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;
using FineTune.Models.Checkpoints;
using FineTune.Models.Transformer;
using FineTune.Tests.Support;
using Xunit.Abstractions;

namespace FineTune.Host.Tests.Hardening;

/// <summary>
/// A real `finetune serve --model` (child process): a 300 MB body to /v1/chat/completions or /api/jobs, with a
/// Content-Length or chunked, is refused with 413 in the route's error shape, and the host's peak resident memory
/// (VmHWM in /proc/PID/status) grows by far less than one body.
/// </summary>
public sealed class BodyLimitTests(ITestOutputHelper output)
{
    private const long BodyBytes = 300L << 20;
    private const long AllowedGrowthBytes = 100L << 20;

    [Fact]
    public async Task OversizedBodies_Are413InTheRoutesShape_AndHostMemoryStaysFlat()
    {
        var dir = RepoPaths.NewTempDirectory("body-limits");
        var model = Path.Combine(dir, "tiny-model");
        ModelFolder.Create(model, ModelPresets.TinyQwen2, seed: 3);
        using var serve = await ServeProcess.StartAsync(dir, new Dictionary<string, string>(), TimeSpan.FromSeconds(120),
            arguments: ["--model", model]);
        try
        {
            var server = new Uri(serve.Url);
            // Warm up both routes with bodies they take (JIT, Kestrel, the JSON readers) before the baseline.
            using (var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) })
            {
                using var chat = await http.PostAsync("/v1/chat/completions", new StringContent("""{"model":"tiny-model","messages":[]}"""));
                Assert.Equal(HttpStatusCode.BadRequest, chat.StatusCode);
                using var job = await http.PostAsync("/api/jobs", new StringContent("""{"blob":"uploads/none.jsonl"}""", System.Text.Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.NotFound, job.StatusCode);
            }
            var baseline = PeakResidentBytes(serve.Id);

            foreach (var chunked in new[] { false, true })
            {
                var chat = await RawHttp.PostAsync(server, "/v1/chat/completions", """{"model":"tiny-model","messages":[{"role":"user","content":" """,
                    BodyBytes, chunked, TimeSpan.FromSeconds(60));
                Assert.Equal(413, chat.Status);
                var error = JsonNode.Parse(chat.Body)!["error"]!.AsObject();
                Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
                Assert.Equal("request_too_large", error["code"]!.GetValue<string>());
                Assert.Contains("Limits:ChatRequestBytes", error["message"]!.GetValue<string>());
                Assert.True(error.ContainsKey("param"));

                var job = await RawHttp.PostAsync(server, "/api/jobs", """{"blob":" """, BodyBytes, chunked, TimeSpan.FromSeconds(60));
                Assert.Equal(413, job.Status);
                Assert.StartsWith("application/problem+json", job.Headers["Content-Type"]);
                var problem = JsonNode.Parse(job.Body)!;
                Assert.Equal(413, problem["status"]!.GetValue<int>());
                Assert.Contains("Limits:ApiRequestBytes", problem["detail"]!.GetValue<string>());
            }

            var growth = PeakResidentBytes(serve.Id) - baseline;
            output.WriteLine($"serve peak resident set: {baseline >> 20} MiB before, +{growth >> 20} MiB after four {BodyBytes >> 20} MiB bodies");
            Assert.True(growth < AllowedGrowthBytes,
                $"the host's peak resident memory grew by {growth >> 20} MiB taking four {BodyBytes >> 20} MiB bodies (allowed: {AllowedGrowthBytes >> 20} MiB)");
            Assert.False(serve.HasExited);
        }
        finally
        {
            serve.Kill();
            JobList.RemoveTree(dir);
        }
    }

    [Fact]
    public async Task UploadsOverTheirOwnLimits_Are413ProblemDetails_NamingTheSetting()
    {
        await using var host = await TestHost.StartAsync(values: new Dictionary<string, string>
        {
            ["Limits:UploadBytes"] = "65536",
            ["Limits:ConsoleUploadBytes"] = "65536",
        });
        var server = new Uri(host.BaseUrl);
        const string boundary = "b0undary";
        var cases = new (string Path, string ContentType, string Prefix, bool Chunked, string Setting)[]
        {
            ("/api/jobs", $"multipart/form-data; boundary={boundary}",
                $"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.jsonl\"\r\n\r\n", false, "Limits:UploadBytes"),
            ("/api/jobs", $"multipart/form-data; boundary={boundary}",
                $"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.jsonl\"\r\n\r\n", true, "Limits:UploadBytes"),
            // A record whose content runs on: the validator must read it all (format detection stops early on what is not JSON).
            ("/api/validate?name=big.jsonl", "application/octet-stream", """{"messages":[{"role":"user","content":" """, true, "Limits:ConsoleUploadBytes"),
            ("/api/datasets?name=big.jsonl", "application/octet-stream", """{"messages":[{"role":"user","content":" """, false, "Limits:ConsoleUploadBytes"),
        };
        foreach (var (path, type, prefix, chunked, setting) in cases)
        {
            var response = await RawHttp.PostAsync(server, path, prefix, 1L << 20, chunked, TimeSpan.FromSeconds(30), type);
            Assert.True(response.Status == 413, $"{path} (chunked: {chunked}): {response.Status} {response.Body}");
            Assert.Contains(setting, JsonNode.Parse(response.Body)!["detail"]!.GetValue<string>());
        }
        using var small = await host.Client.PostAsync("/api/validate?name=small.jsonl", new StringContent(ChatData.Valid(4)));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
    }

    /// <summary>VmHWM: the process's peak resident set so far.</summary>
    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
