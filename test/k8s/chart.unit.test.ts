// charts/llmops, proven without a cluster: helm lint, helm template of the default, GPU and
// production values, every object checked against the Kubernetes schemas, and the policies the
// chart promises (resources, probes, non-root, a NetworkPolicy for every Service, ...).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse } from 'yaml';
import { subgraphs } from '../../gateway/src/subgraphs';
import { InternalAuth } from '@llmops/platform';
import { configSchema as gatewayConfig, subgraphTimeoutMs } from '../../gateway/src/config-schema';
import { configSchema as encoderConfig } from '../../services/encoder/src/config-schema';
import { configSchema as feedbackConfig } from '../../services/feedback/src/config-schema';
import { configSchema as generationConfig } from '../../services/generation/src/config-schema';
import { configSchema as promptRegistryConfig } from '../../services/prompt-registry/src/config-schema';
import { configSchema as retrievalConfig } from '../../services/retrieval/src/config-schema';
import { chartDir, helm, parseManifests, renderChart, renderError, renderNotes, renderVariant, repoRoot, variants, type K8sObject, type Variant } from './helm';
import { schemaErrors, unknownFieldErrors } from './kube-schemas';

interface ServiceValues {
  role: 'gateway' | 'subgraph';
  main: string;
  ports: { http: number; grpc?: number };
  uses?: string[];
}
const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as {
  services: Record<string, ServiceValues>;
  image: { repository: string };
  modelCache: { mountPath: string; fetchJob: { image: { repository: string } } };
};
const serviceNames = Object.keys(values.services);
const fullName = (component: string) => `llmops-${component}`;

const ofKind = <T>(objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind) as unknown as Array<T & K8sObject>;
const named = <T extends { metadata?: { name?: string } }>(objects: T[], name: string): T => {
  const found = objects.find((o) => o.metadata?.name === name);
  if (!found) throw new Error(`no object named ${name}`);
  return found;
};
const podSpecs = (objects: K8sObject[]): Array<{ owner: string; spec: IPodSpec; long: boolean }> => [
  ...ofKind<IDeployment>(objects, 'Deployment').map((d) => ({ owner: `Deployment/${d.metadata.name}`, spec: d.spec!.template.spec!, long: true })),
  ...ofKind<IJob>(objects, 'Job').map((j) => ({ owner: `Job/${j.metadata.name}`, spec: j.spec!.template.spec!, long: false })),
];
const containersOf = (spec: IPodSpec): IContainer[] => [...(spec.initContainers ?? []), ...spec.containers];
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
/** The environment a container sees from its ConfigMap(s) and plain env entries. */
function envOf(objects: K8sObject[], container: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, named(ofKind<IConfigMap>(objects, 'ConfigMap'), from.configMapRef.name!).data);
  }
  for (const entry of container.env ?? []) env[entry.name] = entry.value ?? `<from ${entry.valueFrom?.secretKeyRef?.name}/${entry.valueFrom?.secretKeyRef?.key}>`;
  return env;
}
const mainContainer = (objects: K8sObject[], component: string) =>
  named(ofKind<IDeployment>(objects, 'Deployment'), fullName(component)).spec!.template.spec!.containers[0]!;
const configSchemas = { gateway: gatewayConfig, encoder: encoderConfig, feedback: feedbackConfig, generation: generationConfig, 'prompt-registry': promptRegistryConfig, retrieval: retrievalConfig };
// Values that come from secrets in a cluster.
const secretValues: Record<string, string> = {
  DATABASE_URL: 'postgresql://llmops@postgres:5432/llmops',
  ELASTICSEARCH_PASSWORD: 'secret',
  INTERNAL_AUTH_SECRET: 'x'.repeat(48),
};
/** The environment a service's program reads, with its secrets filled in and $(VAR) references expanded. */
function programEnv(objects: K8sObject[], name: string): Record<string, string> {
  const env = envOf(objects, mainContainer(objects, name));
  for (const key of Object.keys(env)) if (env[key]!.startsWith('<from ')) env[key] = secretValues[key] ?? env[key]!;
  // Kubernetes expands $(VAR) references to earlier entries.
  for (const key of Object.keys(env)) env[key] = env[key]!.replace(/\$\((\w+)\)/g, (_, ref: string) => env[ref] ?? '');
  return env;
}
/** gRPC targets: bare host:port (grpc-js's dns resolver) or dns:///host:port. */
const grpcTarget = (address: string) => {
  const match = /^(?:dns:\/\/\/)?([^:/\s]+):(\d+)$/.exec(address);
  if (!match) throw new Error(`not a gRPC target: ${address}`);
  return { host: match[1]!, port: Number(match[2]) };
};

