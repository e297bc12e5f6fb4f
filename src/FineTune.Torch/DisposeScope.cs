namespace FineTune.Torch;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost scope, and frees them on
/// Dispose: one scope per training or generation step. Results that must outlive the scope are moved
/// out explicitly (<see cref="MoveToOuter"/>, <see cref="Escape"/>). Parameters never belong to a scope.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly DisposeScope? _outer;
    private readonly List<Tensor> _tensors = new();
    private bool _disposed;

    private DisposeScope(DisposeScope? outer) => _outer = outer;

    /// <summary>The innermost open scope of this thread, if any.</summary>
    public static DisposeScope? Current => _current;

    public static DisposeScope Begin() => _current = new DisposeScope(_current);

    internal void Register(Tensor t)
    {
        _tensors.Add(t);
        t.Scope = this;
    }

    /// <summary>Hands the tensor to the enclosing scope (or to nobody, when this is the outermost).</summary>
    public Tensor MoveToOuter(Tensor tensor)
    {
        if (tensor.Scope != this) throw new InvalidOperationException("the tensor does not belong to this scope");
        tensor.Scope = null;
        _outer?.Register(tensor);
        return tensor;
    }

    /// <summary>Takes the tensor out of every scope: the caller now owns it and must dispose it.</summary>
    public static Tensor Escape(Tensor tensor)
    {
        tensor.Scope = null;
        return tensor;
    }

    public int Count => _tensors.Count(t => t.Scope == this);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors)
            if (t.Scope == this) t.Dispose();
        _tensors.Clear();
        if (_current == this) _current = _outer;
    }
}
