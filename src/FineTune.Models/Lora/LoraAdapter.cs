using FineTune.Models.Checkpoints;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Lora;

/// <summary>
/// The LoRA matrices for every targeted projection of a model, keyed by module path. Created with
/// PEFT's initialisation (A kaiming-uniform a=√5, B zeros), saved and loaded in PEFT's format
/// (<c>adapter_model.safetensors</c> keys <c>base_model.model.{module}.lora_A.weight</c>), so PEFT, vLLM
/// and LLaMA-Factory read ours and we read theirs.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    public const string WeightsFileName = "adapter_model.safetensors";
    private const string Prefix = "base_model.model.";

    private readonly Dictionary<string, LoraWeights> _modules;

    private LoraAdapter(LoraConfig config, Dictionary<string, LoraWeights> modules)
    {
        Config = config;
        _modules = modules;
    }

    public LoraConfig Config { get; }
    /// <summary>The base it was trained on, saved as base_model.json beside it (null: unknown).</summary>
    public BaseModelIdentity? BaseModel { get; set; }
    public IReadOnlyDictionary<string, LoraWeights> Modules => _modules;

    /// <summary>Trainable tensors in a stable order (module path, then A before B).</summary>
    public IReadOnlyList<Tensor> Parameters =>
        _modules.OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => new[] { kv.Value.A, kv.Value.B }).ToArray();

    /// <summary>
    /// Fresh adapter for <paramref name="model"/>: float32 A ~ U(±1/√in) (kaiming-uniform, a=√5), B = 0, requiring grad.
    /// A is drawn from <paramref name="generator"/> (on its device, then moved to the model's), else from libtorch's
    /// default generator of the model's device.
    /// </summary>
    public static LoraAdapter Create(DecoderModel model, LoraConfig config, DType dtype = DType.Float32, RandomGenerator? generator = null)
    {
        config.Validate();
        var modules = new Dictionary<string, LoraWeights>(StringComparer.Ordinal);
        foreach (var lin in Targets(model, config))
        {
            using var scope = DisposeScope.Begin();
            double bound = 1.0 / Math.Sqrt(lin.InFeatures);
            var a = Tensor.Rand([config.Rank, lin.InFeatures], dtype, generator?.Device ?? model.Device, generator).To(model.Device).Mul(2 * bound).Sub(bound);
            var b = Tensor.Zeros([lin.OutFeatures, config.Rank], dtype, model.Device);
            modules[lin.Name] = new LoraWeights(
                DisposeScope.Escape(a).RequiresGrad_(), DisposeScope.Escape(b).RequiresGrad_(), config.Scaling, config.Dropout);
        }
        return new LoraAdapter(config, modules);
    }

    private static IEnumerable<LoraLinear> Targets(DecoderModel model, LoraConfig config) =>
        model.Linears().Where(l => config.TargetModules.Contains(l.Name[(l.Name.LastIndexOf('.') + 1)..]));

    /// <summary>Sets this adapter on every targeted layer of the model (and clears the others).</summary>
    public void AttachTo(DecoderModel model)
    {
        foreach (var lin in model.Linears())
            lin.Adapter = _modules.GetValueOrDefault(lin.Name);
    }

    public static void RemoveFrom(DecoderModel model)
    {
        foreach (var lin in model.Linears()) lin.Adapter = null;
    }

    /// <summary>PEFT's key for a module's A or B weight.</summary>
    public static string Key(string module, char ab) => $"{Prefix}{module}.lora_{ab}.weight";

    /// <summary>Writes adapter_config.json, adapter_model.safetensors and (when known) base_model.json into <paramref name="directory"/>.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var tensors = new List<SafetensorsTensor>();
        foreach (var (module, w) in _modules)
        {
            tensors.Add(WeightIO.ToSafetensors(Key(module, 'A'), w.A));
            tensors.Add(WeightIO.ToSafetensors(Key(module, 'B'), w.B));
        }
        SafetensorsWriter.Write(Path.Combine(directory, WeightsFileName), tensors);
        if (BaseModel is not null) BaseModel.Save(directory);
        else File.Delete(Path.Combine(directory, BaseModelIdentity.FileName));
        var tmp = Path.Combine(directory, LoraConfig.FileName + ".tmp");
        File.WriteAllText(tmp, Config.ToJson());
        File.Move(tmp, Path.Combine(directory, LoraConfig.FileName), overwrite: true);
    }

    /// <summary>
    /// Loads a PEFT adapter for <paramref name="model"/>: every targeted module must have both matrices with
    /// matching shapes, and no key may be left over. Weights go to the model's device in float32
    /// (or <paramref name="dtype"/>).
    /// </summary>
    public static LoraAdapter Load(string directory, DecoderModel model, DType dtype = DType.Float32, bool trainable = false)
    {
        var configPath = Path.Combine(directory, LoraConfig.FileName);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{directory} is not a LoRA adapter: {LoraConfig.FileName} is missing", configPath);
        var config = LoraConfig.Parse(File.ReadAllText(configPath), configPath);
        var weightsPath = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{directory}: {WeightsFileName} is missing", weightsPath);
        var raw = WeightIO.ReadAll(weightsPath);
        var modules = new Dictionary<string, LoraWeights>(StringComparer.Ordinal);
        try
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var lin in Targets(model, config))
            {
                Tensor Get(char ab, long[] shape)
                {
                    var key = Key(lin.Name, ab);
                    // PEFT also writes adapter-named keys (…lora_A.default.weight) in some versions.
                    var alt = $"{Prefix}{lin.Name}.lora_{ab}.default.weight";
                    var k = raw.ContainsKey(key) ? key : raw.ContainsKey(alt) ? alt
                        : throw new InvalidDataException($"{weightsPath}: '{key}' is missing (adapter targets {string.Join(", ", config.TargetModules)})");
                    used.Add(k);
                    var t = raw[k];
                    if (!t.Shape.SequenceEqual(shape))
                        throw new InvalidDataException($"{weightsPath}: '{k}' has shape [{string.Join(", ", t.Shape)}], the model needs [{string.Join(", ", shape)}] — is this adapter for another base model?");
                    var moved = DisposeScope.Escape(t.To(model.Device, dtype));
                    if (trainable) moved.RequiresGrad = true;
                    return moved;
                }
                modules[lin.Name] = new LoraWeights(Get('A', [config.Rank, lin.InFeatures]), Get('B', [lin.OutFeatures, config.Rank]), config.Scaling, config.Dropout);
            }
            var extra = raw.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
            if (extra.Count > 0)
                throw new InvalidDataException($"{weightsPath}: {extra.Count} key(s) match no targeted module of this model: {string.Join(", ", extra.Take(3))}");
            return new LoraAdapter(config, modules) { BaseModel = BaseModelIdentity.Read(directory) };
        }
        catch
        {
            foreach (var m in modules.Values) m.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in raw.Values) t.Dispose();
        }
    }

    /// <summary>Copies the values of <paramref name="source"/> into this adapter (for resume).</summary>
    public void CopyFrom(LoraAdapter source)
    {
        using var noGrad = LibTorch.NoGrad();
        foreach (var (k, w) in _modules)
        {
            w.A.CopyFrom(source._modules[k].A);
            w.B.CopyFrom(source._modules[k].B);
        }
    }

    public void Dispose()
    {
        foreach (var m in _modules.Values) m.Dispose();
    }
}
