// Azure AI Search: Entra-only (API keys disabled), private endpoint only.
param name string
param location string
param tags object
param sku string = 'basic'
param workspaceId string
@allowed(['disabled', 'free', 'standard'])
@description('Semantic ranker plan: free stops after 1,000 queries a month for the whole service; standard bills the queries beyond them.')
param semanticSearch string = 'standard'

resource search 'Microsoft.Search/searchServices@2023-11-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    replicaCount: 1
    partitionCount: 1
    hostingMode: 'default'
    publicNetworkAccess: 'disabled'
    disableLocalAuth: true
    semanticSearch: semanticSearch
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: search
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

output id string = search.id
output name string = search.name
output endpoint string = 'https://${search.name}.search.windows.net'
