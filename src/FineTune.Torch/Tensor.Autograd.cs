namespace FineTune.Torch;

// Autograd: leaves that require grad, backward, gradients, detach.
public sealed unsafe partial class Tensor
{
    public bool RequiresGrad
    {
        get => Native.ft_requires_grad(Handle) != 0;
        set => Check(Native.ft_set_requires_grad(Handle, value ? 1 : 0), $"RequiresGrad = {value}", this);
    }

    /// <summary>Sets requires_grad and returns this tensor, for chaining.</summary>
    public Tensor RequiresGrad_(bool on = true)
    {
        RequiresGrad = on;
        return this;
    }

    /// <summary>Backpropagates from this tensor: a scalar, or any tensor with <paramref name="gradient"/> of its shape.</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) =>
        Check(Native.ft_backward(Handle, gradient?.Handle ?? 0, retainGraph ? 1 : 0), "Backward", this, gradient);

    /// <summary>The accumulated gradient, or null before any backward reached this leaf. The result is a new handle the caller owns.</summary>
    public Tensor? Grad
    {
        get
        {
            nint g;
            Check(Native.ft_grad(Handle, &g), "Grad", this);
            return g == 0 ? null : new Tensor(g);
        }
    }

    /// <summary>Drops the gradient (as PyTorch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad() => Check(Native.ft_zero_grad(Handle), "ZeroGrad", this);

    /// <summary>The same data, cut from the autograd graph.</summary>
    public Tensor Detach() => Wrap(Native.ft_detach(Handle), "Detach", this);
}
