namespace FineTune.Data;

/// <summary>A dataset stored under its content address.</summary>
public sealed record StoredDataset(string Sha256, string Path, long Bytes, bool AlreadyStored);
