using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;

namespace FineTune.Pipeline.Tests.Storage;

/// <summary>The same contract against the real emulator, through Shared Key signed REST calls.</summary>
public sealed class AzuriteStorageContractTests(Azurite azurite) : StorageContract, IClassFixture<Azurite>
{
    protected override StorageAccount Account { get; } = StorageAccount.FromConnectionString(azurite.ConnectionString);

    [Fact]
    public async Task WrongAccountKey_IsRejected()
    {
        var bad = azurite.ConnectionString.Replace("Eby8", "Xby8");
        var account = StorageAccount.FromConnectionString(bad);
        var e = await Assert.ThrowsAsync<StorageException>(() => account.Blobs.CreateContainerAsync("denied"));
        Assert.Equal(403, e.Status);
    }
}
