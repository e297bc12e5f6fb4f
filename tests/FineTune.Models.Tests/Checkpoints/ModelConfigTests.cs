using FineTune.Models.Checkpoints;

namespace FineTune.Models.Tests.Checkpoints;

public class ModelConfigTests
{
    // https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/blob/main/config.json
    internal const string Qwen25Config = """
        {
          "architectures": ["Qwen2ForCausalLM"],
          "attention_dropout": 0.0,
          "bos_token_id": 151643,
          "eos_token_id": 151645,
          "hidden_act": "silu",
          "hidden_size": 896,
          "initializer_range": 0.02,
          "intermediate_size": 4864,
          "max_position_embeddings": 32768,
          "max_window_layers": 21,
          "model_type": "qwen2",
          "num_attention_heads": 14,
          "num_hidden_layers": 24,
          "num_key_value_heads": 2,
          "rms_norm_eps": 1e-06,
          "rope_theta": 1000000.0,
          "sliding_window": 32768,
          "tie_word_embeddings": true,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.43.1",
          "use_cache": true,
          "use_sliding_window": false,
          "vocab_size": 151936
        }
        """;

    // https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct/blob/main/config.json
    internal const string Llama32Config = """
        {
          "architectures": ["LlamaForCausalLM"],
          "attention_bias": false,
          "attention_dropout": 0.0,
          "bos_token_id": 128000,
          "eos_token_id": [128001, 128008, 128009],
          "head_dim": 64,
          "hidden_act": "silu",
          "hidden_size": 2048,
          "initializer_range": 0.02,
          "intermediate_size": 8192,
          "max_position_embeddings": 131072,
          "mlp_bias": false,
          "model_type": "llama",
          "num_attention_heads": 32,
          "num_hidden_layers": 16,
          "num_key_value_heads": 8,
          "pretraining_tp": 1,
          "rms_norm_eps": 1e-05,
          "rope_scaling": {
            "factor": 32.0,
            "high_freq_factor": 4.0,
            "low_freq_factor": 1.0,
            "original_max_position_embeddings": 8192,
            "rope_type": "llama3"
          },
          "rope_theta": 500000.0,
          "tie_word_embeddings": true,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.45.0.dev0",
          "use_cache": true,
          "vocab_size": 128256
        }
        """;

    // https://huggingface.co/TinyLlama/TinyLlama-1.1B-Chat-v1.0/blob/main/config.json
    private const string TinyLlamaConfig = """
        {"architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
         "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 5632, "max_position_embeddings": 2048,
         "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 22, "num_key_value_heads": 4,
         "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "rope_theta": 10000.0,
         "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.35.0", "use_cache": true,
         "vocab_size": 32000}
        """;

    [Fact]
    public void Parse_Qwen25Config_DerivesHeadDimGqaAndQkvBias()
    {
        var c = ModelConfigJson.Parse(Qwen25Config);
        Assert.Equal(ModelFamily.Qwen2, c.Family);
        Assert.Equal(64, c.HeadDim); // 896 / 14
        Assert.Equal(7, c.QueryGroupSize);
        Assert.Equal(128, c.KvProjSize);
        Assert.True(c.QkvBias);
        Assert.False(c.OutputProjBias);
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal([151645], c.EosTokenIds);
        Assert.Equal(1e-6, c.RmsNormEps);
        Assert.Null(c.RopeScaling);
        Assert.Equal("bfloat16", c.TorchDtype);
        Assert.Equal(ModelPresets.Qwen25_05B, c);
    }

    [Fact]
    public void Parse_Llama32Config_ReadsRopeScalingAndEosList()
    {
        var c = ModelConfigJson.Parse(Llama32Config);
        Assert.Equal(ModelFamily.Llama, c.Family);
        Assert.Equal(new Llama3RopeScaling(32.0, 1.0, 4.0, 8192), c.RopeScaling);
        Assert.Equal([128001, 128008, 128009], c.EosTokenIds);
        Assert.Equal(4, c.QueryGroupSize);
        Assert.False(c.QkvBias || c.OutputProjBias || c.MlpBias);
        Assert.Equal(128000, c.BosTokenId);
    }

