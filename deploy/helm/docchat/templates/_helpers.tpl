{{/* vim: set filetype=mustache: */}}

{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "docchat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name: release-chart, unless the release name already contains the chart name. */}}
{{- define "docchat.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "docchat.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the pods; never change them on upgrade (Deployment selectors are immutable). */}}
{{- define "docchat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "docchat.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "docchat.labels" -}}
helm.sh/chart: {{ include "docchat.chart" . }}
{{ include "docchat.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: docchat
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "docchat.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "docchat.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* registry/repository:tag or @digest */}}
{{- define "docchat.imageRef" -}}
{{- $ref := printf "%s/%s" .image.registry .image.repository -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $ref .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref (default .default .image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "docchat.image" -}}
{{- include "docchat.imageRef" (dict "image" .Values.image "default" .Chart.AppVersion) -}}
{{- end -}}

{{- define "docchat.authProxyImage" -}}
{{- include "docchat.imageRef" (dict "image" .Values.authProxy.image "default" "latest") -}}
{{- end -}}

{{/* The Kubernetes Secret holding the cookie secrets: synced from Key Vault unless an existing one is named. */}}
{{- define "docchat.secretName" -}}
{{- default (printf "%s-keyvault" (include "docchat.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "docchat.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "docchat.fullname" .)) .Values.certificate.secretName -}}
{{- end -}}

{{- define "docchat.gatewayName" -}}
{{- printf "%s-gateway" (include "docchat.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "docchat.gatewayNamespace" -}}
{{- default .Release.Namespace .Values.gateway.namespace -}}
{{- end -}}

{{/* Sticky sessions matter once more than one pod can serve: Streamlit keeps a session's state,
     uploads and media in the memory of the pod whose websocket it holds. */}}
{{- define "docchat.multiReplica" -}}
{{- if or (gt (int .Values.replicaCount) 1) (and .Values.autoscaling.enabled (gt (int .Values.autoscaling.maxReplicas) 1)) -}}
true
{{- end -}}
{{- end -}}

{{/* A CSP that Streamlit tolerates: its frontend injects inline scripts and styles, Vega charts
     need eval, and the app talks to its own origin over a websocket. Everything else is 'self'. */}}
{{- define "docchat.csp" -}}
{{- if .Values.securityHeaders.contentSecurityPolicy -}}
{{- .Values.securityHeaders.contentSecurityPolicy -}}
{{- else -}}
{{- $parts := list
  "default-src 'self'"
  "script-src 'self' 'unsafe-inline' 'unsafe-eval'"
  "style-src 'self' 'unsafe-inline'"
  "img-src 'self' data: blob:"
  "font-src 'self' data:"
  (printf "connect-src 'self' wss://%s" .Values.host)
  "worker-src 'self' blob:"
  "frame-src 'self' blob: data:"
  "media-src 'self' blob: data:"
  "object-src 'none'"
  "base-uri 'self'"
  "form-action 'self' https://login.microsoftonline.com"
  "frame-ancestors 'none'" -}}
{{- join "; " $parts -}}
{{- end -}}
{{- end -}}

{{/* Response headers set at the edge (oauth2-proxy cannot add arbitrary headers). */}}
{{- define "docchat.securityHeaders" -}}
Strict-Transport-Security: {{ .Values.securityHeaders.hsts | quote }}
Content-Security-Policy: {{ include "docchat.csp" . | quote }}
X-Content-Type-Options: "nosniff"
X-Frame-Options: "DENY"
Referrer-Policy: {{ .Values.securityHeaders.referrerPolicy | quote }}
Permissions-Policy: {{ .Values.securityHeaders.permissionsPolicy | quote }}
Cross-Origin-Opener-Policy: "same-origin"
{{- end -}}

{{/* Identity headers a client must never be able to send: the app trusts them in RAG_AUTH_MODE=proxy.
     oauth2-proxy overwrites the X-Forwarded-* ones it injects, but passes any other header through. */}}
{{- define "docchat.spoofableHeaders" -}}
- X-Auth-Request-User
- X-Auth-Request-Email
- X-Auth-Request-Groups
- X-Auth-Request-Preferred-Username
- X-Auth-Request-Access-Token
- X-Forwarded-User
- X-Forwarded-Email
- X-Forwarded-Groups
- X-Forwarded-Preferred-Username
- X-Forwarded-Access-Token
{{- end -}}

{{/* The one health check of the app container. Streamlit listens on 127.0.0.1 only, so kubelet's
     httpGet (which dials the pod IP) cannot reach it; an exec probe runs inside the container's
     network namespace, where 127.0.0.1 is Streamlit. Probing through the proxy (/ping) would only
     prove the proxy is up, and a --skip-auth-route for the health path would publish it unauthenticated. */}}
{{- define "docchat.appHealthExec" -}}
exec:
  command:
    - python
    - -c
    - {{ printf "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%d/_stcore/health', timeout=4).status == 200 else 1)" (int .Values.app.port) | quote }}
{{- end -}}
