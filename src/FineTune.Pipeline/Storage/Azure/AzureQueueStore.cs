using System.Globalization;
using System.Security;
using System.Text;
using global::Azure.Core;
using global::Azure.Core.Pipeline;
using static FineTune.Pipeline.Storage.Azure.StorageRest;

namespace FineTune.Pipeline.Storage.Azure;

/// <summary>
/// The Queue service over REST (https://learn.microsoft.com/rest/api/storageservices/queue-service-rest-api).
/// Message text is sent base64-encoded, the encoding Functions queue triggers expect by default.
/// Visibility timeouts are whole seconds (rounded up; receive needs at least 1 s).
/// </summary>
public sealed class AzureQueueStore(Uri endpoint, HttpPipeline pipeline) : IQueueStore
{
    public async Task CreateQueueAsync(string queue, CancellationToken ct = default)
    {
        using var message = Create(pipeline, RequestMethod.Put, Combine(endpoint, queue));
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status is 201 or 204) return; // 204: exists already
        throw Failure(response, $"create queue {queue}");
    }

    public async Task SendAsync(string queue, string text, TimeSpan? initialDelay = null, CancellationToken ct = default)
    {
        var query = "messagettl=-1" + (initialDelay is { } delay && delay > TimeSpan.Zero ? $"&visibilitytimeout={Seconds(delay)}" : "");
        using var message = Create(pipeline, RequestMethod.Post, Combine(endpoint, $"{queue}/messages", query));
        SetBody(message.Request, text);
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status != 201) throw Failure(response, $"put message {queue}");
    }

    public async Task<IReadOnlyList<QueueMessage>> ReceiveAsync(string queue, int maxMessages, TimeSpan visibilityTimeout,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        var query = $"numofmessages={Math.Min(maxMessages, 32)}&visibilitytimeout={Math.Max(1, Seconds(visibilityTimeout))}";
        using var message = Create(pipeline, RequestMethod.Get, Combine(endpoint, $"{queue}/messages", query));
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status != 200) throw Failure(response, $"get messages {queue}");
        return Xml(response).Descendants("QueueMessage").Select(m => new QueueMessage(
            m.Element("MessageId")!.Value,
            m.Element("PopReceipt")!.Value,
            Decode(m.Element("MessageText")?.Value ?? ""),
            long.Parse(m.Element("DequeueCount")!.Value, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(m.Element("TimeNextVisible")!.Value, CultureInfo.InvariantCulture))).ToList();
    }

    public async Task<QueueMessage?> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout,
        CancellationToken ct = default)
    {
        var query = $"popreceipt={Uri.EscapeDataString(message.PopReceipt)}&visibilitytimeout={Seconds(visibilityTimeout)}";
        using var request = Create(pipeline, RequestMethod.Put, Combine(endpoint, $"{queue}/messages/{message.Id}", query));
        SetBody(request.Request, message.Text);
        var response = await SendRequestAsync(pipeline, request, ct);
        if (response.Status is 404 or 400) return null; // MessageNotFound / PopReceiptMismatch
        if (response.Status != 204) throw Failure(response, $"update message {queue}");
        var next = Header(response, "x-ms-time-next-visible") is { } t ? DateTimeOffset.Parse(t, CultureInfo.InvariantCulture) : DateTimeOffset.UtcNow + visibilityTimeout;
        return message with { PopReceipt = Header(response, "x-ms-popreceipt") ?? message.PopReceipt, NextVisibleOn = next };
    }

    public async Task<bool> DeleteAsync(string queue, QueueMessage message, CancellationToken ct = default)
    {
        var query = $"popreceipt={Uri.EscapeDataString(message.PopReceipt)}";
        using var request = Create(pipeline, RequestMethod.Delete, Combine(endpoint, $"{queue}/messages/{message.Id}", query));
        var response = await SendRequestAsync(pipeline, request, ct);
        if (response.Status == 204) return true;
        if (response.Status is 404 or 400) return false;
        throw Failure(response, $"delete message {queue}");
    }

    private static void SetBody(Request request, string text)
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        var xml = $"<QueueMessage><MessageText>{SecurityElement.Escape(encoded)}</MessageText></QueueMessage>";
        request.Headers.SetValue("Content-Type", "application/xml");
        request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(xml));
    }

    private static string Decode(string text)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            return text; // a message someone put without base64
        }
    }

    private static int Seconds(TimeSpan span) => (int)Math.Ceiling(Math.Max(0, span.TotalSeconds));
}
