// Parameters for a small team's production deployment. Copy and edit; nothing here is secret.
using 'main.bicep'

param location = 'swedencentral'
param prefix = 'docchat'
param environmentName = 'prod'
param environments = [
  { name: 'prod', namespace: 'docchat', container: 'docchat', table: 'docchat', searchIndex: 'docchat' }
  { name: 'staging', namespace: 'docchat-staging', container: 'docchat-staging', table: 'docchatstaging', searchIndex: 'docchat-staging' }
]
param githubRepository = 'contoso/docchat'
// az ad signed-in-user show --query id -o tsv
param deployerPrincipalId = ''
// curl -s https://api.ipify.org  (your egress IP, to set Key Vault secrets from your machine)
param operatorIpRanges = []
param alertEmail = 'oncall@contoso.com'
param appManagesSearchIndex = false
param nodeVmSize = 'Standard_D4ds_v5'
param nodeMinCount = 2
param nodeMaxCount = 4
param aksTier = 'Standard'
param searchSku = 'basic'
// standard: no monthly cap on semantic queries (the free plan stops both environments after 1,000)
param semanticSearch = 'standard'
param contentSafety = true
param embeddingCapacity = 120
param chatCapacity = 50
