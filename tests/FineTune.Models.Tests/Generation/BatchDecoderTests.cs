using FineTune.Models.Generation;
using FineTune.Models.Lora;
using FineTune.Models.Tests.Transformer;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Tests.Generation;

public class BatchDecoderTests : IDisposable
{
    private readonly string _dir = TinyModels.Write("qwen2", seed: 9, std: 0.3);
    private readonly DecoderModel _model;
    private readonly LoraAdapter[] _adapters;

    public BatchDecoderTests()
    {
        _model = ModelLoader.Load(_dir);
        // Three adapters with different ranks, targets and scalings; B random so each changes the outputs.
        LoraConfig[] configs =
        [
            new() { Rank = 4, Alpha = 8 },
            new() { Rank = 8, Alpha = 8, TargetModules = LoraConfig.ParseTargets("q,v") },
            new() { Rank = 2, Alpha = 4, UseRsLora = true },
        ];
        using var generator = new RandomGenerator(11, Device.Cpu);
        _adapters = configs.Select(c =>
        {
            var a = LoraAdapter.Create(_model, c, generator: generator);
            using var noGrad = LibTorch.NoGrad();
            foreach (var w in a.Modules.Values)
            {
                using var scope = DisposeScope.Begin();
                w.B.CopyFrom(Tensor.Randn(w.B.Shape, DType.Float32, Device.Cpu, generator) * 0.5);
            }
            return a;
        }).ToArray();
    }

    public void Dispose()
    {
        foreach (var a in _adapters) a.Dispose();
        _model.Dispose();
        Directory.Delete(_dir, true);
    }

    private static readonly int[][] Prompts = [[5, 17, 99, 3, 250, 7], [42, 8], [300, 301, 302, 9], [11], [77, 78, 79, 80, 81, 82, 83, 84, 85]];

    /// <summary>Runs the sequences through one decoder: each added when <paramref name="joinAtStep"/> says and a slot is free.</summary>
    private List<int[]> Run(AdapterStack stack, IReadOnlyList<DecodeSequence> sequences, int slots, int[] joinAtStep)
    {
        using var decoder = new BatchDecoder(_model, slots, []) { Adapters = stack };
        int next = 0, step = 0;
        while (next < sequences.Count || decoder.Count > 0)
        {
            while (next < sequences.Count && joinAtStep[next] <= step && decoder.HasRoom) Assert.True(decoder.Add(sequences[next++]));
            decoder.Step();
            foreach (var done in decoder.Running.Where(s => s.Finish is not null).ToList()) decoder.Remove(done);
            step++;
        }
        AdapterStack.DetachFrom(_model);
        return sequences.Select(s => s.Generated.ToArray()).ToList();
    }

    [Fact]
    public void Greedy_MixedAdaptersLengthsAndJoiners_EachEqualsAlone_AndTheSingleAdapterGenerator()
    {
        using var stack = new AdapterStack(_model, _adapters);
        LoraAdapter?[] uses = [null, _adapters[0], _adapters[1], _adapters[2], _adapters[0]];
        int[] maxTokens = [9, 12, 7, 10, 8];
        DecodeSequence[] Make() => Prompts.Select((p, i) => new DecodeSequence(p, new SamplingOptions { MaxNewTokens = maxTokens[i] }, uses[i])).ToArray();

        var alone = Make().Select(s => Run(stack, [s], 1, [0])[0]).ToArray();
        // Three slots for five sequences: two join mid-way, as slots free up; one joins at step 3 while others decode.
        var mixed = Run(stack, Make(), 3, [0, 0, 3, 4, 4]);
        // All five at once: one prefill forward over prompts of 1 to 9 tokens (right-padded), then one decode forward.
        var together = Run(stack, Make(), 5, [0, 0, 0, 0, 0]);
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(maxTokens[i], alone[i].Length);
            Assert.Equal(alone[i], mixed[i]);
            Assert.Equal(alone[i], together[i]);
        }

        // The stacked adapters compute what each adapter alone on the model computes (Generator, one adapter attached).
        for (int i = 0; i < Prompts.Length; i++)
        {
            if (uses[i] is { } a) a.AttachTo(_model);
            else LoraAdapter.RemoveFrom(_model);
            var reference = new Generator(_model).Generate([Prompts[i]], new SamplingOptions { MaxNewTokens = maxTokens[i] })[0].Tokens;
            LoraAdapter.RemoveFrom(_model);
            Assert.Equal(reference, alone[i]);
        }

