// DocChat on Azure: everything from an empty subscription to a cluster ready for the Helm chart.
//   az deployment sub create --location <region> --template-file deploy/infra/main.bicep \
//     --parameters deploy/infra/main.bicepparam
// Idempotent: re-running converges. Teardown: deploy/infra/teardown.sh.
targetScope = 'subscription'

@description('Azure region for every resource (needs gpt-4o GlobalStandard and text-embedding-3-small quota).')
param location string = 'swedencentral'
@description('Short prefix of every resource name.')
@minLength(3)
@maxLength(10)
param prefix string = 'docchat'
@description('Environment tag and resource group suffix.')
param environmentName string = 'prod'
@description('One entry per environment, each with its own namespace, identities, blob container, table, search index and Key Vault: name (short, in resource names), namespace, container (RAG_AZURE_STORAGE_CONTAINER), table (RAG_AZURE_STORAGE_TABLE: letters and digits only), searchIndex (RAG_AZURE_SEARCH_INDEX).')
param environments array = [
  {
    name: 'prod'
    namespace: 'docchat'
    container: 'docchat'
    table: 'docchat'
    searchIndex: 'docchat'
  }
  {
    name: 'staging'
    namespace: 'docchat-staging'
    container: 'docchat-staging'
    table: 'docchatstaging'
    searchIndex: 'docchat-staging'
  }
]
@description('ServiceAccount of the app pods (chart value serviceAccount.name).')
param serviceAccountName string = 'docchat'
@description('ServiceAccount of the index-init Job (chart value indexInit.serviceAccountName).')
param indexAdminServiceAccountName string = 'docchat-index-admin'
@description('owner/name of the GitHub repository allowed to push images and deploy (OIDC). Empty: no CI identity.')
param githubRepository string = ''
@description('Object ID of the operator (az ad signed-in-user show --query id -o tsv). Gets Key Vault Secrets Officer and AKS RBAC Cluster Admin.')
param deployerPrincipalId string = ''
@description('Public IPs/CIDRs allowed through the Key Vault firewall (to set the cookie secrets). Empty: Key Vault is private only.')
param operatorIpRanges array = []
@description('Email address for alerts.')
param alertEmail string = ''
@description('true only while the app creates its search index at start-up; otherwise the index-init Job alone holds Search Service Contributor.')
param appManagesSearchIndex bool = false
@description('AKS version; empty: the region default.')
param kubernetesVersion string = ''
param nodeVmSize string = 'Standard_D4ds_v5'
param nodeMinCount int = 2
param nodeMaxCount int = 4
@allowed(['Free', 'Standard'])
@description('AKS control plane tier: Standard has the uptime SLA.')
param aksTier string = 'Standard'
@allowed(['basic', 'standard'])
param searchSku string = 'basic'
@allowed(['disabled', 'free', 'standard'])
@description('Semantic ranker plan (RAG_AZURE_SEMANTIC=true needs free or standard): free stops after 1,000 queries a month for the whole service, both environments together; standard bills the queries beyond them (docs/azure.md).')
param semanticSearch string = 'standard'
@description('Deploy Azure AI Content Safety (Prompt Shields) for RAG_CONTENT_SAFETY_ENDPOINT.')
param contentSafety bool = false
@allowed(['F0', 'S0'])
param contentSafetySku string = 'S0'
@description('Thousands of tokens per minute for text-embedding-3-small.')
param embeddingCapacity int = 120
@description('Thousands of tokens per minute for gpt-4o (GlobalStandard).')
param chatCapacity int = 50

