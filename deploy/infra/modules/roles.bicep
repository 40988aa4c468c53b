// Least-privilege role assignments. Each identity gets data-plane roles on exactly the resources it
// uses, and an environment's identities only on that environment's index, container, table and vault
// (tests/deploy/test_infra.py checks that no assignment crosses environments).
@description('One entry per environment: {name, namespace, container, table, searchIndex} (main.bicep param environments).')
param environments array
@description('App identity principal IDs, in the order of environments.')
param appPrincipalIds array
@description('Index-init Job identity principal IDs, in the order of environments.')
param indexAdminPrincipalIds array
@description('Key Vault names, in the order of environments.')
param keyVaultNames array
param githubPrincipalId string
param kubeletObjectId string
@description('Object ID of the operator who sets Key Vault secrets and installs cluster prerequisites. Empty: none.')
param deployerPrincipalId string
@description('Grant Search Service Contributor to the app itself (only while the app still creates its index at start-up).')
param appManagesSearchIndex bool
param openaiName string
@description('Content Safety account name; empty: none deployed.')
param contentSafetyName string = ''
param searchName string
param storageName string
param acrName string
param aksName string

// Built-in role definition IDs (the same in every tenant).
var roles = {
  cognitiveServicesOpenAIUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'
  cognitiveServicesUser: 'a97b65f3-24c7-4388-baec-2e87135dc908'
  searchIndexDataContributor: '8ebe5a00-799e-43f5-93ac-243d3dce84a7'
  searchIndexDataReader: '1407120a-92aa-4202-b7e9-c0e197c71c8f'
  searchServiceContributor: '7ca78c08-252a-4471-8644-bb5ff32d4ba0'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  acrPush: '8311e382-0749-4cb8-b61a-304f252e45ec'
  aksClusterUser: '4abbcc35-e782-43d8-92c5-2d3f1bd2253f'
  aksRbacClusterAdmin: 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b'
}

resource openai 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: openaiName
}
resource contentSafety 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = if (!empty(contentSafetyName)) {
  name: contentSafetyName
}
resource search 'Microsoft.Search/searchServices@2023-11-01' existing = {
  name: searchName
}
// Search data roles can be scoped to one index (Azure RBAC accepts .../searchServices/NAME/indexes/INDEX).
resource indexes 'Microsoft.Search/searchServices/indexes@2024-06-01-preview' existing = [for env in environments: {
  parent: search
  name: env.searchIndex
}]
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageName
}
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}
resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for env in environments: {
  parent: blobService
  name: env.container
}]
resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}
resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = [for env in environments: {
  parent: tableService
  name: env.table
}]
resource vaults 'Microsoft.KeyVault/vaults@2023-07-01' existing = [for name in keyVaultNames: {
  name: name
}]
resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: acrName
}
resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: aksName
}

// --- each environment's app (pods of its docchat ServiceAccount; also the identity its CSI driver reads Key Vault with)
resource appOpenAI 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (env, i) in environments: {
  name: guid(openai.id, appPrincipalIds[i], roles.cognitiveServicesOpenAIUser)
  scope: openai
  properties: {
    principalId: appPrincipalIds[i]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesOpenAIUser)
  }
}]

resource appContentSafety 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (env, i) in (empty(contentSafetyName) ? [] : environments): {
  name: guid(contentSafety.id, appPrincipalIds[i], roles.cognitiveServicesUser)
  scope: contentSafety
  properties: {
    principalId: appPrincipalIds[i]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesUser)
  }
}]

resource appSearchData 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (env, i) in environments: {
  name: guid(indexes[i].id, appPrincipalIds[i], roles.searchIndexDataContributor)
  scope: indexes[i]
  properties: {
    principalId: appPrincipalIds[i]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.searchIndexDataContributor)
  }
}]

resource appSearchService 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (env, i) in (appManagesSearchIndex ? environments : []): {
  name: guid(search.id, appPrincipalIds[i], roles.searchServiceContributor)
  scope: search
  properties: {
    principalId: appPrincipalIds[i]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.searchServiceContributor)
  }
}]

// Scoped to the environment's container, not the account.
resource appBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (env, i) in environments: {
  name: guid(containers[i].id, appPrincipalIds[i], roles.storageBlobDataContributor)
  scope: containers[i]
  properties: {
    principalId: appPrincipalIds[i]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}]

// RAG_STORE=azure: conversations, feedback and evaluation runs in the environment's own table
// (RAG_AZURE_STORAGE_TABLE), scoped to that table, not the account.
resource appTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (env, i) in environments: {
  name: guid(tables[i].id, appPrincipalIds[i], roles.storageTableDataContributor)
  scope: tables[i]
  properties: {
    principalId: appPrincipalIds[i]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}]

resource appSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (env, i) in environments: {
  name: guid(vaults[i].id, appPrincipalIds[i], roles.keyVaultSecretsUser)
  scope: vaults[i]
  properties: {
    principalId: appPrincipalIds[i]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}]

// --- each environment's index-init Job: the only identity that may create or change its index.
// Creating an index is a service-level operation, so Search Service Contributor cannot be narrower
// than the service (it grants index definitions, never document reads); data reads stay on its index.
resource indexAdminService 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (env, i) in environments: {
  name: guid(search.id, indexAdminPrincipalIds[i], roles.searchServiceContributor)
  scope: search
  properties: {
    principalId: indexAdminPrincipalIds[i]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.searchServiceContributor)
  }
}]

resource indexAdminRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (env, i) in environments: {
  name: guid(indexes[i].id, indexAdminPrincipalIds[i], roles.searchIndexDataReader)
  scope: indexes[i]
  properties: {
    principalId: indexAdminPrincipalIds[i]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.searchIndexDataReader)
  }
}]

// --- nodes pull images
resource kubeletPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acr.id, kubeletObjectId, roles.acrPull)
  scope: acr
  properties: {
    principalId: kubeletObjectId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

// --- CI (GitHub Actions via OIDC): push images; fetch a kubeconfig. What it may change inside the
// cluster is granted by Kubernetes RBAC in two namespaces only (deploy/cluster/deployer-rbac.yaml).
resource githubPush 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(githubPrincipalId)) {
  name: guid(acr.id, githubPrincipalId, roles.acrPush)
  scope: acr
  properties: {
    principalId: githubPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPush)
  }
}

resource githubClusterUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(githubPrincipalId)) {
  name: guid(aks.id, githubPrincipalId, roles.aksClusterUser)
  scope: aks
  properties: {
    principalId: githubPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.aksClusterUser)
  }
}

// --- the operator: set the cookie secrets, install cluster prerequisites
resource deployerSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in (empty(deployerPrincipalId) ? [] : keyVaultNames): {
  name: guid(vaults[i].id, deployerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vaults[i]
  properties: {
    principalId: deployerPrincipalId
    principalType: 'User'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}]

resource deployerClusterAdmin 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(aks.id, deployerPrincipalId, roles.aksRbacClusterAdmin)
  scope: aks
  properties: {
    principalId: deployerPrincipalId
    principalType: 'User'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.aksRbacClusterAdmin)
  }
}
