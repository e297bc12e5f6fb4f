using FineTune.Pipeline.Storage.Azure;

namespace FineTune.Pipeline.Tests.Storage;

public sealed class StorageConnectionStringTests
{
    [Fact]
    public void Parse_DevelopmentStorage_UsesAzuriteDefaults()
    {
        var cs = StorageConnectionString.Parse("UseDevelopmentStorage=true");
        Assert.Equal("devstoreaccount1", cs.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), cs.BlobEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), cs.QueueEndpoint);
    }

    [Fact]
    public void Parse_AccountString_BuildsEndpointsFromSuffix()
    {
        var cs = StorageConnectionString.Parse("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=a2V5;EndpointSuffix=core.windows.net");
        Assert.Equal(new Uri("https://acme.blob.core.windows.net"), cs.BlobEndpoint);
        Assert.Equal(new Uri("https://acme.queue.core.windows.net"), cs.QueueEndpoint);
        Assert.DoesNotContain("a2V5", cs.ToString());
    }

    [Fact]
    public void Parse_MissingKey_FailsNamingTheField()
    {
        var e = Assert.Throws<FormatException>(() => StorageConnectionString.Parse("AccountName=acme"));
        Assert.Contains("AccountKey", e.Message);
    }
}
