using FineTune.Models.Generation;
using FineTune.Models.Tests.Transformer;
using FineTune.Models.Transformer;

namespace FineTune.Models.Tests.Generation;

public class GeneratorTests : IDisposable
{
    private readonly string _dir = TinyModels.Write("qwen2", seed: 9, std: 0.3);
    private readonly DecoderModel _model;

    public GeneratorTests() => _model = ModelLoader.Load(_dir);

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_dir, true);
    }

    private static readonly int[][] Prompts = [[5, 17, 99, 3, 250, 7], [42, 8], [300, 301, 302, 9]];

    [Fact]
    public void Greedy_WithCache_EqualsWithoutCache()
    {
        var gen = new Generator(_model);
        var options = new SamplingOptions { MaxNewTokens = 12 };
        var cached = gen.Generate(Prompts, options, useCache: true);
        var uncached = gen.Generate(Prompts, options, useCache: false);
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(12, cached[i].Tokens.Length);
            Assert.Equal(uncached[i].Tokens, cached[i].Tokens);
        }
        // not degenerate: the model does not emit one token forever
        Assert.True(cached.SelectMany(r => r.Tokens).Distinct().Count() > 3);
    }

    [Fact]
    public void Batched_LeftPaddedPrompts_GenerateAsEachAlone()
    {
        var gen = new Generator(_model);
        var options = new SamplingOptions { MaxNewTokens = 10 };
        var batched = gen.Generate(Prompts, options);
        for (int i = 0; i < Prompts.Length; i++)
            Assert.Equal(gen.Generate([Prompts[i]], options)[0].Tokens, batched[i].Tokens);
    }

    [Fact]
    public void Sampling_IsReproducibleWithSeed_AndTopK1IsGreedy()
    {
        var gen = new Generator(_model);
        var sample = new SamplingOptions { MaxNewTokens = 15, Temperature = 1.5, TopP = 0.95, Seed = 7 };
        var a = gen.Generate(Prompts, sample);
        var b = gen.Generate(Prompts, sample);
        Assert.Equal(a.Select(r => r.Tokens), b.Select(r => r.Tokens));
        var c = gen.Generate(Prompts, sample with { Seed = 8 });
        Assert.NotEqual(a.SelectMany(r => r.Tokens), c.SelectMany(r => r.Tokens));
        var greedy = gen.Generate(Prompts, new SamplingOptions { MaxNewTokens = 15 });
        var topK1 = gen.Generate(Prompts, sample with { TopK = 1 });
        Assert.Equal(greedy.Select(r => r.Tokens), topK1.Select(r => r.Tokens));
    }

    [Fact]
    public void Eos_AndStopPredicate_EndSequences()
    {
        var gen = new Generator(_model);
        var free = gen.Generate([Prompts[0]], new SamplingOptions { MaxNewTokens = 8 })[0];
        Assert.Equal(FinishReason.Length, free.FinishReason);
        // declare the 4th generated token an eos id: generation stops before it
        var eos = free.Tokens[3];
        var stopped = gen.Generate([Prompts[0]], new SamplingOptions { MaxNewTokens = 8, EosTokenIds = [eos] })[0];
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(free.Tokens.TakeWhile(t => t != eos), stopped.Tokens);
        var streamed = new List<int>();
        var byPredicate = gen.Generate([Prompts[0]], new SamplingOptions { MaxNewTokens = 8 },
            shouldStop: (_, toks) => toks.Count == 2, onToken: (_, t) => streamed.Add(t))[0];
        Assert.Equal(free.Tokens.Take(2), byPredicate.Tokens);
        Assert.Equal(byPredicate.Tokens, streamed);
    }

    [Fact]
    public void Greedy_RepetitionPenalty_DividesPositiveAndMultipliesNegativeScoresOfSeenTokens()
    {
        Assert.Equal(1, TokenSampler.Greedy([2.0f, 1.5f, -1f], [0], 2));      // 2.0 / 2 = 1.0 < 1.5
        Assert.Equal(0, TokenSampler.Greedy([2.0f, 1.5f, -1f], [2], 2));      // unseen winner stays
        Assert.Equal(1, TokenSampler.Greedy([-0.5f, -0.6f], [0], 2));         // -0.5 * 2 = -1.0 < -0.6
        Assert.Equal(0, TokenSampler.Greedy([-0.5f, -0.6f], [0], 1));
    }

    [Fact]
    public void Sampling_WithRepetitionPenalty_IsReproducible_AndDiffersFromWithout()
    {
        var gen = new Generator(_model);
        var sample = new SamplingOptions { MaxNewTokens = 12, Temperature = 1.0, Seed = 3, RepetitionPenalty = 5 };
        var a = gen.Generate(Prompts, sample);
        Assert.Equal(a.Select(r => r.Tokens), gen.Generate(Prompts, sample).Select(r => r.Tokens));
        Assert.NotEqual(a.SelectMany(r => r.Tokens), gen.Generate(Prompts, sample with { RepetitionPenalty = 1 }).SelectMany(r => r.Tokens));
    }

    [Fact]
    public void Sampling_Batched_GeneratesAsEachAloneWithItsSeed()
    {
        var gen = new Generator(_model);
        var sample = new SamplingOptions { MaxNewTokens = 10, Temperature = 1.2, TopK = 40, TopP = 0.9, Seed = 11 };
        var batched = gen.Generate(Prompts, sample);
        for (int i = 0; i < Prompts.Length; i++)   // sequence i draws from seed + i
            Assert.Equal(gen.Generate([Prompts[i]], sample with { Seed = 11 + (ulong)i })[0].Tokens, batched[i].Tokens);
    }

    [Fact]
    public void Options_OutOfRange_Throw()
    {
        var gen = new Generator(_model);
        Assert.Throws<ArgumentOutOfRangeException>(() => gen.Generate(Prompts, new SamplingOptions { TopP = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => gen.Generate(Prompts, new SamplingOptions { MaxNewTokens = 0 }));
        Assert.Throws<ArgumentException>(() => gen.Generate(Prompts, new SamplingOptions { MaxNewTokens = 600 }));
    }
}
