using FineTune.Functions;
using FineTune.Pipeline;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// The same storage account the Functions host uses (AzureWebJobsStorage): a connection string, or for identity-based
// connections the account's blob URL (AzureWebJobsStorage__blobServiceUri, or __accountName), reached with DefaultAzureCredential.
var storage = StorageAccount.FromSetting(FunctionsSettings.StorageSetting(builder.Configuration));
builder.Services.AddFineTunePipeline(storage);
// JobStarter and JobControl need a DurableTaskClient, which Functions hands to a function through its [DurableClient]
// binding rather than through DI: the function shells construct them (see FunctionsJobs), so the DI registrations go.
builder.Services.RemoveAll<JobStarter>();
builder.Services.RemoveAll<JobControl>();

builder.Build().Run();
