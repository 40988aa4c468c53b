// Log Analytics (Container Insights lands here), saved KQL queries, and an alert on pod restarts.
param name string
param location string
param tags object
@description('Where alerts go. Empty: the alert still fires and shows in the portal, but mails no one.')
param alertEmail string
@description('Kubernetes namespaces DocChat runs in.')
param namespaces array
param retentionInDays int = 30

var nsFilter = 'dynamic([${join(map(namespaces, ns => '"${ns}"'), ', ')}])'

// oauth2-proxy logs one line per request ending in `"<user agent>" <status> <bytes> <seconds>`.
var requestLog = '''
ContainerLogV2
| where PodNamespace in (NAMESPACES) and ContainerName == "oauth2-proxy"
| extend line = tostring(LogMessage)
| extend status = toint(extract(@'" (\d{3}) \d+ [\d.]+$', 1, line)), seconds = todouble(extract(@'" \d{3} \d+ ([\d.]+)$', 1, line))
| where isnotnull(status)
'''

var queries = [
  {
    id: 'pod-restarts'
    displayName: 'DocChat: pod restarts'
    query: replace('''
KubePodInventory
| where Namespace in (NAMESPACES)
| summarize restarts = max(PodRestartCount) - min(PodRestartCount) by Name, ContainerName, bin(TimeGenerated, 15m)
| where restarts > 0
| order by TimeGenerated desc
''', 'NAMESPACES', nsFilter)
  }
  {
    id: 'http-5xx'
    displayName: 'DocChat: HTTP 5xx responses'
    query: replace('${requestLog}| summarize total = count(), errors = countif(status >= 500) by bin(TimeGenerated, 5m)\n| extend errorRate = round(100.0 * errors / total, 2)\n| order by TimeGenerated desc', 'NAMESPACES', nsFilter)
  }
  {
    id: 'latency'
    displayName: 'DocChat: request latency p50/p95/p99 (seconds)'
    query: replace('${requestLog}| where line !has "/_stcore/stream"\n| summarize p50 = percentile(seconds, 50), p95 = percentile(seconds, 95), p99 = percentile(seconds, 99) by bin(TimeGenerated, 5m)\n| order by TimeGenerated desc', 'NAMESPACES', nsFilter)
  }
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource savedSearches 'Microsoft.OperationalInsights/workspaces/savedSearches@2020-08-01' = [for q in queries: {
  parent: workspace
  name: 'docchat-${q.id}'
  properties: {
    category: 'DocChat'
    displayName: q.displayName
    query: q.query
    version: 2
  }
}]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${name}-oncall'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'docchat'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'oncall'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource restartAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${name}-docchat-pod-restarts'
  location: location
  tags: tags
  properties: {
    displayName: 'DocChat pods are restarting'
    description: 'More than 3 container restarts in DocChat namespaces within 15 minutes (crash loop, OOM kill or failing liveness probe).'
    severity: 2
    enabled: true
    scopes: [workspace.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: replace('''
KubePodInventory
| where Namespace in (NAMESPACES)
| summarize restarts = max(PodRestartCount) - min(PodRestartCount) by PodUid, ContainerName
| summarize restarts = sum(restarts)
''', 'NAMESPACES', nsFilter)
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'restarts'
          operator: 'GreaterThan'
          threshold: 3
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [actionGroup.id]
    }
  }
}

output workspaceId string = workspace.id
output workspaceName string = workspace.name
output workspaceCustomerId string = workspace.properties.customerId
