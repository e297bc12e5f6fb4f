using Azure;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;

namespace FineTune.Pipeline.Tests.Storage;

/// <summary>The contract against the real emulator, through Azure.Storage.Blobs (Shared Key from the connection string).</summary>
public sealed class AzuriteStorageContractTests(Azurite azurite) : StorageContract, IClassFixture<Azurite>
{
    protected override StorageAccount Account { get; } = StorageAccount.FromSetting(azurite.ConnectionString);

    [Fact]
    public async Task WrongAccountKey_IsRejected()
    {
        var bad = azurite.ConnectionString.Replace("Eby8", "Xby8");
        var account = StorageAccount.FromSetting(bad);
        var e = await Assert.ThrowsAsync<RequestFailedException>(() => account.Blobs.CreateContainerAsync("denied"));
        Assert.Equal(403, e.Status);
    }

    [Fact]
    public void FromSetting_DescribesTheAccountWithoutTheKey()
    {
        var account = StorageAccount.FromSetting(azurite.ConnectionString);
        Assert.Equal("devstoreaccount1", account.AccountName);
        Assert.Contains($"127.0.0.1:{azurite.BlobPort}", account.Description);
        Assert.DoesNotContain("Eby8", account.Description);
        Assert.Equal(azurite.ConnectionString, account.Setting);
        Assert.Null(account.Credential);
    }

    [Fact]
    public void FromSetting_Garbage_ThrowsWithoutEchoingTheValue()
    {
        var e = Assert.Throws<ArgumentException>(() => StorageAccount.FromSetting("AccountKey=secret-key;nonsense"));
        Assert.DoesNotContain("secret-key", e.Message);
    }

    [Fact]
    public void ConnectionString_NamesEveryService()
    {
        Assert.Contains($"TableEndpoint=http://127.0.0.1:{azurite.TablePort}/devstoreaccount1;", azurite.ConnectionString);
        Assert.True(azurite.TablePort > 0 && azurite.TablePort != azurite.BlobPort && azurite.TablePort != azurite.QueuePort);
    }
}
