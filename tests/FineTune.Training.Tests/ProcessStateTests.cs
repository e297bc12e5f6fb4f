using FineTune.Torch;
using H = FineTune.Training.HyperparameterTable;

namespace FineTune.Training.Tests;

/// <summary>Runs alone: it sets and reads libtorch's process-wide threads and generator.</summary>
[CollectionDefinition(nameof(ProcessStateTests), DisableParallelization = true)]
public class ProcessStateCollection;

/// <summary>The trainer changes process-wide settings only when its spec says so.</summary>
[Collection(nameof(ProcessStateTests))]
public class ProcessStateTests
{
    private static TrainingSpec Spec(TempDir dir, string model, string data, string output, bool seedGlobalRng) => new()
    {
        Model = model, Data = data, Output = dir[output], Expert = true, Device = "cpu", MaxSteps = 1, SeedGlobalRng = seedGlobalRng,
        Hyperparameters = new HyperparameterOverrides { { H.LearningRate, 1e-2 }, { H.Epochs, 1 }, { H.BatchSize, 4 }, { H.LoraRank, 4 }, { H.LoraDropout, 0 } },
    };

    private static async Task<byte[]> TrainOneStep(TrainingSpec spec, ulong processSeed)
    {
        LibTorch.ManualSeed(processSeed);
        using var trainer = new LoraTrainer(spec);
        await trainer.SetupAsync();
        var result = trainer.Train();
        return File.ReadAllBytes(Path.Combine(result.Adapter, "adapter_model.safetensors"));
    }

    [Fact]
    public async Task Setup_ThreadsUnset_LeavesTheProcessThreadCount()
    {
        using var dir = new TempDir();
        var model = TestModels.Tiny(dir, "qwen2");
        var data = TestModels.WriteJsonl(dir, "train.jsonl", TestModels.QaPairs(8));
        int before = LibTorch.Threads;
        try
        {
            LibTorch.Threads = 1;
            using (var trainer = new LoraTrainer(Spec(dir, model, data, "a", seedGlobalRng: true)))
                await trainer.SetupAsync();
            Assert.Equal(1, LibTorch.Threads);
            using (var trainer = new LoraTrainer(Spec(dir, model, data, "b", seedGlobalRng: true) with { Threads = 2 }))
                await trainer.SetupAsync();
            Assert.Equal(2, LibTorch.Threads);
        }
        finally
        {
            LibTorch.Threads = before;
        }
    }

    [Fact]
    public async Task SeedGlobalRng_On_RunIgnoresTheProcessSeed_Off_RunFollowsIt()
    {
        using var dir = new TempDir();
        var model = TestModels.Tiny(dir, "qwen2");
        var data = TestModels.WriteJsonl(dir, "train.jsonl", TestModels.QaPairs(8));
        // On (the default): the trainer seeds the generator with hyperparameters.seed, so the adapter is the same
        // whatever the process had seeded.
        Assert.Equal(await TrainOneStep(Spec(dir, model, data, "on-1", seedGlobalRng: true), 1),
            await TrainOneStep(Spec(dir, model, data, "on-2", seedGlobalRng: true), 2));
        // Off: the caller's seed decides the initial A.
        var off1 = await TrainOneStep(Spec(dir, model, data, "off-1", seedGlobalRng: false), 1);
        Assert.Equal(off1, await TrainOneStep(Spec(dir, model, data, "off-1b", seedGlobalRng: false), 1));
        Assert.NotEqual(off1, await TrainOneStep(Spec(dir, model, data, "off-2", seedGlobalRng: false), 2));
    }
}