var tags = {
  app: 'docchat'
  environment: environmentName
}
var suffix = uniqueString(subscription().id, prefix, environmentName)
var namespaces = [for env in environments: env.namespace]
var blobContainerNames = [for env in environments: env.container]
var tableNames = [for env in environments: env.table]
var keyVaultNames = [for env in environments: take('kv-${prefix}-${env.name}-${suffix}', 24)]
var names = {
  resourceGroup: 'rg-${prefix}-${environmentName}'
  vnet: 'vnet-${prefix}-${environmentName}'
  workspace: 'log-${prefix}-${environmentName}'
  storage: take('st${prefix}${suffix}', 24)
  search: 'srch-${prefix}-${suffix}'
  openai: 'oai-${prefix}-${suffix}'
  docintel: 'di-${prefix}-${suffix}'
  contentSafety: 'cs-${prefix}-${suffix}'
  acr: 'acr${prefix}${suffix}'
  aks: 'aks-${prefix}-${environmentName}'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module network 'modules/network.bicep' = {
  scope: rg
  name: 'network'
  params: {
    name: names.vnet
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  name: 'monitoring'
  params: {
    name: names.workspace
    location: location
    tags: tags
    alertEmail: alertEmail
    namespaces: namespaces
  }
}

module storage 'modules/storage.bicep' = {
  scope: rg
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: tags
    containerNames: blobContainerNames
    tableNames: tableNames
    workspaceId: monitoring.outputs.workspaceId
  }
}

module search 'modules/search.bicep' = {
  scope: rg
  name: 'search'
  params: {
    name: names.search
    location: location
    tags: tags
    sku: searchSku
    semanticSearch: semanticSearch
    workspaceId: monitoring.outputs.workspaceId
  }
}

module openai 'modules/openai.bicep' = {
  scope: rg
  name: 'openai'
  params: {
    name: names.openai
    location: location
    tags: tags
    embeddingCapacity: embeddingCapacity
    chatCapacity: chatCapacity
    workspaceId: monitoring.outputs.workspaceId
  }
}

// Document Intelligence (RAG_PARSER=azure): its own private endpoint and role assignment inside the module
module docintel 'modules/docintel.bicep' = {
  scope: rg
  name: 'docintel'
  params: {
    name: names.docintel
    location: location
    tags: tags
    subnetId: network.outputs.privateEndpointSubnetId
    privateDnsZoneId: network.outputs.cognitiveServicesDnsZoneId
    appPrincipalIds: identity.outputs.appPrincipalIds
    workspaceId: monitoring.outputs.workspaceId
  }
}

module contentSafetyAccount 'modules/content-safety.bicep' = if (contentSafety) {
  scope: rg
  name: 'content-safety'
  params: {
    name: names.contentSafety
    location: location
    tags: tags
    sku: contentSafetySku
    workspaceId: monitoring.outputs.workspaceId
  }
}

// One vault per environment: a role on a vault covers all its secrets.
module keyVaults 'modules/keyvault.bicep' = [for (env, i) in environments: {
  scope: rg
  name: 'keyvault-${env.name}'
  params: {
    name: keyVaultNames[i]
    location: location
    tags: tags
    allowedIpRanges: operatorIpRanges
    workspaceId: monitoring.outputs.workspaceId
  }
}]

module acr 'modules/acr.bicep' = {
  scope: rg
  name: 'acr'
  params: {
    name: names.acr
    location: location
    tags: tags
  }
}

module aks 'modules/aks.bicep' = {
  scope: rg
  name: 'aks'
  params: {
    name: names.aks
    location: location
    tags: tags
    subnetId: network.outputs.aksSubnetId
    workspaceId: monitoring.outputs.workspaceId
    kubernetesVersion: kubernetesVersion
    nodeVmSize: nodeVmSize
    nodeMinCount: nodeMinCount
    nodeMaxCount: nodeMaxCount
    tier: aksTier
  }
}

// Private endpoints: the data services accept traffic only from the VNet.
module blobEndpoint 'modules/private-endpoint.bicep' = {
  scope: rg
  name: 'pe-blob'
  params: {
    name: 'pe-${names.storage}-blob'
    location: location
    tags: tags
    subnetId: network.outputs.privateEndpointSubnetId
    serviceId: storage.outputs.id
    groupId: 'blob'
    privateDnsZoneId: network.outputs.blobDnsZoneId
  }
}

module tableEndpoint 'modules/private-endpoint.bicep' = {
  scope: rg
  name: 'pe-table'
  params: {
    name: 'pe-${names.storage}-table'
    location: location
    tags: tags
    subnetId: network.outputs.privateEndpointSubnetId
    serviceId: storage.outputs.id
    groupId: 'table'
    privateDnsZoneId: network.outputs.tableDnsZoneId
  }
}

module searchEndpoint 'modules/private-endpoint.bicep' = {
  scope: rg
  name: 'pe-search'
  params: {
    name: 'pe-${names.search}'
    location: location
    tags: tags
    subnetId: network.outputs.privateEndpointSubnetId
    serviceId: search.outputs.id
    groupId: 'searchService'
    privateDnsZoneId: network.outputs.searchDnsZoneId
  }
}

module openaiEndpoint 'modules/private-endpoint.bicep' = {
  scope: rg
  name: 'pe-openai'
  params: {
    name: 'pe-${names.openai}'
    location: location
    tags: tags
    subnetId: network.outputs.privateEndpointSubnetId
    serviceId: openai.outputs.id
    groupId: 'account'
    privateDnsZoneId: network.outputs.openaiDnsZoneId
  }
}

module keyVaultEndpoints 'modules/private-endpoint.bicep' = [for (env, i) in environments: {
  scope: rg
  name: 'pe-keyvault-${env.name}'
  params: {
    name: 'pe-${keyVaultNames[i]}'
    location: location
    tags: tags
    subnetId: network.outputs.privateEndpointSubnetId
    serviceId: keyVaults[i].outputs.id
    groupId: 'vault'
    privateDnsZoneId: network.outputs.keyVaultDnsZoneId
  }
}]

module contentSafetyEndpoint 'modules/private-endpoint.bicep' = if (contentSafety) {
  scope: rg
  name: 'pe-content-safety'
  params: {
    name: 'pe-${names.contentSafety}'
    location: location
    tags: tags
    subnetId: network.outputs.privateEndpointSubnetId
    serviceId: contentSafetyAccount.outputs.id
    groupId: 'account'
    privateDnsZoneId: network.outputs.cognitiveServicesDnsZoneId
  }
}

module identity 'modules/identity.bicep' = {
  scope: rg
  name: 'identity'
  params: {
    prefix: prefix
    location: location
    tags: tags
    oidcIssuerUrl: aks.outputs.oidcIssuerUrl
    environments: environments
    serviceAccountName: serviceAccountName
    indexAdminServiceAccountName: indexAdminServiceAccountName
    githubRepository: githubRepository
  }
}

module roles 'modules/roles.bicep' = {
  scope: rg
  name: 'roles'
  params: {
    environments: environments
    appPrincipalIds: identity.outputs.appPrincipalIds
    indexAdminPrincipalIds: identity.outputs.indexAdminPrincipalIds
    keyVaultNames: keyVaultNames
    githubPrincipalId: identity.outputs.githubPrincipalId
    kubeletObjectId: aks.outputs.kubeletObjectId
    deployerPrincipalId: deployerPrincipalId
    appManagesSearchIndex: appManagesSearchIndex
    openaiName: openai.outputs.name
    contentSafetyName: contentSafety ? names.contentSafety : ''
    searchName: search.outputs.name
    storageName: storage.outputs.name
    acrName: acr.outputs.name
    aksName: aks.outputs.name
  }
}

// Everything the Helm values and the CI workflows need (none of it secret).
output resourceGroup string = rg.name
output aksName string = aks.outputs.name
output acrLoginServer string = acr.outputs.loginServer
output acrName string = acr.outputs.name
output tenantId string = tenant().tenantId
// Per environment, for its Helm values: workloadIdentity.clientId, indexInit.clientId, the vault.
output environments array = [for (env, i) in environments: {
  name: env.name
  namespace: env.namespace
  workloadIdentityClientId: identity.outputs.appClientIds[i]
  indexAdminClientId: identity.outputs.indexAdminClientIds[i]
  keyVaultName: keyVaultNames[i]
  keyVaultUrl: keyVaults[i].outputs.uri
  searchIndex: env.searchIndex
  container: env.container
  table: env.table
}]
output githubClientId string = identity.outputs.githubClientId
output githubPrincipalId string = identity.outputs.githubPrincipalId
output oidcIssuerUrl string = aks.outputs.oidcIssuerUrl
output openaiEndpoint string = openai.outputs.endpoint
output openaiName string = openai.outputs.name
output docintelEndpoint string = docintel.outputs.endpoint
output searchEndpoint string = search.outputs.endpoint
output storageAccountUrl string = storage.outputs.blobEndpoint
output contentSafetyEndpoint string = contentSafety ? contentSafetyAccount.outputs.endpoint : ''
output logAnalyticsWorkspaceId string = monitoring.outputs.workspaceId
