using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FineTune.Torch.Tests;

/// <summary>The native set-up is in force once the engine has loaded: in the C library's environment, which libgomp
/// reads, in .NET's, which child processes get, and in glibc's allocator.</summary>
public unsafe class NativeEnvironmentTests
{
    [Fact]
    public void WaitPolicy_IsInTheNativeEnvironment_AndReachesChildProcesses()
    {
        _ = LibTorch.Version;   // loads the native layer
        var expected = NativeEnvironment.Settings["OMP_WAIT_POLICY"];
        Assert.Equal(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE", expected);
        Assert.True(NativeLibrary.TryLoad("libc.so.6", out var libc));
        var getenv = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(libc, "getenv");
        var name = Marshal.StringToCoTaskMemUTF8("OMP_WAIT_POLICY");
        try { Assert.Equal(expected, Marshal.PtrToStringUTF8(getenv(name))); }
        finally { Marshal.FreeCoTaskMem(name); }

        var child = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "echo $OMP_WAIT_POLICY"]) { RedirectStandardOutput = true })!;
        var output = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        Assert.Equal(expected, output);
    }

    [Fact]
    public void OpenBlasThreadTimeout_IsShort_UnlessTheEnvironmentSetsIt_AndReachesChildProcesses()
    {
        _ = LibTorch.Version;
        var expected = NativeEnvironment.Settings["OPENBLAS_THREAD_TIMEOUT"];
        Assert.Equal(Environment.GetEnvironmentVariable("OPENBLAS_THREAD_TIMEOUT") ?? "4", expected);
        var child = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "echo $OPENBLAS_THREAD_TIMEOUT"]) { RedirectStandardOutput = true })!;
        var output = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        Assert.Equal(expected, output);
    }

    [Fact]
    public void AllocatorThresholds_AreRaised_UnlessTheEnvironmentSetsThem()
    {
        _ = LibTorch.Version;
        var settings = NativeEnvironment.Settings;
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null)
            Assert.True(long.Parse(settings["mallopt MALLOC_MMAP_THRESHOLD"]) >= 32L << 20, string.Join(", ", settings));
        if (Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is null)
            Assert.Equal(1L << 30, long.Parse(settings["mallopt MALLOC_TRIM_THRESHOLD"]));
    }
}
