namespace FineTune.Torch;

// Elementwise math with broadcasting, linear algebra, reductions. Operators allocate a new tensor
// each: open a DisposeScope around expressions.
public sealed unsafe partial class Tensor
{
    // Op codes of native/ft_ops.cpp.
    private enum BinaryOp { Add, Sub, Mul, Div, Pow, Max, Min, Eq, Ne, Lt, Le, Gt, Ge, And, Or, RSub }
    private enum UnaryOp { Neg, Sqrt, Rsqrt, Exp, Log, Tanh, Sigmoid, Silu, Relu, Abs, Cos, Sin, Gelu, Not, Square, Reciprocal, Floor, IsNan }

    private Tensor Binary(Tensor other, BinaryOp op) => Wrap(Native.ft_binary(Handle, other.Handle, (int)op), op.ToString(), this, other);
    private Tensor Binary(double s, BinaryOp op) => Wrap(Native.ft_binary_scalar(Handle, s, (int)op), $"{op}(scalar {s})", this);
    private Tensor Unary(UnaryOp op) => Wrap(Native.ft_unary(Handle, (int)op), op.ToString(), this);

    public Tensor Add(Tensor other) => Binary(other, BinaryOp.Add);
    public Tensor Add(double s) => Binary(s, BinaryOp.Add);
    public Tensor Sub(Tensor other) => Binary(other, BinaryOp.Sub);
    public Tensor Sub(double s) => Binary(s, BinaryOp.Sub);
    public Tensor Mul(Tensor other) => Binary(other, BinaryOp.Mul);
    public Tensor Mul(double s) => Binary(s, BinaryOp.Mul);
    public Tensor Div(Tensor other) => Binary(other, BinaryOp.Div);
    public Tensor Div(double s) => Binary(s, BinaryOp.Div);
    public Tensor Pow(Tensor exponent) => Binary(exponent, BinaryOp.Pow);
    public Tensor Pow(double exponent) => Binary(exponent, BinaryOp.Pow);
    public Tensor Maximum(Tensor other) => Binary(other, BinaryOp.Max);
    public Tensor Minimum(Tensor other) => Binary(other, BinaryOp.Min);
    public Tensor Eq(Tensor other) => Binary(other, BinaryOp.Eq);
    public Tensor Eq(double s) => Binary(s, BinaryOp.Eq);
    public Tensor Ne(Tensor other) => Binary(other, BinaryOp.Ne);
    public Tensor Ne(double s) => Binary(s, BinaryOp.Ne);
    public Tensor Lt(Tensor other) => Binary(other, BinaryOp.Lt);
    public Tensor Lt(double s) => Binary(s, BinaryOp.Lt);
    public Tensor Le(Tensor other) => Binary(other, BinaryOp.Le);
    public Tensor Le(double s) => Binary(s, BinaryOp.Le);
    public Tensor Gt(Tensor other) => Binary(other, BinaryOp.Gt);
    public Tensor Gt(double s) => Binary(s, BinaryOp.Gt);
    public Tensor Ge(Tensor other) => Binary(other, BinaryOp.Ge);
    public Tensor Ge(double s) => Binary(s, BinaryOp.Ge);
    public Tensor LogicalAnd(Tensor other) => Binary(other, BinaryOp.And);
    public Tensor LogicalOr(Tensor other) => Binary(other, BinaryOp.Or);
    public Tensor LogicalNot() => Unary(UnaryOp.Not);

