namespace FineTune.Host.Serving;

/// <summary>A servable adapter: its model id, the local PEFT folder, and what /v1/models shows about it.</summary>
public sealed record AdapterEntry(string Id, string Directory, DateTimeOffset Created, string OwnedBy = "finetune");
