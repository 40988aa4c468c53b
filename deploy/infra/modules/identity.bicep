// Managed identities and the federated credentials that let Kubernetes ServiceAccounts and
// GitHub Actions sign in as them: no client secrets anywhere.
param prefix string
param location string
param tags object
param oidcIssuerUrl string
@description('Namespaces the chart is installed in (staging, production).')
param namespaces array
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

resource app 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${prefix}-app'
  location: location
  tags: tags
}

// Federated credentials on one identity must be written one at a time (@batchSize(1)).
@batchSize(1)
resource appFederation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [for ns in namespaces: {
  parent: app
  name: 'aks-${ns}-${serviceAccountName}'
  properties: {
    issuer: oidcIssuerUrl
    subject: 'system:serviceaccount:${ns}:${serviceAccountName}'
    audiences: aksAudience
  }
}]

resource indexAdmin 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${prefix}-index-admin'
  location: location
  tags: tags
}

@batchSize(1)
resource indexAdminFederation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [for ns in namespaces: {
  parent: indexAdmin
  name: 'aks-${ns}-${indexAdminServiceAccountName}'
  properties: {
    issuer: oidcIssuerUrl
    subject: 'system:serviceaccount:${ns}:${indexAdminServiceAccountName}'
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

output appPrincipalId string = app.properties.principalId
output appClientId string = app.properties.clientId
output indexAdminPrincipalId string = indexAdmin.properties.principalId
output indexAdminClientId string = indexAdmin.properties.clientId
output githubPrincipalId string = empty(githubRepository) ? '' : github.properties.principalId
output githubClientId string = empty(githubRepository) ? '' : github.properties.clientId
