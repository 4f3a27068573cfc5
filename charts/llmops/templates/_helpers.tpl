{{/* ---------------------------------------------------------------- names and labels */}}

{{- define "llmops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* `<release>-llmops`, or the release name alone when it already contains the chart name. */}}
{{- define "llmops.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "llmops.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one component's objects: (dict "root" $ "component" "gateway"). */}}
{{- define "llmops.componentName" -}}
{{- printf "%s-%s" (include "llmops.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Name of one component's headless gRPC Service, `<component name>-grpc`: the base is cut to 58
characters first, so the name stays a 63-character DNS label and keeps its suffix whatever the
release name: (dict "root" $ "component" "encoder").
*/}}
{{- define "llmops.grpcServiceName" -}}
{{- printf "%s-%s" (include "llmops.fullname" .root) .component | trunc 58 | trimSuffix "-" | printf "%s-grpc" -}}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "gateway"). */}}
{{- define "llmops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "llmops.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
All labels of one component's objects: (dict "root" $ "component" "gateway" "role" "gateway").
llmops.io/role (gateway, subgraph, inference, model-cache) is what the NetworkPolicies select by.
*/}}
{{- define "llmops.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "llmops.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: llmops
llmops.io/role: {{ .role }}
{{- end -}}

{{/* repository@digest, or repository:tag (tag defaults to the chart's appVersion): (dict "image" .. "root" $). */}}
{{- define "llmops.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{/* ---------------------------------------------------------------- services */}}

{{/*
The enabled services, each merged over a copy of serviceDefaults, as YAML (read it back with
fromYaml). Every template ranges over this, so no template knows a service by name.
*/}}
{{- define "llmops.services" -}}
{{- $services := dict -}}
{{- range $name, $service := .Values.services -}}
{{- $merged := mergeOverwrite (deepCopy $.Values.serviceDefaults) (deepCopy (default (dict) $service)) -}}
{{- if $merged.enabled -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "services.%s: a service name must be a DNS label (lower case, digits, '-')" $name) -}}
{{- end -}}
{{- $_ := required (printf "services.%s.role is required" $name) $merged.role -}}
{{- $_ := required (printf "services.%s.main is required" $name) $merged.main -}}
{{- $_ := required (printf "services.%s.ports.http is required" $name) (($merged.ports | default dict).http) -}}
{{- $_ := set $services $name $merged -}}
{{- end -}}
{{- end -}}
{{- toYaml $services -}}
{{- end -}}

{{/* True (non-empty) when an enabled service uses the model cache. */}}
{{- define "llmops.modelCache.used" -}}
{{- range $name, $service := include "llmops.services" . | fromYaml -}}
{{- if has "modelCache" ($service.uses | default list) }}true{{ end -}}
{{- end -}}
{{- end -}}

{{- define "llmops.modelCache.claimName" -}}
{{- .Values.modelCache.persistence.existingClaim | default (include "llmops.componentName" (dict "root" . "component" "model-cache")) -}}
{{- end -}}

{{/*
The plain (non-secret) environment of one service, as YAML: (dict "root" $ "name" .. "service" ..).
It becomes the service's ConfigMap; the service's `env` wins over what is computed here.
*/}}
{{- define "llmops.service.env" -}}
{{- $root := .root -}}
{{- $service := .service -}}
{{- $uses := $service.uses | default list -}}
{{- $env := dict
  "NODE_ENV" "production"
  "HOST" "0.0.0.0"
  "HTTP_PORT" (toString $service.ports.http)
  "LOG_LEVEL" $service.logLevel
  "SHUTDOWN_GRACE_MS" (toString (mul (max 1 (sub (int $service.terminationGracePeriodSeconds) (add (int $service.preStopSleepSeconds) 5))) 1000))
-}}
{{- with $service.ports.grpc }}{{ $_ := set $env "GRPC_PORT" (toString .) }}{{ end -}}
{{- with $root.Values.otel.endpoint }}{{ $_ := set $env "OTEL_EXPORTER_OTLP_ENDPOINT" . }}{{ end -}}
{{- if eq $service.role "gateway" -}}
{{- /* Behind the Ingress controller, the client is the address it appends to X-Forwarded-For. */ -}}
{{- if $root.Values.ingress.enabled }}{{ $_ := set $env "GATEWAY_TRUSTED_PROXY_HOPS" "1" }}{{ end -}}
{{- range $peer, $peerService := include "llmops.services" $root | fromYaml -}}
{{- if eq $peerService.role "subgraph" -}}
{{- $_ := set $env (printf "%s_URL" (upper (replace "-" "_" $peer))) (printf "http://%s:%v/graphql" (include "llmops.componentName" (dict "root" $root "component" $peer)) $peerService.ports.http) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if has "kafka" $uses }}{{ $_ := set $env "KAFKA_BROKERS" (join "," $root.Values.kafka.brokers) }}{{ end -}}
{{- if has "modelCache" $uses }}{{ $_ := set $env "MODEL_DIR" $root.Values.modelCache.mountPath }}{{ end -}}
{{- range $peer, $peerService := include "llmops.services" $root | fromYaml -}}
{{- if and (has $peer $uses) $peerService.ports.grpc -}}
{{- /* The headless Service: the name resolves to every ready pod, so the client balances calls. */ -}}
{{- $_ := set $env (printf "%s_ADDRESS" (upper (replace "-" "_" $peer))) (printf "%s:%v" (include "llmops.grpcServiceName" (dict "root" $root "component" $peer)) $peerService.ports.grpc) -}}
{{- end -}}
{{- end -}}
{{- if and (has "vllm" $uses) $root.Values.inference.vllm.enabled -}}
{{- $_ := set $env "GENERATION_BACKEND_URL" (printf "%s/v1" (include "llmops.inference.url" (dict "root" $root "server" "vllm"))) -}}
{{- $_ := set $env "GENERATION_BACKEND_MODEL" $root.Values.inference.vllm.servedModelName -}}
{{- end -}}
{{- if and (has "tei" $uses) $root.Values.inference.tei.enabled -}}
{{- $_ := set $env "ENCODER_BACKEND" "openai" -}}
{{- $_ := set $env "ENCODER_BACKEND_URL" (include "llmops.inference.url" (dict "root" $root "server" "tei")) -}}
{{- end -}}
{{- if and (has "elasticsearch" $uses) (not $root.Values.elasticsearch.credentialsSecret.name) -}}
{{- $_ := set $env "ELASTICSEARCH_URL" $root.Values.elasticsearch.url -}}
{{- end -}}
{{- if and (has "elasticsearch" $uses) $root.Values.elasticsearch.caSecret.name -}}
{{- $_ := set $env "NODE_EXTRA_CA_CERTS" "/etc/llmops/elasticsearch-ca/ca.crt" -}}
{{- end -}}
{{- range $key, $value := $service.env }}{{ $_ := set $env $key (toString $value) }}{{ end -}}
{{- toYaml $env -}}
{{- end -}}

{{/*
Container env entries that come from secrets: (dict "root" $ "service" ..). A name that the
service's `env` or `extraEnv` sets is left out, so those win here too (`env` reaches the container
through the ConfigMap, which a container's own entry would otherwise shadow).
*/}}
{{- define "llmops.service.secretEnv" -}}
{{- $root := .root -}}
{{- $uses := .service.uses | default list -}}
{{- $overridden := keys (.service.env | default dict) -}}
{{- range .service.extraEnv | default list }}{{ $overridden = append $overridden .name }}{{ end -}}
{{- /* Every program signs or verifies the internal identity header with the same secret. */}}
{{- if not (has "INTERNAL_AUTH_SECRET" $overridden) }}
- name: INTERNAL_AUTH_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ required "auth.internalSecret.name is required" $root.Values.auth.internalSecret.name }}
      key: {{ $root.Values.auth.internalSecret.key }}
{{- end }}
{{- if and (eq .service.role "gateway") $root.Values.auth.bootstrapApiKeySecret.name (not (has "AUTH_BOOTSTRAP_API_KEY" $overridden)) }}
- name: AUTH_BOOTSTRAP_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.auth.bootstrapApiKeySecret.name }}
      key: {{ $root.Values.auth.bootstrapApiKeySecret.key }}
{{- end }}
{{- if and (has "postgresql" $uses) (not (has "DATABASE_URL" $overridden)) }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "postgresql.urlSecret.name is required" $root.Values.postgresql.urlSecret.name }}
      key: {{ $root.Values.postgresql.urlSecret.key }}
{{- end }}
{{- if and (has "elasticsearch" $uses) $root.Values.elasticsearch.credentialsSecret.name (not (has "ELASTICSEARCH_URL" $overridden)) }}
{{- $credentials := $root.Values.elasticsearch.credentialsSecret }}
{{- /* Only for the URL below: change elasticsearch.credentialsSecret rather than this. */}}
- name: ELASTICSEARCH_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $credentials.name }}
      key: {{ $credentials.passwordKey }}
{{- /* $(VAR) is expanded by the kubelet from the entry above. */}}
- name: ELASTICSEARCH_URL
  value: {{ regexReplaceAll "^(https?://)" $root.Values.elasticsearch.url (printf "${1}%s:$(ELASTICSEARCH_PASSWORD)@" $credentials.username) | quote }}
{{- end }}
{{- end -}}

