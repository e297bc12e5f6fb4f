// Each test starts `finetune` processes that train on every core: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
