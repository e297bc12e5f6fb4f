namespace FineTune.Torch;

/// <summary>A libtorch error surfaced in C#: names the operation, its inputs' shapes, and libtorch's message.</summary>
public sealed class TorchException(string message) : Exception(message)
{
    internal static TorchException From(string operation, ReadOnlySpan<Tensor?> inputs)
    {
        // Read the native message first: describing inputs calls into native code again.
        var native = Native.LastError();
        var described = new List<string>(inputs.Length);
        foreach (var t in inputs)
            described.Add(t is null ? "none" : t.Describe());
        return new TorchException($"{operation}({string.Join(", ", described)}) failed: {native}");
    }
}
