{{/* Names and labels shared by every template. */}}

{{- define "tmcp.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tmcp.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tmcp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tmcp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tmcp.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tmcp.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "tmcp.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The config file's content; the Deployment's ConfigMap and the migration hook's share it. */}}
{{- define "tmcp.configYaml" -}}
{{- if .Values.config -}}
{{ toYaml .Values.config }}
{{- else -}}
{}
{{- end -}}
{{- end -}}

{{/* Environment of tmcp-server, for the Deployment and the migration Job alike. */}}
{{- define "tmcp.env" -}}
- name: TMCP_CONFIG
  value: /etc/tmcp/config.yaml
- name: TMCP_DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secret.name }}
      key: {{ .Values.secret.databaseUrlKey }}
- name: TMCP_REDIS__URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secret.name }}
      key: {{ .Values.secret.redisUrlKey }}
{{- if .Values.secret.metricsTokenKey }}
# What Prometheus presents to scrape /metrics; without it /metrics answers 503.
- name: TMCP_METRICS__BEARER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secret.name }}
      key: {{ .Values.secret.metricsTokenKey }}
      optional: true
{{- end }}
- name: TMCP_SERVICE__HOST
  value: "0.0.0.0"
- name: TMCP_SERVICE__PORT
  value: {{ .Values.service.httpPort | quote }}
- name: TMCP_GRPC__PORT
  value: {{ .Values.service.grpcPort | quote }}
- name: TMCP_AGENT_SERVICE__PORT
  value: {{ .Values.service.agentPort | quote }}
- name: TMCP_SERVICE__LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
