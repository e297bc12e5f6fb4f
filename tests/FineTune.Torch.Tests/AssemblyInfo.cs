// The live-tensor counter is process-wide: tests that assert on it must not share the process with
// tests creating tensors at the same moment.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