describe.each(Object.keys(variants) as Variant[])('chart rendered with the %s values', (variant) => {
  const objects = () => renderVariant(variant);

  test('helm lint --strict passes', () => {
    const out = helm(['lint', '--strict', chartDir, ...variants[variant].flatMap((f) => ['--values', join(chartDir, f)])]);
    expect(out).toContain('0 chart(s) failed');
  });

  test('every object is valid against the Kubernetes schemas, with no unknown field', () => {
    expect(objects().length).toBeGreaterThan(30);
    expect(objects().flatMap(schemaErrors)).toEqual([]);
    expect(unknownFieldErrors(objects())).toEqual([]);
  });

  test('object names are unique per kind', () => {
    const keys = objects().map((o) => `${o.kind}/${o.metadata.name}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  test('one Deployment, Service, ServiceAccount, ConfigMap, PodDisruptionBudget and HPA per service', () => {
    for (const name of serviceNames) {
      for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'ConfigMap', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']) {
        expect({ name, kind, found: objects().some((o) => o.kind === kind && o.metadata.name === fullName(name)) }).toEqual({ name, kind, found: true });
      }
    }
  });

  test('every container has CPU and memory requests and limits', () => {
    for (const { owner, spec } of podSpecs(objects())) {
      for (const c of containersOf(spec)) {
        const { requests = {}, limits = {} } = c.resources ?? {};
        expect({ owner, container: c.name, requests: Object.keys(requests).filter((k) => k === 'cpu' || k === 'memory').sort(), limits: Object.keys(limits).filter((k) => k === 'cpu' || k === 'memory').sort() }).toEqual({
          owner,
          container: c.name,
          requests: ['cpu', 'memory'],
          limits: ['cpu', 'memory'],
        });
      }
    }
  });

  test('every container runs as a non-root user, read-only, without privileges', () => {
    for (const { owner, spec } of podSpecs(objects())) {
      expect({ owner, pod: spec.securityContext?.runAsNonRoot, seccomp: spec.securityContext?.seccompProfile?.type }).toEqual({ owner, pod: true, seccomp: 'RuntimeDefault' });
      for (const c of containersOf(spec)) {
        const sc = c.securityContext ?? {};
        const user = sc.runAsUser ?? spec.securityContext?.runAsUser;
        expect({ owner, container: c.name, runAsNonRoot: sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot, nonRootUser: typeof user === 'number' && user > 0, readOnlyRootFilesystem: sc.readOnlyRootFilesystem, allowPrivilegeEscalation: sc.allowPrivilegeEscalation, privileged: sc.privileged ?? false, drop: sc.capabilities?.drop }).toEqual({
          owner,
          container: c.name,
          runAsNonRoot: true,
          nonRootUser: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          drop: ['ALL'],
        });
      }
    }
  });

  test('every long-running container has startup, liveness and readiness probes; gRPC ports get gRPC health probes', () => {
    for (const { owner, spec } of podSpecs(objects()).filter((p) => p.long)) {
      for (const c of spec.containers) {
        expect({ owner, startup: !!c.startupProbe, liveness: !!c.livenessProbe, readiness: !!c.readinessProbe }).toEqual({ owner, startup: true, liveness: true, readiness: true });
      }
    }
    for (const [name, service] of Object.entries(values.services)) {
      const c = mainContainer(objects(), name);
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.livenessProbe).toEqual(expect.objectContaining(service.ports.grpc ? { grpc: { port: service.ports.grpc } } : { httpGet: { path: '/healthz', port: 'http' } }));
    }
  });

  test("every service's environment satisfies its configuration schema (no pod exits on a missing setting)", () => {
    for (const [name, schema] of Object.entries(configSchemas)) {
      const env = programEnv(objects(), name);
      const parsed = schema.safeParse(env);
      expect({ name, issues: parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }).toEqual({ name, issues: [] });
      // Production requires authentication, hence the internal secret.
      expect(env['NODE_ENV']).toBe('production');
      expect(() => InternalAuth.fromConfig(parsed.data!)).not.toThrow();
    }
  });

  test('every Service has a NetworkPolicy that selects its pods and covers its ports', () => {
    const policies = ofKind<INetworkPolicy>(objects(), 'NetworkPolicy');
    const deployments = ofKind<IDeployment>(objects(), 'Deployment');
    for (const service of ofKind<IService>(objects(), 'Service')) {
      const selector = service.spec!.selector;
      const pod = deployments.find((d) => selects(selector, d.spec!.template.metadata!.labels));
      expect({ service: service.metadata.name, hasPods: !!pod }).toEqual({ service: service.metadata.name, hasPods: true });
      const covering = policies.filter((p) => selects(p.spec!.podSelector.matchLabels, pod!.spec!.template.metadata!.labels));
      const allowed = new Set(covering.flatMap((p) => (p.spec!.ingress ?? []).flatMap((rule) => (rule.ports ?? []).map((port) => String(port.port)))));
      expect({ service: service.metadata.name, ports: service.spec!.ports!.map((p) => String(p.targetPort)).filter((p) => !allowed.has(p)) }).toEqual({ service: service.metadata.name, ports: [] });
    }
  });

  test('subgraphs accept calls only from the gateway and the other subgraphs (and the metrics scraper)', () => {
    const policies = ofKind<INetworkPolicy>(objects(), 'NetworkPolicy');
    const peerSelector = {
      matchLabels: { 'app.kubernetes.io/name': 'llmops', 'app.kubernetes.io/instance': 'llmops' },
      matchExpressions: [{ key: 'llmops.io/role', operator: 'In', values: ['gateway', 'subgraph'] }],
    };
    for (const [name, service] of Object.entries(values.services).filter(([, s]) => s.role === 'subgraph')) {
      const policy = named(policies, fullName(name));
      const rules = policy.spec!.ingress!;
      for (const rule of rules) expect({ name, from: Array.isArray(rule.from) && rule.from.length > 0 }).toEqual({ name, from: true });
      const apiRule = rules.find((r) => r.from!.some((peer) => JSON.stringify(peer.podSelector) === JSON.stringify(peerSelector) && !peer.namespaceSelector));
      expect(apiRule?.ports?.map((p) => p.port).sort()).toEqual(service.ports.grpc ? ['grpc', 'http'] : ['http']);
      // Every other rule is the scraper's, and opens the HTTP port only.
      for (const rule of rules.filter((r) => r !== apiRule)) expect(rule.ports?.map((p) => p.port)).toEqual(['http']);
    }
  });

  test('pods use their own ServiceAccount without an API token, and references resolve', () => {
    const accounts = ofKind<K8sObject & { automountServiceAccountToken?: boolean }>(objects(), 'ServiceAccount');
    const claims = ofKind<K8sObject>(objects(), 'PersistentVolumeClaim').map((c) => c.metadata.name);
    const externalClaims = ['llmops-vllm-weights'];
    for (const { owner, spec, long } of podSpecs(objects())) {
      expect({ owner, automount: spec.automountServiceAccountToken }).toEqual({ owner, automount: false });
      if (long) expect({ owner, account: accounts.some((a) => a.metadata.name === spec.serviceAccountName && a.automountServiceAccountToken === false) }).toEqual({ owner, account: true });
      for (const volume of spec.volumes ?? []) {
        const claim = volume.persistentVolumeClaim?.claimName;
        if (claim) expect({ owner, claim, exists: claims.includes(claim) || externalClaims.includes(claim) }).toEqual({ owner, claim, exists: true });
      }
      for (const c of containersOf(spec)) {
        const mounts = (c.volumeMounts ?? []).map((m) => m.name);
        expect({ owner, container: c.name, missing: mounts.filter((m) => !(spec.volumes ?? []).some((v) => v.name === m)) }).toEqual({ owner, container: c.name, missing: [] });
      }
    }
  });

  test('every Deployment has a PodDisruptionBudget; an autoscaled one has an HPA and no fixed replica count', () => {
    const pdbs = ofKind<IPodDisruptionBudget>(objects(), 'PodDisruptionBudget');
    const hpas = ofKind<IHorizontalPodAutoscaler>(objects(), 'HorizontalPodAutoscaler');
    for (const d of ofKind<IDeployment>(objects(), 'Deployment')) {
      const labels = d.spec!.template.metadata!.labels;
      expect({ deployment: d.metadata.name, pdb: pdbs.some((p) => selects(p.spec!.selector!.matchLabels, labels)) }).toEqual({ deployment: d.metadata.name, pdb: true });
      expect(selects(d.spec!.selector.matchLabels, labels)).toBe(true);
      const hpa = hpas.find((h) => h.spec!.scaleTargetRef.name === d.metadata.name);
      if (hpa) expect({ deployment: d.metadata.name, replicas: d.spec!.replicas }).toEqual({ deployment: d.metadata.name, replicas: undefined });
    }
  });

  test('service pods spread over zones and nodes, roll without downtime, and stop gracefully', () => {
    for (const name of serviceNames) {
      const d = named(ofKind<IDeployment>(objects(), 'Deployment'), fullName(name));
      const pod = d.spec!.template.spec!;
      expect(pod.topologySpreadConstraints?.map((t) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
      expect(d.spec!.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
      const c = pod.containers[0]!;
      const graceMs = Number(envOf(objects(), c)['SHUTDOWN_GRACE_MS']);
      const preStopMs = (c.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
      expect(graceMs + preStopMs).toBeLessThan(pod.terminationGracePeriodSeconds! * 1000);
    }
  });

  test('the gateway, generation, encoder and retrieval drain for as long as the deadlines of their calls in flight', () => {
    const generation = generationConfig.parse(programEnv(objects(), 'generation'));
    const retrieval = retrievalConfig.parse(programEnv(objects(), 'retrieval'));
    const deadlines: Record<string, number> = {
      // A generation call, rendering and queueing included, which the gateway proxies.
      generation: generation.GENERATION_TIMEOUT_MS,
      gateway: generation.GENERATION_TIMEOUT_MS,
      // The encoder serves ingestion batches with retrieval's deadline; retrieval waits on them.
      encoder: retrieval.INGEST_ENCODER_DEADLINE_MS,
      retrieval: retrieval.INGEST_ENCODER_DEADLINE_MS,
    };
    for (const [name, deadlineMs] of Object.entries(deadlines)) {
      // The servers drain for the grace less 5 s; generation cancels what is left 2 s before that.
      const drainMs = Number(programEnv(objects(), name)['SHUTDOWN_GRACE_MS']) - 5_000 - (name === 'generation' ? 2_000 : 0);
      expect({ name, covered: drainMs >= deadlineMs }).toEqual({ name, covered: true });
    }
  });

  test('the gateway waits for a subgraph longer than its deadlines, so that its typed error reaches the client', () => {
    const gateway = gatewayConfig.parse(programEnv(objects(), 'gateway'));
    const generation = generationConfig.parse(programEnv(objects(), 'generation'));
    const retrieval = retrievalConfig.parse(programEnv(objects(), 'retrieval'));
    expect(subgraphTimeoutMs(gateway, 'generation')).toBeGreaterThan(Math.max(generation.PIPELINE_TIMEOUT_MS, generation.GENERATION_TIMEOUT_MS));
    expect(subgraphTimeoutMs(gateway, 'retrieval')).toBeGreaterThan(retrieval.HYDE_DEADLINE_MS);
  });

  test("gRPC peers are addressed at the peer's headless Service, on the port its pods listen on", () => {
    const services = ofKind<IService>(objects(), 'Service');
    const deployments = ofKind<IDeployment>(objects(), 'Deployment');
    let checked = 0;
    for (const [name, service] of Object.entries(values.services)) {
      const env = envOf(objects(), mainContainer(objects(), name));
      for (const peer of (service.uses ?? []).filter((p) => values.services[p]?.ports.grpc)) {
        const { host, port } = grpcTarget(env[`${peer.toUpperCase().replace(/-/g, '_')}_ADDRESS`] ?? 'missing:0');
        const headless = named(services, host);
        expect({ name, peer, host, clusterIP: headless.spec!.clusterIP }).toEqual({ name, peer, host: `${fullName(peer)}-grpc`, clusterIP: 'None' });
        // A headless name resolves to pod IPs: the client dials the container port itself.
        expect(headless.spec!.ports).toEqual([expect.objectContaining({ name: 'grpc', port, targetPort: 'grpc' })]);
        const pods = deployments.filter((d) => selects(headless.spec!.selector, d.spec!.template.metadata!.labels));
        expect(pods.map((d) => d.metadata.name)).toEqual([fullName(peer)]);
        expect(pods[0]!.spec!.template.spec!.containers[0]!.ports).toContainEqual(expect.objectContaining({ name: 'grpc', containerPort: port }));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  test('no container sets one environment variable twice', () => {
    for (const { owner, spec } of podSpecs(objects())) {
      for (const c of containersOf(spec)) {
        const names = (c.env ?? []).map((e) => e.name);
        expect({ owner, container: c.name, duplicates: names.filter((n, i) => names.indexOf(n) !== i) }).toEqual({ owner, container: c.name, duplicates: [] });
      }
    }
  });

  test('each service runs its program from the one image, bound to 0.0.0.0 on its ports', () => {
    for (const [name, service] of Object.entries(values.services)) {
      const c = mainContainer(objects(), name);
      expect(c.image).toMatch(new RegExp(`^${values.image.repository.replace(/\./g, '\\.')}[:@]`));
      expect(c.command).toEqual(['node', '--enable-source-maps', service.main]);
      // The entry is the build output (tsc -b) of a workspace's src/main.ts.
      expect(existsSync(join(repoRoot, service.main.replace(/dist\/main\.js$/, 'src/main.ts')))).toBe(true);
      const env = envOf(objects(), c);
      expect(env).toEqual(expect.objectContaining({ HOST: '0.0.0.0', NODE_ENV: 'production', HTTP_PORT: String(service.ports.http) }));
      if (service.ports.grpc) expect(env['GRPC_PORT']).toBe(String(service.ports.grpc));
    }
  });

  test('the gateway gets the URL of every subgraph it composes, at that subgraph\'s Service', () => {
    const env = envOf(objects(), mainContainer(objects(), 'gateway'));
    const services = ofKind<IService>(objects(), 'Service');
    for (const { name } of subgraphs) {
      const url = new URL(env[`${name.toUpperCase().replace(/-/g, '_')}_URL`] ?? 'http://missing');
      const service = named(services, url.hostname);
      expect({ name, port: service.spec!.ports!.some((p) => String(p.port) === url.port), path: url.pathname }).toEqual({ name, port: true, path: '/graphql' });
    }
  });

  test('dependencies are wired from values: PostgreSQL and Elasticsearch credentials from secrets, brokers, model dir', () => {
    for (const [name, service] of Object.entries(values.services)) {
      const env = envOf(objects(), mainContainer(objects(), name));
      const uses = service.uses ?? [];
      expect({ name, DATABASE_URL: env['DATABASE_URL']?.startsWith('<from ') }).toEqual({ name, DATABASE_URL: uses.includes('postgresql') ? true : undefined });
      expect({ name, KAFKA_BROKERS: !!env['KAFKA_BROKERS'] }).toEqual({ name, KAFKA_BROKERS: uses.includes('kafka') });
      expect({ name, MODEL_DIR: env['MODEL_DIR'] }).toEqual({ name, MODEL_DIR: uses.includes('modelCache') ? values.modelCache.mountPath : undefined });
      if (uses.includes('elasticsearch')) expect(env['ELASTICSEARCH_URL']).toBe('https://elastic:$(ELASTICSEARCH_PASSWORD)@llmops-es-http:9200');
    }
  });

  test('the model cache is filled by a Job and mounted read-only by the services that use it', () => {
    const [job, ...others] = ofKind<IJob>(objects(), 'Job');
    expect(others).toEqual([]);
    const jobPod = job!.spec!.template.spec!;
    expect(jobPod.containers[0]!.image).toMatch(new RegExp(`^${values.modelCache.fetchJob.image.repository.replace(/\./g, '\\.')}[:@]`));
    const jobClaim = jobPod.volumes!.find((v) => v.name === 'model-cache')!.persistentVolumeClaim!.claimName;
    expect(jobPod.containers[0]!.volumeMounts!.find((m) => m.name === 'model-cache')?.readOnly).toBeFalsy();
    for (const [name] of Object.entries(values.services).filter(([, s]) => (s.uses ?? []).includes('modelCache'))) {
      const pod = named(ofKind<IDeployment>(objects(), 'Deployment'), fullName(name)).spec!.template.spec!;
      expect(pod.volumes!.find((v) => v.name === 'model-cache')?.persistentVolumeClaim).toEqual({ claimName: jobClaim, readOnly: true });
      expect(pod.initContainers?.map((c) => c.name)).toEqual(['wait-for-models']);
    }
  });
});

describe('GPU inference servers', () => {
  test('are absent by default, and the services keep their CPU backends', () => {
    const objects = renderVariant('default');
    expect(objects.filter((o) => o.metadata.labels?.['llmops.io/role'] === 'inference')).toEqual([]);
    expect(envOf(objects, mainContainer(objects, 'generation'))['GENERATION_BACKEND_URL']).toBeUndefined();
    expect(envOf(objects, mainContainer(objects, 'encoder'))['ENCODER_BACKEND_URL']).toBeUndefined();
  });

  test.each(['gpu', 'production'] as Variant[])('with the %s values: GPU limits, tolerations, node selector, model volume', (variant) => {
    const objects = renderVariant(variant);
    for (const server of ['vllm', 'tei']) {
      const pod = named(ofKind<IDeployment>(objects, 'Deployment'), fullName(server)).spec!.template.spec!;
      const c = pod.containers[0]!;
      expect(c.resources?.limits?.['nvidia.com/gpu']).toBeGreaterThanOrEqual(1);
      expect(pod.tolerations).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'nvidia.com/gpu', effect: 'NoSchedule' })]));
      expect(pod.nodeSelector?.['nvidia.com/gpu.present']).toBe('true');
      expect(c.volumeMounts).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'models', mountPath: '/models' })]));
      expect(pod.volumes!.find((v) => v.name === 'models')?.persistentVolumeClaim?.claimName).toBeTruthy();
    }
  });

  test.each(['gpu', 'production'] as Variant[])('with the %s values: generation and encoder point at them', (variant) => {
    const objects = renderVariant(variant);
    const services = ofKind<IService>(objects, 'Service');
    const generation = envOf(objects, mainContainer(objects, 'generation'));
    const encoder = envOf(objects, mainContainer(objects, 'encoder'));
    expect(generation['GENERATION_BACKEND_URL']).toBe('http://llmops-vllm:8000/v1');
    expect(generation['GENERATION_BACKEND_MODEL']).toBe('smollm2-1.7b-instruct');
    expect(encoder['ENCODER_BACKEND_URL']).toBe('http://llmops-tei:80');
    expect(encoder['ENCODER_BACKEND']).toBe('openai');
    expect(named(services, 'llmops-vllm').spec!.ports!.find((p) => p.port === 8000)?.targetPort).toBe('http');
    expect(named(services, 'llmops-tei').spec!.ports!.find((p) => p.port === 80)?.targetPort).toBe('http');
    // Only their consumer may call them.
    const vllmPolicy = named(ofKind<INetworkPolicy>(objects, 'NetworkPolicy'), 'llmops-vllm');
    expect(vllmPolicy.spec!.ingress![0]!.from).toEqual([{ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'generation' }) } }]);
  });
});

describe('the vLLM server', () => {
  test.each(['gpu', 'production'] as Variant[])('with the %s values: runs as a user without a passwd entry, with writable PyTorch caches', (variant) => {
    const objects = renderVariant(variant);
    const pod = named(ofKind<IDeployment>(objects, 'Deployment'), fullName('vllm')).spec!.template.spec!;
    const c = pod.containers[0]!;
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    // torch's getpass.getuser() reads these before the passwd database (uid 10001 has no entry).
    expect(env['USER']).toMatch(/^[a-z]/);
    expect(env['LOGNAME']).toBe(env['USER']);
    const writable = (c.volumeMounts ?? []).filter((m) => !m.readOnly && pod.volumes!.find((v) => v.name === m.name)?.emptyDir);
    expect(writable.some((m) => env['TORCHINDUCTOR_CACHE_DIR']?.startsWith(`${m.mountPath}/`))).toBe(true);
  });
});

describe('Ingress', () => {
  test('routes the GraphQL API and the browsers\' streaming endpoint (SSE) to the gateway, unbuffered in production', () => {
    for (const objects of [renderChart([], ['ingress.enabled=true']), renderVariant('production')]) {
      const [ingress] = ofKind<IIngress>(objects, 'Ingress');
      const paths = ingress!.spec!.rules!.flatMap((r) => r.http!.paths);
      expect(paths.map((p) => p.path).sort()).toEqual(['/graphql', '/v1/generate/stream']);
      for (const p of paths) expect(p.backend.service).toEqual({ name: 'llmops-gateway', port: { name: 'http' } });
    }
    const annotations = ofKind<IIngress>(renderVariant('production'), 'Ingress')[0]!.metadata!.annotations!;
    expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    // Longer than a generation may stream (GENERATION_TIMEOUT_MS) and the gateway waits for generation (a pipeline run).
    const production = renderVariant('production');
    const waits = [generationConfig.parse(programEnv(production, 'generation')).GENERATION_TIMEOUT_MS, subgraphTimeoutMs(gatewayConfig.parse(programEnv(production, 'gateway')), 'generation')];
    for (const header of ['proxy-read-timeout', 'proxy-send-timeout']) {
      expect(Number(annotations[`nginx.ingress.kubernetes.io/${header}`]) * 1000).toBeGreaterThan(Math.max(...waits));
    }
  });

  test('behind it the gateway takes the client address from X-Forwarded-For (one trusted proxy); without it, from the socket', () => {
    expect(gatewayConfig.parse(programEnv(renderChart([], ['ingress.enabled=true']), 'gateway')).GATEWAY_TRUSTED_PROXY_HOPS).toBe(1);
    expect(gatewayConfig.parse(programEnv(renderVariant('default'), 'gateway')).GATEWAY_TRUSTED_PROXY_HOPS).toBe(0);
  });
});

describe('long release names', () => {
  const releaseName = 'a-very-long-release-name-for-the-llmops-chart'; // 45 characters
  let rendered: K8sObject[] | undefined;
  const objects = () => (rendered ??= parseManifests(helm(['template', releaseName, chartDir, '--namespace', 'llmops'])));

  test('every Service name stays a DNS label, the headless gRPC ones keep their suffix, none collide', () => {
    const services = ofKind<IService>(objects(), 'Service');
    expect(objects().flatMap(schemaErrors)).toEqual([]);
    const names = services.map((s) => s.metadata.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    const headless = services.filter((s) => s.spec!.clusterIP === 'None');
    expect(headless.length).toBe(Object.values(values.services).filter((s) => s.ports.grpc).length);
    for (const s of headless) expect({ name: s.metadata.name, ok: s.metadata.name.length <= 63 && s.metadata.name.endsWith('-grpc') }).toEqual({ name: s.metadata.name, ok: true });
  });

  test('the gRPC addresses name those headless Services', () => {
    const headless = new Set(ofKind<IService>(objects(), 'Service').filter((s) => s.spec!.clusterIP === 'None').map((s) => s.metadata.name));
    const addresses = ofKind<IConfigMap>(objects(), 'ConfigMap').flatMap((cm) => Object.entries(cm.data ?? {}).filter(([k]) => k.endsWith('_ADDRESS')).map(([, v]) => grpcTarget(v).host));
    expect(addresses.length).toBeGreaterThan(0);
    for (const host of addresses) expect({ host, headless: headless.has(host) }).toEqual({ host, headless: true });
  });
});

describe("a service's env wins over the chart's, secret-derived entries included", () => {
  test('a name set in env or extraEnv replaces the secret-derived entry instead of being shadowed by it', () => {
    const objects = renderChart([], [
      'services.gateway.env.DATABASE_URL=postgresql://other@pg:5432/llmops',
      'services.prompt-registry.env.ELASTICSEARCH_URL=https://search.example.com:9200',
      'services.generation.extraEnv[0].name=INTERNAL_AUTH_SECRET',
      'services.generation.extraEnv[0].valueFrom.secretKeyRef.name=generation-auth',
      'services.generation.extraEnv[0].valueFrom.secretKeyRef.key=secret',
    ]);
    expect(envOf(objects, mainContainer(objects, 'gateway'))['DATABASE_URL']).toBe('postgresql://other@pg:5432/llmops');
    expect(envOf(objects, mainContainer(objects, 'prompt-registry'))['ELASTICSEARCH_URL']).toBe('https://search.example.com:9200');
    expect(envOf(objects, mainContainer(objects, 'generation'))['INTERNAL_AUTH_SECRET']).toBe('<from generation-auth/secret>');
    for (const name of ['gateway', 'prompt-registry', 'generation']) {
      const names = (mainContainer(objects, name).env ?? []).map((e) => e.name);
      expect({ name, duplicates: names.filter((n, i) => names.indexOf(n) !== i) }).toEqual({ name, duplicates: [] });
    }
    // The others keep theirs.
    expect(envOf(objects, mainContainer(objects, 'feedback'))['DATABASE_URL']).toBe('<from llmops-postgres-app/uri>');
    expect(envOf(objects, mainContainer(objects, 'gateway'))['INTERNAL_AUTH_SECRET']).toBe('<from llmops-internal-auth/secret>');
  });
});

describe('production values', () => {
  const objects = () => renderVariant('production');

  test('the only Ingress routes to the gateway, with TLS', () => {
    const ingresses = ofKind<IIngress>(objects(), 'Ingress');
    expect(ingresses).toHaveLength(1);
    const backends = ingresses[0]!.spec!.rules!.flatMap((r) => r.http!.paths.map((p) => p.backend.service?.name));
    expect(new Set(backends)).toEqual(new Set(['llmops-gateway']));
    expect(ingresses[0]!.spec!.tls?.[0]?.hosts).toEqual(['api.llmops.example.com']);
  });

  test('a ServiceMonitor scrapes each service and inference server on a port its Service has', () => {
    const monitors = ofKind<K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> } }>(objects(), 'ServiceMonitor');
    const services = ofKind<IService>(objects(), 'Service').filter((s) => s.spec!.clusterIP !== 'None');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([...serviceNames, 'tei', 'vllm'].map(fullName).sort());
    for (const monitor of monitors) {
      const targets = services.filter((s) => selects(monitor.spec.selector.matchLabels, s.metadata.labels));
      expect({ monitor: monitor.metadata.name, targets: targets.length }).toEqual({ monitor: monitor.metadata.name, targets: 1 });
      expect(targets[0]!.spec!.ports!.map((p) => p.name)).toContain(monitor.spec.endpoints[0]!.port);
      expect(monitor.spec.endpoints[0]!.path).toBe('/metrics');
    }
  });

  test('the image is pinned by digest', () => {
    expect(mainContainer(objects(), 'gateway').image).toMatch(/^ghcr\.io\/llmops-supergraph\/llmops@sha256:[0-9a-f]{64}$/);
  });
});

describe('values.schema.json and the templates refuse bad values', () => {
  test.each([
    ['a misspelt service setting', 'services.gateway.replicaz=3', "additional properties 'replicaz' not allowed"],
    ['a misspelt top-level key', 'ingres.enabled=true', "additional properties 'ingres' not allowed"],
    ['an unknown dependency', 'services.retrieval.uses[0]=elastic', 'value must be one of'],
    ['a bad quantity', 'serviceDefaults.resources.requests.memory=lots', 'resources/requests/memory'],
    ['a bad log level', 'services.encoder.logLevel=verbose', 'value must be one of'],
    ['an unknown role', 'services.encoder.role=worker', 'value must be one of'],
  ])('%s', (_what, set, message) => {
    expect(renderError([set])).toContain(message);
  });

  test('a service without a program entry', () => {
    expect(renderError(['services.batch.role=subgraph', 'services.batch.ports.http=4100'])).toContain('services.batch.main is required');
  });

  test('an Ingress without a gateway', () => {
    expect(renderError(['ingress.enabled=true', 'services.gateway.enabled=false'])).toContain('exactly one enabled service with role gateway');
  });

  test('a new service needs values only: its objects render from the same templates', () => {
    const objects = renderChart([], ['services.batch.role=subgraph', 'services.batch.ports.http=4100', 'services.batch.main=services/batch/dist/main.js']);
    expect(objects.filter((o) => o.metadata.name === 'llmops-batch').map((o) => o.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount'].sort(),
    );
    expect(envOf(objects, mainContainer(objects, 'gateway'))['BATCH_URL']).toBe('http://llmops-batch:4100/graphql');
  });
});

describe('switches', () => {
  const cases: Array<[string, string[]]> = [
    ['no NetworkPolicies', ['networkPolicy.enabled=false']],
    ['no autoscaling, no spread, no preStop sleep', ['serviceDefaults.autoscaling.enabled=false', 'serviceDefaults.topologySpread.enabled=false', 'serviceDefaults.preStopSleepSeconds=0']],
    ['a model cache that exists, filled elsewhere', ['modelCache.persistence.existingClaim=models', 'modelCache.fetchJob.enabled=false']],
    ['Elasticsearch without credentials or a private CA', ['elasticsearch.credentialsSecret.name=', 'elasticsearch.caSecret.name=', 'elasticsearch.url=http://search:9200']],
    ['an inference server nobody uses', ['inference.tei.enabled=true', 'services.encoder=null']],
    ['everything on', ['ingress.enabled=true', 'monitoring.serviceMonitor.enabled=true', 'monitoring.prometheusRule.enabled=true', 'inference.vllm.enabled=true', 'inference.tei.enabled=true', 'otel.endpoint=http://collector:4318']],
  ];

  test.each(cases)('%s: renders valid objects', (_what, set) => {
    const objects = renderChart([], set);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(unknownFieldErrors(objects)).toEqual([]);
  });

  test('a replica count when autoscaling is off', () => {
    const objects = renderChart([], ['serviceDefaults.autoscaling.enabled=false', 'services.gateway.replicas=3']);
    expect(ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(named(ofKind<IDeployment>(objects, 'Deployment'), 'llmops-gateway').spec!.replicas).toBe(3);
  });
});

describe('NOTES.txt', () => {
  test('tells how to reach the gateway without an Ingress', () => {
    expect(renderNotes()).toContain('port-forward service/llmops-gateway 4000:4000');
  });

  test('gives the Ingress URL when there is one', () => {
    const notes = renderNotes(variants.production);
    expect(notes).toContain('https://api.llmops.example.com/graphql');
    expect(notes).toContain('GPU inference server vllm');
  });
});
