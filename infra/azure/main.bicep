// FineTune on Azure: a storage account (uploads, datasets, models, jobs, adapters, deployments + the job queue),
// the pipeline host as an isolated-worker .NET Functions app (src/FineTune.Functions: the Durable job orchestration,
// the uploads blob trigger, the job API) reaching storage with its managed identity, and a Container Apps job on a serverless GPU profile that runs
// `finetune train --spec …`, started by the host over ARM with its managed identity.
targetScope = 'resourceGroup'

param location string = resourceGroup().location
param prefix string = 'finetune'
@description('Trainer image holding `finetune` (infra/docker/Dockerfile.trainer).')
param trainerImage string
@description('Serverless GPU workload profile type (quota must be granted).')
param gpuProfileType string = 'Consumption-GPU-NC8as-T4'

var storageName = toLower('${prefix}${uniqueString(resourceGroup().id)}')

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take(storageName, 24)
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: { minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: false }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for c in [ 'uploads', 'datasets', 'models', 'jobs', 'adapters', 'deployments' ]: {
  parent: blobs
  name: c
}]


resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${prefix}-plan'
  location: location
  sku: { name: 'EP1', tier: 'ElasticPremium' }
  kind: 'elastic'
  properties: { reserved: true }
}

resource environmentResource 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${prefix}-env'
  location: location
  properties: {
    workloadProfiles: [
      { name: 'Consumption', workloadProfileType: 'Consumption' }
      { name: 'gpu', workloadProfileType: gpuProfileType }
    ]
  }
}

resource trainer 'Microsoft.App/jobs@2024-03-01' = {
  name: '${prefix}-trainer'
  location: location
  // The trainer reads and writes its spec, data, checkpoints and adapter with this identity (no account key anywhere).
  identity: { type: 'SystemAssigned' }
  properties: {
    environmentId: environmentResource.id
    workloadProfileName: 'gpu'
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: 86400
      replicaRetryLimit: 0
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 }
    }
    template: {
      containers: [
        {
          name: 'trainer'
          image: trainerImage
          command: [ 'finetune' ]
          args: [ 'train', '--help' ]
          env: [ { name: 'FINETUNE_STORAGE', value: storage.properties.primaryEndpoints.blob } ]
          resources: { cpu: 8, memory: '56Gi' }
        }
      ]
    }
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: '${prefix}-host-${uniqueString(resourceGroup().id)}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'DOTNET-ISOLATED|10.0'
      appSettings: [
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'dotnet-isolated' }
        // Identity-based AzureWebJobsStorage (no account key): the host, the Durable Azure Storage provider and the blob
        // trigger use the app's managed identity; the pipeline reads the blob endpoint (FunctionsSettings.StorageSetting).
        { name: 'AzureWebJobsStorage__blobServiceUri', value: storage.properties.primaryEndpoints.blob }
        { name: 'AzureWebJobsStorage__queueServiceUri', value: storage.properties.primaryEndpoints.queue }
        { name: 'AzureWebJobsStorage__tableServiceUri', value: storage.properties.primaryEndpoints.table }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'Pipeline__Training__Backend', value: 'containerapps' }
        { name: 'Pipeline__Training__ContainerAppsJobResourceId', value: trainer.id }
        { name: 'Pipeline__Training__ContainerImage', value: trainerImage }
      ]
    }
  }
}

// The host starts trainer executions with its managed identity (Microsoft.App/jobs/start/action is in Contributor).
resource startJobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(trainer.id, site.id, 'contributor')
  scope: trainer
  properties: {
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b24988ac-6180-42a0-ab88-20f7382dd24c')
  }
}

// Durable Functions (Azure Storage provider) needs blobs (leases, large messages), queues (work items) and tables (history,
// instances); the pipeline reads and writes its containers. Built-in role ids:
// Storage Blob Data Owner, Storage Queue Data Contributor, Storage Table Data Contributor.
var storageRoles = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
]

resource storageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in storageRoles: {
  name: guid(storage.id, site.id, role)
  scope: storage
  properties: {
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

// The trainer: Storage Blob Data Contributor on the account.
resource trainerStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, trainer.id, 'blob-contributor')
  scope: storage
  properties: {
    principalId: trainer.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
  }
}

output functionApp string = site.name
output storageAccount string = storage.name
