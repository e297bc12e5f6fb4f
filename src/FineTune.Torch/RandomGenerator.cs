using System.Runtime.InteropServices;

namespace FineTune.Torch;

/// <summary>
/// A libtorch random generator the caller owns (torch.Generator): random factories and draws that take one leave
/// libtorch's process-wide default generator alone. Every bit of the 64-bit seed counts; a CPU generator seeded with
/// s &lt; 2³² draws exactly what the default one draws after <see cref="LibTorch.ManualSeed"/>(s) (which keeps only the
/// low 32 bits). Not for concurrent use from several threads at once.
/// </summary>
public sealed class RandomGenerator : IDisposable
{
    private readonly GeneratorHandle _handle;

    /// <param name="device">Where the tensors it fills live (a CUDA generator needs a CUDA build).</param>
    public RandomGenerator(ulong seed, Device? device = null)
    {
        Device = device ?? Device.Cpu;
        var h = Native.ft_generator_new(seed, (int)Device.Type, Device.Index);
        if (h == 0) throw new TorchException($"RandomGenerator(seed {seed}, {Device}) failed: {Native.LastError()}");
        _handle = new GeneratorHandle(h);
        Seed = seed;
    }

    public ulong Seed { get; }
    public Device Device { get; }

    internal nint Handle => _handle.IsClosed
        ? throw new ObjectDisposedException(nameof(RandomGenerator))
        : _handle.DangerousGetHandle();

    public void Dispose() => _handle.Dispose();

    private sealed class GeneratorHandle : SafeHandle
    {
        public GeneratorHandle(nint h) : base(0, ownsHandle: true) => SetHandle(h);
        public override bool IsInvalid => handle == 0;
        protected override bool ReleaseHandle()
        {
            Native.ft_generator_free(handle);
            return true;
        }
    }
}
