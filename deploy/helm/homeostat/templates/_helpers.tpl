{{/* Names and labels shared by every object of the chart. */}}
{{- define "homeostat.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "homeostat.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "homeostat.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "homeostat.serviceAccountName" -}}
{{- if .Values.serviceAccount.name -}}
{{- .Values.serviceAccount.name -}}
{{- else -}}
{{- include "homeostat.fullname" . -}}
{{- end -}}
{{- end -}}

{{- define "homeostat.policyConfigMap" -}}
{{- if .Values.policy.existingConfigMap -}}
{{- .Values.policy.existingConfigMap -}}
{{- else -}}
{{- printf "%s-policy" (include "homeostat.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* Environment both workloads share: Temporal, Kafka, the knowledge base, the policy. */}}
{{- define "homeostat.env" -}}
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
{{- if .Values.temporal.tls.enabled }}
{{- /* TLS even when the Secret holds neither a client pair nor a CA (a public certificate). */}}
- name: TEMPORAL_TLS
  value: "true"
{{- if .Values.temporal.tls.certKey }}
- name: TEMPORAL_TLS_CERT
  value: {{ printf "/etc/homeostat/temporal-tls/%s" .Values.temporal.tls.certKey | quote }}
- name: TEMPORAL_TLS_KEY
  value: {{ printf "/etc/homeostat/temporal-tls/%s" .Values.temporal.tls.keyKey | quote }}
{{- end }}
{{- if .Values.temporal.tls.caKey }}
- name: TEMPORAL_TLS_CA
  value: {{ printf "/etc/homeostat/temporal-tls/%s" .Values.temporal.tls.caKey | quote }}
{{- end }}
{{- if .Values.temporal.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ .Values.temporal.tls.serverName | quote }}
{{- end }}
{{- end }}
{{- if .Values.temporal.apiKey.secretName }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKey.secretName | quote }}
      key: {{ .Values.temporal.apiKey.key | quote }}
{{- end }}
{{- with .Values.kafka.tls }}
{{- if .enabled }}
- name: HOMEOSTAT_KAFKA_TLS
  value: "true"
{{- if and .secretName .caKey }}
- name: HOMEOSTAT_KAFKA_TLS_CA
  value: {{ printf "/etc/homeostat/kafka-tls/%s" .caKey | quote }}
{{- end }}
{{- if and .secretName .certKey }}
- name: HOMEOSTAT_KAFKA_TLS_CERT
  value: {{ printf "/etc/homeostat/kafka-tls/%s" .certKey | quote }}
- name: HOMEOSTAT_KAFKA_TLS_KEY
  value: {{ printf "/etc/homeostat/kafka-tls/%s" (required "kafka.tls.keyKey is required with kafka.tls.certKey" .keyKey) | quote }}
{{- end }}
{{- if .serverName }}
- name: HOMEOSTAT_KAFKA_TLS_SERVER_NAME
  value: {{ .serverName | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.kafka.sasl }}
{{- if .mechanism }}
- name: HOMEOSTAT_KAFKA_SASL_MECHANISM
  value: {{ .mechanism | quote }}
- name: HOMEOSTAT_KAFKA_SASL_USERNAME
  value: {{ required "kafka.sasl.username is required with kafka.sasl.mechanism" .username | quote }}
{{- /* A file, not an env var: environment variables show in the pod spec and /proc. */}}
- name: HOMEOSTAT_KAFKA_SASL_PASSWORD_FILE
  value: {{ printf "/etc/homeostat/kafka-sasl/%s" .passwordSecret.key | quote }}
{{- end }}
{{- end }}
- name: HOMEOSTAT_KB
  valueFrom:
    secretKeyRef:
      name: {{ .Values.knowledgeBase.urlSecret.name | quote }}
      key: {{ .Values.knowledgeBase.urlSecret.key | quote }}
- name: HOMEOSTAT_POLICY
  value: /etc/homeostat/policy/policy.yaml
- name: HOMEOSTAT_STATE_DIR
  value: /var/lib/homeostat
{{- end -}}

{{- define "homeostat.volumes" -}}
- name: policy
  configMap:
    name: {{ include "homeostat.policyConfigMap" . }}
- name: state
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- if .Values.temporal.tls.enabled }}
- name: temporal-tls
  secret:
    secretName: {{ required "temporal.tls.secretName is required when temporal.tls.enabled" .Values.temporal.tls.secretName | quote }}
{{- end }}
{{- if .Values.kafka.tls.enabled }}
{{- if .Values.kafka.tls.secretName }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.secretName | quote }}
{{- end }}
{{- end }}
{{- if .Values.kafka.sasl.mechanism }}
- name: kafka-sasl
  secret:
    secretName: {{ required "kafka.sasl.passwordSecret.name is required with kafka.sasl.mechanism" .Values.kafka.sasl.passwordSecret.name | quote }}
{{- end }}
{{- end -}}

{{- define "homeostat.volumeMounts" -}}
- name: policy
  mountPath: /etc/homeostat/policy
  readOnly: true
- name: state
  mountPath: /var/lib/homeostat
- name: tmp
  mountPath: /tmp
{{- if .Values.temporal.tls.enabled }}
- name: temporal-tls
  mountPath: /etc/homeostat/temporal-tls
  readOnly: true
{{- end }}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.secretName }}
- name: kafka-tls
  mountPath: /etc/homeostat/kafka-tls
  readOnly: true
{{- end }}
{{- if .Values.kafka.sasl.mechanism }}
- name: kafka-sasl
  mountPath: /etc/homeostat/kafka-sasl
  readOnly: true
{{- end }}
{{- end -}}
