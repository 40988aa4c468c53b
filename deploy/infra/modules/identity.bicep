// Managed identities and the federated credentials that let Kubernetes ServiceAccounts and
// GitHub Actions sign in as them: no client secrets anywhere. Every environment has its own app
// and index-admin identity, each trusting only its own namespace, so a staging pod can never sign
// in as production.
param prefix string
param location string
param tags object
param oidcIssuerUrl string
@description('One entry per environment: {name, namespace, ...} (main.bicep param environments).')
param environments array
param serviceAccountName string
param indexAdminServiceAccountName string
@description('owner/name of the GitHub repository whose workflows push images and deploy. Empty: no CI identity.')
param githubRepository string

var aksAudience = ['api://AzureADTokenExchange']
// The CI workflow's jobs: pushes from main, and the two deployment environments.
var githubSubjects = empty(githubRepository) ? [] : [
  'repo:${githubRepository}:ref:refs/heads/main'
  'repo:${githubRepository}:environment:staging'
  'repo:${githubRepository}:environment:production'
]

resource apps 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = [for env in environments: {
  name: 'id-${prefix}-app-${env.name}'
  location: location
  tags: union(tags, { environment: env.name })
}]

resource appFederation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [for (env, i) in environments: {
  parent: apps[i]
  name: 'aks-${env.namespace}-${serviceAccountName}'
  properties: {
    issuer: oidcIssuerUrl
    subject: 'system:serviceaccount:${env.namespace}:${serviceAccountName}'
    audiences: aksAudience
  }
}]

resource indexAdmins 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = [for env in environments: {
  name: 'id-${prefix}-index-admin-${env.name}'
  location: location
  tags: union(tags, { environment: env.name })
}]

resource indexAdminFederation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [for (env, i) in environments: {
  parent: indexAdmins[i]
  name: 'aks-${env.namespace}-${indexAdminServiceAccountName}'
  properties: {
    issuer: oidcIssuerUrl
    subject: 'system:serviceaccount:${env.namespace}:${indexAdminServiceAccountName}'
    audiences: aksAudience
  }
}]

resource github 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = if (!empty(githubRepository)) {
  name: 'id-${prefix}-github'
  location: location
  tags: tags
}

@batchSize(1)
resource githubFederation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [for (subject, i) in githubSubjects: {
  parent: github
  name: 'github-${i}'
  properties: {
    issuer: 'https://token.actions.githubusercontent.com'
    subject: subject
    audiences: aksAudience
  }
}]

// In the order of `environments`.
output appPrincipalIds array = [for (env, i) in environments: apps[i].properties.principalId]
output appClientIds array = [for (env, i) in environments: apps[i].properties.clientId]
output indexAdminPrincipalIds array = [for (env, i) in environments: indexAdmins[i].properties.principalId]
output indexAdminClientIds array = [for (env, i) in environments: indexAdmins[i].properties.clientId]
output githubPrincipalId string = empty(githubRepository) ? '' : github.properties.principalId
output githubClientId string = empty(githubRepository) ? '' : github.properties.clientId
