// Training tests are CPU-bound and share libtorch's thread pool: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
