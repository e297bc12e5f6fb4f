namespace FineTune.Torch;

/// <summary>
/// AdamW with decoupled weight decay, the update rule of torch.optim.AdamW (amsgrad off). The moment
/// tensors are ordinary tensors owned here, so they save and restore with the checkpoint
/// (<see cref="ExportState"/>, <see cref="ImportState"/>). The step runs in the native layer.
/// </summary>
public sealed unsafe class AdamW : IDisposable
{
    private readonly Tensor[] _params;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;

    public AdamW(IReadOnlyList<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
    {
        if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be >= 0");
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), $"betas ({beta1}, {beta2}) must be in [0, 1)");
        _params = parameters.ToArray();
        _expAvg = new Tensor[_params.Length];
        _expAvgSq = new Tensor[_params.Length];
        for (int i = 0; i < _params.Length; i++)
        {
            _expAvg[i] = DisposeScope.Escape(Tensor.Zeros(_params[i].Shape, _params[i].DType, _params[i].Device));
            _expAvgSq[i] = DisposeScope.Escape(Tensor.Zeros(_params[i].Shape, _params[i].DType, _params[i].Device));
        }
        LearningRate = lr;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
    }

    /// <summary>The rate of the next step; schedulers set it before each step.</summary>
    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>Steps taken so far (PyTorch's state["step"]).</summary>
    public long StepCount { get; private set; }

    public IReadOnlyList<Tensor> Parameters => _params;

    public void Step()
    {
        StepCount++;
        var n = _params.Length;
        var p = stackalloc nint[n];
        var m = stackalloc nint[n];
        var v = stackalloc nint[n];
        for (int i = 0; i < n; i++)
        {
            p[i] = _params[i].Handle;
            m[i] = _expAvg[i].Handle;
            v[i] = _expAvgSq[i].Handle;
        }
        Tensor.Check(Native.ft_adamw_step(p, m, v, n, LearningRate, Beta1, Beta2, Eps, WeightDecay, StepCount), $"AdamW.Step({StepCount})");
        GC.KeepAlive(this);
    }

    /// <summary>Drops every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _params) p.ZeroGrad();
    }

    /// <summary>The moments, named exp_avg.{i} / exp_avg_sq.{i} as in PyTorch's state dict; the caller must not dispose them.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> ExportState()
    {
        for (int i = 0; i < _params.Length; i++)
        {
            yield return ($"exp_avg.{i}", _expAvg[i]);
            yield return ($"exp_avg_sq.{i}", _expAvgSq[i]);
        }
    }

    /// <summary>Restores moments and step count saved by <see cref="ExportState"/>.</summary>
    public void ImportState(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        for (int i = 0; i < _params.Length; i++)
        {
            _expAvg[i].CopyFrom(Get(state, $"exp_avg.{i}", _expAvg[i]));
            _expAvgSq[i].CopyFrom(Get(state, $"exp_avg_sq.{i}", _expAvgSq[i]));
        }
        StepCount = stepCount;
    }

    private static Tensor Get(IReadOnlyDictionary<string, Tensor> state, string name, Tensor like)
    {
        if (!state.TryGetValue(name, out var t)) throw new InvalidDataException($"optimizer state lacks '{name}'");
        if (!t.Shape.SequenceEqual(like.Shape)) throw new InvalidDataException($"optimizer state '{name}' has shape [{string.Join(", ", t.Shape)}], the parameter [{string.Join(", ", like.Shape)}]");
        return t;
    }

    public void Dispose()
    {
        foreach (var t in _expAvg) t.Dispose();
        foreach (var t in _expAvgSq) t.Dispose();
    }
}
