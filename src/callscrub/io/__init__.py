"""Files in and out: readers, writers, loaders of registries and history, locks and signals."""
