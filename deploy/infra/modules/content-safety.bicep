// Azure AI Content Safety (Prompt Shields and the harm categories) for RAG_CONTENT_SAFETY_ENDPOINT.
// Entra-only (keys disabled), private endpoint only; the app identities get Cognitive Services User.
param name string
param location string
param tags object
@allowed(['F0', 'S0'])
@description('F0: 5,000 text records a month free, then refused; S0: billed per 1,000 text records.')
param sku string = 'S0'
param workspaceId string

resource contentSafety 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'ContentSafety'
  sku: {
    name: sku
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      defaultAction: 'Deny'
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: contentSafety
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

output id string = contentSafety.id
output name string = contentSafety.name
output endpoint string = 'https://${contentSafety.name}.cognitiveservices.azure.com'
