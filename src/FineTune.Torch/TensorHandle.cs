using System.Runtime.InteropServices;

namespace FineTune.Torch;

/// <summary>Owns one native <c>at::Tensor*</c>. Counts live handles so tests can prove nothing leaks.</summary>
internal sealed class TensorHandle : SafeHandle
{
    private static long _live;

    public TensorHandle(nint handle) : base(0, ownsHandle: true)
    {
        SetHandle(handle);
        Interlocked.Increment(ref _live);
    }

    /// <summary>Native tensor handles not yet freed, in this process.</summary>
    public static long Live => Interlocked.Read(ref _live);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        Native.ft_free(handle);
        Interlocked.Decrement(ref _live);
        return true;
    }
}