    public Tensor Neg() => Unary(UnaryOp.Neg);
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor Exp() => Unary(UnaryOp.Exp);
    public Tensor Log() => Unary(UnaryOp.Log);
    public Tensor Tanh() => Unary(UnaryOp.Tanh);
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor Silu() => Unary(UnaryOp.Silu);
    public Tensor Relu() => Unary(UnaryOp.Relu);
    public Tensor Gelu() => Unary(UnaryOp.Gelu);
    public Tensor Abs() => Unary(UnaryOp.Abs);
    public Tensor Cos() => Unary(UnaryOp.Cos);
    public Tensor Sin() => Unary(UnaryOp.Sin);
    public Tensor Square() => Unary(UnaryOp.Square);
    public Tensor Reciprocal() => Unary(UnaryOp.Reciprocal);
    public Tensor Floor() => Unary(UnaryOp.Floor);
    public Tensor IsNan() => Unary(UnaryOp.IsNan);

    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator +(Tensor a, double s) => a.Add(s);
    public static Tensor operator +(double s, Tensor a) => a.Add(s);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator -(Tensor a, double s) => a.Sub(s);
    public static Tensor operator -(double s, Tensor a) => a.Binary(s, BinaryOp.RSub);
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);
    public static Tensor operator *(double s, Tensor a) => a.Mul(s);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator /(Tensor a, double s) => a.Div(s);

    public Tensor Clamp(double? min = null, double? max = null) =>
        Wrap(Native.ft_clamp(Handle, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0), $"Clamp({min}, {max})", this);

    /// <summary>Elementwise <c>condition ? a : b</c>.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => Wrap(Native.ft_where(condition.Handle, a.Handle, b.Handle), "Where", condition, a, b);
    public Tensor MaskedFill(Tensor mask, double value) => Wrap(Native.ft_masked_fill(Handle, mask.Handle, value), $"MaskedFill({value})", this, mask);
    public Tensor Triu(long diagonal = 0) => Wrap(Native.ft_triu(Handle, diagonal), $"Triu({diagonal})", this);
    public Tensor Tril(long diagonal = 0) => Wrap(Native.ft_tril(Handle, diagonal), $"Tril({diagonal})", this);

    // ---- linear algebra ------------------------------------------------------------------------
    public Tensor MatMul(Tensor other) => Wrap(Native.ft_matmul(Handle, other.Handle), "MatMul", this, other);
    /// <summary>this = beta·this + alpha·(m1 @ m2), in place; this, m1 and m2 are 2-d. Recorded by autograd.</summary>
    public Tensor AddMmInPlace(Tensor m1, Tensor m2, double beta = 1, double alpha = 1)
    {
        Check(Native.ft_addmm_(Handle, m1.Handle, m2.Handle, beta, alpha), $"AddMmInPlace(beta {beta}, alpha {alpha})", this, m1, m2);
        return this;
    }

    public Tensor Outer(Tensor other) => Wrap(Native.ft_outer(Handle, other.Handle), "Outer", this, other);

    // ---- reductions ----------------------------------------------------------------------------
    private Tensor Reduce(delegate*<nint, long*, int, int, nint> f, string op, long[] dims, bool keepDim)
    {
        fixed (long* d = dims)
            return Wrap(f(Handle, d, dims.Length, keepDim ? 1 : 0), $"{op}([{string.Join(", ", dims)}], keepDim {keepDim})", this);
    }

    /// <summary>Sum of all elements (0-d).</summary>
    public Tensor Sum() => Reduce(&Native.ft_sum, "Sum", [], false);
    public Tensor Sum(long dim, bool keepDim = false) => Reduce(&Native.ft_sum, "Sum", [dim], keepDim);
    public Tensor Sum(long[] dims, bool keepDim = false) => Reduce(&Native.ft_sum, "Sum", dims, keepDim);
    public Tensor Mean() => Reduce(&Native.ft_mean, "Mean", [], false);
    public Tensor Mean(long dim, bool keepDim = false) => Reduce(&Native.ft_mean, "Mean", [dim], keepDim);
    public Tensor Mean(long[] dims, bool keepDim = false) => Reduce(&Native.ft_mean, "Mean", dims, keepDim);
    public Tensor Max() => Wrap(Native.ft_max_all(Handle), "Max", this);

    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false)
    {
        nint v, i;
        Check(Native.ft_max_dim(Handle, dim, keepDim ? 1 : 0, &v, &i), $"Max({dim})", this);
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor ArgMax(long dim, bool keepDim = false) => Wrap(Native.ft_argmax(Handle, dim, keepDim ? 1 : 0), $"ArgMax({dim})", this);

    public (Tensor Values, Tensor Indices) TopK(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        nint v, i;
        Check(Native.ft_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, &v, &i), $"TopK({k}, {dim})", this);
        return (new Tensor(v), new Tensor(i));
    }

    public (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false)
    {
        nint v, i;
        Check(Native.ft_sort(Handle, dim, descending ? 1 : 0, &v, &i), $"Sort({dim})", this);
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor CumSum(long dim) => Wrap(Native.ft_cumsum(Handle, dim), $"CumSum({dim})", this);
    /// <summary>The p-norm of all elements (0-d); p = 2 is the Frobenius / L2 norm.</summary>
    public Tensor Norm(double p = 2) => Wrap(Native.ft_norm(Handle, p), $"Norm({p})", this);
    /// <summary>
    /// Samples <paramref name="samples"/> indices per row from the (unnormalized) probabilities, drawing from
    /// <paramref name="generator"/> (on this tensor's device) or libtorch's default generator.
    /// </summary>
    public Tensor Multinomial(long samples, bool replacement = false, RandomGenerator? generator = null) =>
        Wrap(Native.ft_multinomial(Handle, samples, replacement ? 1 : 0, generator?.Handle ?? 0), $"Multinomial({samples})", this).KeepAlive(generator);
    public Tensor Softmax(long dim) => Wrap(Native.ft_softmax(Handle, dim), $"Softmax({dim})", this);
    public Tensor LogSoftmax(long dim) => Wrap(Native.ft_log_softmax(Handle, dim), $"LogSoftmax({dim})", this);
}
