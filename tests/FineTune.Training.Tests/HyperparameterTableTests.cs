using System.Reflection;
using System.Text.Json;
using H = FineTune.Training.HyperparameterTable;

namespace FineTune.Training.Tests;

/// <summary>The one definition of the hyperparameters, and what derives from it: the manifest parser, the JSON, the messages.</summary>
public class HyperparameterTableTests
{
    private static HyperparameterOverrides Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return HyperparameterOverrides.Parse(doc.RootElement);
    }

    [Fact]
    public void Table_HasOneRowPerProperty_NamedAsItsSnakeCase_ThatReadsAndWritesIt()
    {
        var properties = typeof(Hyperparameters).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        Assert.Equal(properties.Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).Order(), H.All.Select(d => d.Name).Order());
        Assert.Equal(17, H.All.Count);
        Assert.Equal(H.All.Count, H.All.Select(d => d.Option).Distinct().Count());
        foreach (var d in H.All)
        {
            var property = properties.Single(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == d.Name);
            Assert.Equal(property.GetValue(new Hyperparameters()), d.Get(new Hyperparameters()));
            // a value different from the default goes into that property and no other
            object other = d.Get(new Hyperparameters()) switch
            {
                double v => v + 0.01, int v => v + 1, ulong v => v + 1, bool v => !v, string => "cosine", _ => (IReadOnlyList<string>)["q_proj"],
            };
            var set = d.Set(new Hyperparameters(), other);
            Assert.Equal(other, property.GetValue(set));
            Assert.Equal(other, d.Get(set));
            Assert.Equal(new Hyperparameters(), d.Set(set, d.Get(new Hyperparameters())) with { LoraTargets = new Hyperparameters().LoraTargets });
        }
    }

    [Fact]
    public void Parse_TakesSnakeCamelKebabAndTheAliases()
    {
        var h = Parse("""{"lr": 0.01, "batchSize": 4, "r": 16, "lora-alpha": 32, "targets": "q,v", "use_rs_lora": true, "seed": 7, "scheduler": "cosine"}""")
            .ApplyTo(Hyperparameters.Preset("standard"));
        Assert.Equal((0.01, 4, 16, 32.0, true, 7UL, "cosine"), (h.LearningRate, h.BatchSize, h.LoraRank, h.LoraAlpha, h.UseRsLora, h.Seed, h.Scheduler));
        Assert.Equal(["q_proj", "v_proj"], h.LoraTargets);
        Assert.Equal(3, h.Epochs); // not set: the preset's
    }

    [Fact]
    public void Parse_UnknownKey_NamesItAndListsTheKnownNames()
    {
        var e = Assert.Throws<ArgumentException>(() => Parse("""{"learning_rat": 0.1}"""));
        Assert.StartsWith("unknown hyperparameter 'learning_rat' (known: learning_rate, epochs, batch_size,", e.Message);
        Assert.Contains("packing)", e.Message);
    }

    [Theory]
    [InlineData("""{"epochs": 2.5}""", "hyperparameter epochs must be a whole number, not 2.5")]
    [InlineData("""{"lr": "fast"}""", "hyperparameter learning_rate must be a number, not \"fast\"")]
    [InlineData("""{"seed": -1}""", "hyperparameter seed must be a whole number ≥ 0, not -1")]
    [InlineData("""{"packing": "yes"}""", "hyperparameter packing must be true or false, not \"yes\"")]
    [InlineData("""{"scheduler": 3}""", "hyperparameter scheduler must be linear, cosine or constant, not 3")]
    [InlineData("""{"lr": 0.1, "learning_rate": 0.2}""", "hyperparameter learning_rate is given twice ('learning_rate' is another name for it)")]
    public void Parse_BadValue_SaysWhichAndWhatItMustBe(string json, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => Parse(json)).Message);

    [Fact]
    public void Validate_EveryRange_RejectsWithTheTablesOwnMessage()
    {
        foreach (var d in H.All.Where(d => d.Range is not null))
        {
            var above = d.Range!.Max + 1;
            object value = d.Kind == HyperparameterKind.Integer ? (object)(int)above : above;
            var h = d.Set(new Hyperparameters(), value);
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => h.Validate());
            Assert.Equal(d.Name, e.ParamName);
            Assert.StartsWith(d.Range.Describe(), e.Message);
            Assert.Contains($"{d.Name} must be in ", e.Message);
        }
        var s = Assert.Throws<ArgumentOutOfRangeException>(() => new Hyperparameters { Scheduler = "exponential" }.Validate());
        Assert.StartsWith("scheduler must be linear, cosine or constant, not \"exponential\"", s.Message);
    }

    [Fact]
    public void Describe_OffersExpertOnlyWhereItWidensTheRange()
    {
        Assert.Equal("learning_rate must be in (0, 0.1] (--expert widens the range)", H.LearningRate.Range!.Describe());
        Assert.Equal("learning_rate must be in (0, 1]", H.LearningRate.Range.Describe(expert: true));
        Assert.Equal("Learning rate, in (0, 0.1].", H.LearningRate.Help);
        Assert.Equal("Learning-rate schedule after warmup: linear, cosine or constant.", H.Scheduler.Help);
        Assert.Equal("--learning-rate", H.LearningRate.LongOption);
        Assert.Null(H.Epochs.LongOption);
    }

    [Fact]
    public void ManifestCheck_ReportsEveryKindOfProblem_AndNothingForAGoodOne()
    {
        Dictionary<string, JsonElement> Manifest(string json) => JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
        Assert.Empty(HyperparameterManifest.Check("quality", Manifest("""{"lr": 0.01, "loraRank": 32}""")));
        Assert.Equal(["unknown preset \"huge\" (known: standard, quality, fast)"], HyperparameterManifest.Check("huge", null));
        Assert.Equal(["epochs must be in [1, 10] (--expert widens the range)"], HyperparameterManifest.Check(null, Manifest("""{"epochs": 11}""")));
        Assert.Empty(HyperparameterManifest.Check(null, Manifest("""{"epochs": 11}"""), expert: true));
        Assert.StartsWith("unknown hyperparameter 'lora_rnak'", HyperparameterManifest.Check(null, Manifest("""{"lora_rnak": 4}""")).Single());
    }

    [Fact]
    public void Overrides_Json_IsSnakeCaseInTableOrder_AndReadsBack()
    {
        var overrides = new HyperparameterOverrides { { H.LoraTargets, ["q", "v"] }, { H.Epochs, 2 }, { H.LearningRate, 0.01 }, { H.Packing, true } };
        var json = JsonSerializer.Serialize(overrides, Contract.RunContractJson.Default.Options);
        Assert.Equal("""{"learning_rate":0.01,"epochs":2,"lora_targets":["q_proj","v_proj"],"packing":true}""", json);
        var back = JsonSerializer.Deserialize<HyperparameterOverrides>(json, Contract.RunContractJson.Default.Options)!;
        var expected = overrides.ApplyTo(new Hyperparameters());
        Assert.Equal(expected, back.ApplyTo(new Hyperparameters()) with { LoraTargets = expected.LoraTargets });
        Assert.Equal(["q_proj", "v_proj"], back.ApplyTo(new Hyperparameters()).LoraTargets);
        Assert.Equal(17, HyperparameterOverrides.Of(new Hyperparameters()).Count);
    }
}
