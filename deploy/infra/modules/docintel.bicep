// Azure AI Document Intelligence for RAG_PARSER=azure: reads scanned PDFs and page images (prebuilt-layout /
// prebuilt-read). Entra-only (keys disabled), reachable only through its private endpoint; the app's identity
// gets "Cognitive Services User" on this account alone.
param name string
param location string
param tags object
param subnetId string
param privateDnsZoneId string
param appPrincipalIds array // each environment's app identity
param workspaceId string

// the same built-in role ID as in roles.bicep (it is the same in every tenant)
var roles = {
  cognitiveServicesUser: 'a97b65f3-24c7-4388-baec-2e87135dc908'
}

resource docintel 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'FormRecognizer'
  sku: {
    name: 'S0'
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

module endpoint 'private-endpoint.bicep' = {
  name: 'pe-${name}'
  params: {
    name: 'pe-${name}'
    location: location
    tags: tags
    subnetId: subnetId
    serviceId: docintel.id
    groupId: 'account'
    privateDnsZoneId: privateDnsZoneId
  }
}

resource appDocintel 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in appPrincipalIds: {
  name: guid(docintel.id, principalId, roles.cognitiveServicesUser)
  scope: docintel
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesUser)
  }
}]

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: docintel
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output endpoint string = docintel.properties.endpoint
output name string = docintel.name
