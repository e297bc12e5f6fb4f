using System.Threading.Channels;
using FineTune.Models.Generation;
using FineTune.Models.Tokenization;

namespace FineTune.Host.Serving;

/// <summary>How a request's generation ended, with OpenAI's usage counts.</summary>
public sealed record GenerationOutcome(string Text, string FinishReason, int PromptTokens, int CompletionTokens);

/// <summary>
/// One chat request inside the <see cref="GenerationWorker"/>: its prompt, limits and sampling, the text it has
/// produced so far (decoded token by token, stop sequences applied) and the channel its text deltas stream through.
/// The worker thread calls <see cref="OnToken"/>, <see cref="ShouldStop"/> and <see cref="Complete"/>; the request's
/// handler reads <see cref="Deltas"/> and awaits <see cref="Outcome"/>.
/// </summary>
public sealed class GenerationJob
{
    private readonly Channel<string> _deltas = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<GenerationOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StreamingDecoder _decoder;
    private readonly StopStringFilter _filter;
    private volatile bool _cancelled;

    public GenerationJob(AdapterEntry? adapter, int[] promptIds, int maxTokens, SamplingOptions sampling, IReadOnlyList<string> stop, Tokenizer tokenizer)
    {
        Adapter = adapter;
        PromptIds = promptIds;
        MaxTokens = maxTokens;
        Sampling = sampling;
        _decoder = tokenizer.CreateStreamingDecoder(skipSpecial: true);
        _filter = new StopStringFilter(stop);
    }

    /// <summary>The adapter to run with; null for the base model.</summary>
    public AdapterEntry? Adapter { get; }
    public int[] PromptIds { get; }
    public int MaxTokens { get; }
    /// <summary>Temperature, top_p, seed, penalties and logit bias (the worker sets MaxNewTokens to <see cref="MaxTokens"/>).</summary>
    public SamplingOptions Sampling { get; }
    public int CompletionTokens { get; private set; }
    public bool Cancelled => _cancelled;

    public ChannelReader<string> Deltas => _deltas.Reader;
    public Task<GenerationOutcome> Outcome => _outcome.Task;

    /// <summary>The client went away: the worker ends this sequence at its next token (or skips it if queued).</summary>
    public void Cancel() => _cancelled = true;

    public void OnToken(int id)
    {
        CompletionTokens++;
        Emit(_filter.Push(_decoder.Append(id)));
    }

    public bool ShouldStop => _filter.Stopped || CompletionTokens >= MaxTokens || _cancelled;

    public void Complete(FinishReason reason)
    {
        Emit(_filter.Push(_decoder.Flush()));
        Emit(_filter.Finish());
        var finish = _filter.Stopped || (reason == FinishReason.Stop && CompletionTokens < MaxTokens) ? "stop" : "length";
        _deltas.Writer.TryComplete();
        _outcome.TrySetResult(new GenerationOutcome(_filter.Text, finish, PromptIds.Length, CompletionTokens));
    }

    public void Fail(Exception error)
    {
        _deltas.Writer.TryComplete(error);
        _outcome.TrySetException(error);
    }

    private void Emit(string text)
    {
        if (text.Length > 0) _deltas.Writer.TryWrite(text);
    }
}
