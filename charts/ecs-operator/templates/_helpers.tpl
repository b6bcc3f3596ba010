{{/* Names and labels shared by every template. */}}

{{- define "ecs-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ecs-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "ecs-operator.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "ecs-operator.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "ecs-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecs-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ecs-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "ecs-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ecs-operator
{{- end }}

{{- define "ecs-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ecs-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ecs-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
What the controllers do to their own kinds, in every watched namespace. One comment per rule
says why; tests/integration/packaging.rs checks these against the requests a real run makes.
*/}}
{{- define "ecs-operator.watchedRules" -}}
# The six controllers list and watch their kinds; finalizers are added and removed with patches.
# An ECSService or ECSTask reads the TaskDefinition and ECSCluster it references from those watches' caches.
- apiGroups: ["ecs.operator.dev"]
  resources: ["taskdefinitions", "ecsservices", "ecsclusters", "capacityproviders", "ecstasks", "ecsexpressservices"]
  verbs: ["list", "watch", "patch"]
# An ECSTask is deleted ttlSecondsAfterFinished after its run finished, as a Job is.
- apiGroups: ["ecs.operator.dev"]
  resources: ["ecstasks"]
  verbs: ["delete"]
# Status (conditions, ARNs, drift) is written with server-side apply on /status only.
- apiGroups: ["ecs.operator.dev"]
  resources: ["taskdefinitions/status", "ecsservices/status", "ecsclusters/status", "capacityproviders/status", "ecstasks/status", "ecsexpressservices/status"]
  verbs: ["patch"]
# Warning and Normal events on the objects; a repeated event is patched into a series.
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{- define "ecs-operator.leaseName" -}}
{{- default (include "ecs-operator.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/*
Polling intervals: null values take the operator's own defaults for the mode it runs in (with an
events queue, polling is only the safety net), written out so the Deployment shows them.
*/}}
{{- define "ecs-operator.servicePollSeconds" -}}
{{- .Values.intervals.servicePollSeconds | default (ternary 600 20 (not (empty .Values.events.queueUrl))) }}
{{- end }}

{{- define "ecs-operator.resyncSeconds" -}}
{{- .Values.intervals.resyncSeconds | default (ternary 600 300 (not (empty .Values.events.queueUrl))) }}
{{- end }}