        // The adapters matter: one prompt through the base and each adapter gives four different outputs.
        var perAdapter = new LoraAdapter?[] { null }.Concat(_adapters)
            .Select(a => Run(stack, [new DecodeSequence(Prompts[0], new SamplingOptions { MaxNewTokens = 10 }, a)], 1, [0])[0])
            .Select(t => string.Join(",", t)).Distinct().Count();
        Assert.Equal(4, perAdapter);
    }

    /// <summary>
    /// Two sequences end at once in slots 0 and 2 of 4, and two newcomers take those slots in the same step: both are
    /// prefilled in one forward beside the decode forward of the two still running, and every sequence generates what
    /// it generates alone.
    /// </summary>
    [Fact]
    public void NewcomersInScatteredSlots_ArePrefilledInOneForward_AndEachEqualsAlone()
    {
        using var stack = new AdapterStack(_model, _adapters);
        int[][] prompts = [Prompts[0], Prompts[1], Prompts[2], Prompts[3], Prompts[4], Prompts[0]];
        int[] maxTokens = [3, 10, 3, 10, 6, 5];
        LoraAdapter?[] uses = [_adapters[0], null, _adapters[1], _adapters[2], _adapters[1], null];
        DecodeSequence[] Make() => prompts.Select((p, i) => new DecodeSequence(p, new SamplingOptions { MaxNewTokens = maxTokens[i] }, uses[i])).ToArray();
        var alone = Make().Select(s => Run(stack, [s], 1, [0])[0]).ToArray();

        var sequences = Make();
        using (var decoder = new BatchDecoder(_model, 4, []) { Adapters = stack })
        {
            for (int i = 0; i < 4; i++) Assert.True(decoder.Add(sequences[i]));
            bool joined = false;
            for (int step = 0; step < 100; step++)
            {
                foreach (var done in decoder.Running.Where(s => s.Finish is not null).ToList()) decoder.Remove(done);
                if (!joined && decoder.Count == 2)
                {
                    Assert.True(decoder.Add(sequences[4]));
                    Assert.True(decoder.Add(sequences[5]));
                    Assert.Equal([0, 2], new[] { sequences[4].Slot, sequences[5].Slot });   // not adjacent
                    long before = decoder.Forwards;
                    decoder.Step();
                    Assert.Equal(2, decoder.Forwards - before);                               // one prefill for both, one decode
                    joined = true;
                    continue;
                }
                if (decoder.Count == 0) break;
                decoder.Step();
            }
            Assert.True(joined);
            Assert.Equal(0, decoder.Count);
        }
        AdapterStack.DetachFrom(_model);
        for (int i = 0; i < sequences.Length; i++)
        {
            Assert.Equal(maxTokens[i], alone[i].Length);
            Assert.Equal(alone[i], sequences[i].Generated.ToArray());
        }
    }

    [Fact]
    public void Sampled_WithSeed_IsTheSameAloneAndInABatch()
    {
        using var stack = new AdapterStack(_model, _adapters);
        DecodeSequence[] Make() => Prompts.Select((p, i) => new DecodeSequence(p,
            new SamplingOptions { MaxNewTokens = 10, Temperature = 1.3, TopP = 0.9, Seed = (ulong)(100 + i) }, _adapters[i % 3])).ToArray();
        var alone = Make().Select(s => Run(stack, [s], 1, [0])[0]).ToArray();
        var mixed = Run(stack, Make(), 4, [0, 1, 1, 2, 2]);
        Assert.Equal(alone, mixed);
    }

    [Fact]
    public void Eos_EndsASequence_WithoutTheEosToken()
    {
        using var stack = new AdapterStack(_model, []);
        var free = Run(stack, [new DecodeSequence(Prompts[0], new SamplingOptions { MaxNewTokens = 8 })], 1, [0])[0];
        using var decoder = new BatchDecoder(_model, 2, [free[3]]) { Adapters = stack };
        var seq = new DecodeSequence(Prompts[0], new SamplingOptions { MaxNewTokens = 8 });
        decoder.Add(seq);
        while (seq.Finish is null) decoder.Step();
        Assert.Equal(FinishReason.Stop, seq.Finish);
        Assert.Equal(free.TakeWhile(t => t != free[3]), seq.Generated);
    }

    [Fact]
    public void FrequencyPresenceAndLogitBias_MatchAManagedReference_AndChangeTheOutput()
    {
        var options = new SamplingOptions
        {
            MaxNewTokens = 14, FrequencyPenalty = 1.5, PresencePenalty = 0.7,
            LogitBias = new Dictionary<int, double> { [13] = 3.0, [200] = -100, [42] = 0.5 },
        };
        using var stack = new AdapterStack(_model, _adapters);
        // In a batch with a plain greedy row and another adapter, so penalties stay per row.
        var seqs = new[]
        {
            new DecodeSequence(Prompts[1], options, _adapters[0]),
            new DecodeSequence(Prompts[0], new SamplingOptions { MaxNewTokens = 14 }, _adapters[1]),
        };
        var got = Run(stack, seqs, 2, [0, 0])[0];

        // Reference: uncached full forwards, penalties applied to a managed copy of the logits, argmax.
        _adapters[0].AttachTo(_model);
        var ids = Prompts[1].ToList();
        var expected = new List<int>();
        var counts = new Dictionary<int, int>();
        using (LibTorch.NoGrad())
            for (int step = 0; step < options.MaxNewTokens; step++)
            {
                using var scope = DisposeScope.Begin();
                var logits = _model.Forward(Tensor.From(ids.Select(t => (long)t).ToArray(), 1, ids.Count)).Select(1, ids.Count - 1).ToArray<float>();
                foreach (var (id, b) in options.LogitBias) logits[id] += (float)b;
                foreach (var (id, c) in counts) logits[id] -= (float)(c * options.FrequencyPenalty + options.PresencePenalty);
                int next = TokenSampler.ArgMax(logits);
                expected.Add(next);
                ids.Add(next);
                counts[next] = counts.GetValueOrDefault(next) + 1;
            }
        LoraAdapter.RemoveFrom(_model);
        Assert.Equal(expected, got);
        Assert.DoesNotContain(200, got);

        var plain = Run(stack, [new DecodeSequence(Prompts[1], new SamplingOptions { MaxNewTokens = 14 }, _adapters[0])], 1, [0])[0];
        Assert.NotEqual(plain, got);
    }

    [Fact]
    public void LogitBias_OutsideTheVocabulary_AndPenaltiesOutOfRange_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions { FrequencyPenalty = 2.5 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions { PresencePenalty = -3 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions { LogitBias = new Dictionary<int, double> { [1] = 101 } }.Validate());
        Assert.Throws<ArgumentException>(() => new Generator(_model).Generate([[1, 2]], new SamplingOptions { PresencePenalty = 1 }));
    }
}
