// VNet for AKS and the private endpoints, plus the private DNS zones that make the services'
// public names resolve to their private endpoints from inside the VNet.
param name string
param location string
param tags object
@description('Address space of the VNet. Must not overlap the AKS pod (10.244.0.0/16) and service (10.0.0.0/16) CIDRs.')
param addressPrefix string = '10.10.0.0/16'

var privateDnsZoneNames = [
  'privatelink.blob.${environment().suffixes.storage}'
  'privatelink.search.windows.net'
  'privatelink.openai.azure.com'
  'privatelink.vaultcore.azure.net'
  'privatelink.cognitiveservices.azure.com' // Content Safety (kind ContentSafety accounts)
  'privatelink.table.${environment().suffixes.storage}' // RAG_STORE=azure (Table Storage in the storage account)
]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    subnets: [
      {
        name: 'aks-nodes'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 20, 0)
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 16)
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [for zone in privateDnsZoneNames: {
  name: zone
  location: 'global'
  tags: tags
}]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [for (zone, i) in privateDnsZoneNames: {
  parent: zones[i]
  name: '${name}-link'
  location: 'global'
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

output vnetId string = vnet.id
output aksSubnetId string = vnet.properties.subnets[0].id
output privateEndpointSubnetId string = vnet.properties.subnets[1].id
output blobDnsZoneId string = zones[0].id
output searchDnsZoneId string = zones[1].id
output openaiDnsZoneId string = zones[2].id
output keyVaultDnsZoneId string = zones[3].id
output cognitiveServicesDnsZoneId string = zones[4].id
output tableDnsZoneId string = zones[5].id