{{/* ---------------------------------------------------------------- pods */}}

{{- define "llmops.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "llmops.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Preferred spread over zones, then nodes: (dict "root" $ "component" .. "whenUnsatisfiable" ..). */}}
{{- define "llmops.topologySpread" -}}
{{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
- maxSkew: 1
  topologyKey: {{ $key }}
  whenUnsatisfiable: {{ $.whenUnsatisfiable }}
  labelSelector:
    matchLabels:
      {{- include "llmops.selectorLabels" $ | nindent 6 }}
  matchLabelKeys: [pod-template-hash]
{{- end }}
{{- end -}}

{{/* The model-fetch Job's pod spec (hashed into the Job's name). */}}
{{- define "llmops.modelCache.fetchPodSpec" -}}
{{- $cache := .Values.modelCache -}}
{{- $job := $cache.fetchJob -}}
restartPolicy: OnFailure
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- include "llmops.podSecurityContext" . | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: fetch-models
    image: {{ include "llmops.image" (dict "image" $job.image "root" .) }}
    imagePullPolicy: {{ $job.image.pullPolicy }}
    env:
      - { name: LLMOPS_MODEL_DIR, value: {{ $cache.mountPath | quote }} }
      - { name: LLMOPS_FETCH_EXTRA_MODELS, value: {{ ternary "1" "0" $job.extraModels | quote }} }
      # Maven's and pip's caches go to the scratch volume; the root filesystem is read-only.
      - { name: HOME, value: /scratch }
      {{- range $key, $value := $job.env }}
      - { name: {{ $key }}, value: {{ toString $value | quote }} }
      {{- end }}
    resources:
      {{- toYaml $job.resources | nindent 6 }}
    securityContext:
      {{- include "llmops.containerSecurityContext" . | nindent 6 }}
    volumeMounts:
      - { name: model-cache, mountPath: {{ $cache.mountPath }} }
      - { name: scratch, mountPath: /scratch }
      - { name: tmp, mountPath: /tmp }
volumes:
  - name: model-cache
    persistentVolumeClaim:
      claimName: {{ include "llmops.modelCache.claimName" . }}
  # Maven's local repository and pip's download cache: about 300 MiB at most.
  - name: scratch
    emptyDir: { sizeLimit: 1Gi }
  - name: tmp
    emptyDir: { sizeLimit: 256Mi }
{{- end -}}

{{/* ---------------------------------------------------------------- inference servers */}}

{{/*
What differs between the inference servers, as YAML: how to start them and where they listen.
(dict "root" $ "server" "vllm"|"tei").
*/}}
{{- define "llmops.inference.spec" -}}
{{- $values := index .root.Values.inference .server -}}
{{- if eq .server "vllm" -}}
command: [vllm, serve]
args:
  - {{ $values.model | quote }}
  - --served-model-name={{ $values.servedModelName }}
  - --host=0.0.0.0
  - --port=8000
containerPort: 8000
servicePort: 8000
healthPath: /health
env:
  VLLM_NO_USAGE_STATS: "1"
  DO_NOT_TRACK: "1"
  # uid 10001 has no passwd entry in the image: torch's getpass.getuser() (its inductor cache dir
  # defaults to /tmp/torchinductor_<user>) reads these first, or fails at import.
  USER: llmops
  LOGNAME: llmops
  TORCHINDUCTOR_CACHE_DIR: /scratch/.cache/torchinductor
{{- else if eq .server "tei" -}}
args:
  - --model-id={{ $values.model }}
  - --port=8080
  - --hostname=0.0.0.0
  - --huggingface-hub-cache=/models/huggingface/hub
  - --prometheus-port=9000
  - --json-output
containerPort: 8080
servicePort: 80
metricsPort: 9000
healthPath: /health
env: {}
{{- else -}}
{{- fail (printf "inference.%s: unknown inference server" .server) -}}
{{- end -}}
{{- end -}}

{{/* http://<server service>:<port>: (dict "root" $ "server" ..). */}}
{{- define "llmops.inference.url" -}}
{{- $spec := include "llmops.inference.spec" . | fromYaml -}}
{{- printf "http://%s:%v" (include "llmops.componentName" (dict "root" .root "component" .server)) $spec.servicePort -}}
{{- end -}}