    [Fact]
    public void Parse_TinyLlamaConfig_NullRopeScalingAndDefaultHeadDim()
    {
        var c = ModelConfigJson.Parse(TinyLlamaConfig);
        Assert.Null(c.RopeScaling);
        Assert.Equal(64, c.HeadDim);
        Assert.Equal(4, c.NumKeyValueHeads);
        Assert.Equal([2], c.EosTokenIds);
    }

    [Fact]
    public void Parse_LlamaAttentionBias_SetsQkvAndOutputBias()
    {
        var c = ModelConfigJson.Parse(TinyLlamaConfig.Replace("\"pretraining_tp\": 1", "\"pretraining_tp\": 1, \"attention_bias\": true, \"mlp_bias\": true"));
        Assert.True(c.QkvBias && c.OutputProjBias && c.MlpBias);
    }

    [Theory]
    [InlineData("\"model_type\": \"llama\"", "\"model_type\": \"mistral\"", "model_type 'mistral'")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}", "rope_scaling type 'yarn'")]
    [InlineData("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "hidden_act 'gelu'")]
    [InlineData("\"pretraining_tp\": 1", "\"pretraining_tp\": 2", "pretraining_tp 2")]
    [InlineData("\"num_key_value_heads\": 4", "\"num_key_value_heads\": 5", "not a multiple of num_key_value_heads 5")]
    [InlineData("\"hidden_size\": 2048", "\"hidden_size\": 2050", "not divisible by num_attention_heads")]
    [InlineData("\"vocab_size\": 32000", "\"vocab_size\": 2", "is outside the vocabulary")]
    [InlineData("\"torch_dtype\": \"bfloat16\"", "\"torch_dtype\": \"int8\"", "torch_dtype 'int8'")]
    [InlineData("\"hidden_size\": 2048,", "", "hidden_size is missing")]
    public void Parse_UnsupportedOrInconsistentField_FailsNamingIt(string find, string replace, string expected)
    {
        Assert.Contains(find, TinyLlamaConfig);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelConfigJson.Parse(TinyLlamaConfig.Replace(find, replace)));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("\"hidden_size\": 2048", "\"hidden_size\": \"2048\"", "hidden_size must be an integer")]
    [InlineData("\"hidden_size\": 2048", "\"hidden_size\": 2048.5", "hidden_size must be an integer")]
    [InlineData("\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": \"small\"", "rms_norm_eps must be a number")]
    [InlineData("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": \"no\"", "tie_word_embeddings must be true or false")]
    [InlineData("\"model_type\": \"llama\"", "\"model_type\": 7", "model_type must be a string")]
    [InlineData("\"eos_token_id\": 2", "\"eos_token_id\": [2, \"x\"]", "eos_token_id must be an integer, a list of integers or null")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": 4", "rope_scaling must be an object or null")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": \"big\"}", "rope_scaling.factor must be a number")]
    public void Parse_FieldOfTheWrongType_FailsNamingItAndWhatItMustBe(string find, string replace, string expected)
    {
        Assert.Contains(find, TinyLlamaConfig);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelConfigJson.Parse(TinyLlamaConfig.Replace(find, replace)));
        Assert.Equal("config.json: " + expected, e.Message);
    }

    [Theory]
    [InlineData("{\"model_type\": ", "not valid JSON")]
    [InlineData("[1, 2]", "the top level must be an object")]
    [InlineData("null", "the top level must be an object")]
    public void Parse_NotAConfigObject_Fails(string json, string expected)
    {
        var e = Assert.Throws<CheckpointFormatException>(() => ModelConfigJson.Parse(json));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Parse_WholeNumbersWrittenAsFloats_AreAccepted()
    {
        var c = ModelConfigJson.Parse(TinyLlamaConfig.Replace("\"hidden_size\": 2048", "\"hidden_size\": 2048.0").Replace("\"eos_token_id\": 2", "\"eos_token_id\": 2.0"));
        Assert.Equal(2048, c.HiddenSize);
        Assert.Equal([2], c.EosTokenIds);
    }

    [Fact]
    public void ToJson_WritesEachFamilysFields_AndHuggingFacesNulls()
    {
        var llama = System.Text.Json.Nodes.JsonNode.Parse(ModelConfigJson.ToJson(ModelPresets.TinyLlama with { BosTokenId = null, RopeScaling = null }))!.AsObject();
        var qwen = System.Text.Json.Nodes.JsonNode.Parse(ModelConfigJson.ToJson(ModelPresets.TinyQwen2))!.AsObject();

        Assert.Equal(["architectures", "model_type"], llama.Select(p => p.Key).Take(2));
        Assert.True(llama.ContainsKey("bos_token_id") && llama["bos_token_id"] is null);
        Assert.True(llama.ContainsKey("rope_scaling") && llama["rope_scaling"] is null);
        Assert.True(llama.ContainsKey("attention_bias") && llama.ContainsKey("mlp_bias"));
        Assert.False(llama.ContainsKey("sliding_window") || llama.ContainsKey("use_sliding_window"));
        Assert.False(qwen.ContainsKey("attention_bias") || qwen.ContainsKey("mlp_bias"));
        Assert.False(qwen["use_sliding_window"]!.GetValue<bool>());
        Assert.Equal(511, qwen["eos_token_id"]!.GetValue<int>()); // one id: a number, not a list
        foreach (var readOnly in new[] { "dtype", "pretraining_tp", "quantization_config" })
            Assert.False(llama.ContainsKey(readOnly) || qwen.ContainsKey(readOnly), readOnly);
        var keys = llama.Select(p => p.Key).Skip(2).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys); // after the first two, in Hugging Face's sorted order
    }

    [Fact]
    public void Parse_Qwen2WithSlidingWindowInUse_Fails()
    {
        var e = Assert.Throws<CheckpointFormatException>(() =>
            ModelConfigJson.Parse(Qwen25Config.Replace("\"use_sliding_window\": false", "\"use_sliding_window\": true")));
        Assert.Contains("sliding", e.Message);
    }

    [Fact]
    public void Parse_QuantizationConfig_Fails()
    {
        var e = Assert.Throws<CheckpointFormatException>(() =>
            ModelConfigJson.Parse(TinyLlamaConfig.Replace("\"use_cache\": true", "\"use_cache\": true, \"quantization_config\": {\"bits\": 4}")));
        Assert.Contains("quantization_config", e.Message);
    }

    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    [InlineData("qwen2.5-0.5b")]
    [InlineData("llama-3.2-1b")]
    public void ToJson_Preset_ParsesBackToTheSameConfig(string preset)
    {
        var config = ModelPresets.Get(preset);
        var back = ModelConfigJson.Parse(ModelConfigJson.ToJson(config));
        Assert.Equal(config, back);
    }

    [Fact]
    public void Save_ThenLoad_FromDirectory()
    {
        var dir = Directory.CreateTempSubdirectory("ft-config-").FullName;
        try
        {
            ModelConfigJson.Save(ModelPresets.TinyLlama, dir);
            var loaded = ModelConfigJson.Load(dir);
            Assert.Equal(ModelPresets.TinyLlama.RopeScaling, loaded.RopeScaling);
            Assert.Equal(ModelPresets.TinyLlama.HiddenSize, loaded.HiddenSize);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TinyPresets_UseTheTinyTokenizerSpecialIds()
    {
        Assert.Equal(512, ModelPresets.TinyQwen2.VocabSize);
        Assert.Equal([511], ModelPresets.TinyQwen2.EosTokenIds); // <|im_end|>
        Assert.Equal(507, ModelPresets.TinyLlama.BosTokenId);   // <|begin_of_text|>
        Assert.Equal([508, 511], ModelPresets.TinyLlama.EosTokenIds);
    }

    [Fact]
    public void Get_UnknownPreset_ListsKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelPresets.Get("gpt-5"));
        Assert.Contains("tiny-qwen2", e.Message);
    }
}
