// Validation of rendered objects against the Kubernetes API schemas, in two passes:
//  - the JSON schemas of the `kubernetes-models` package (types, required fields, enums);
//  - the package's TypeScript interfaces, type-checking each object as an object literal, which
//    catches what the API server drops without a word: unknown (misspelt, misindented) fields.
// Custom resources (Strimzi, ECK, CloudNativePG, Prometheus operator) have no schema here: their
// metadata is checked, and customResourceErrors() checks the fields the platform relies on.
import ts from 'typescript';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import type { K8sObject } from './helm';

/** apiVersion -> the kubernetes-models module of that group/version (its path, and its classes). */
const builtIn: Record<string, { module: string; classes: object }> = {
  v1: { module: 'kubernetes-models/v1', classes: coreV1 },
  'apps/v1': { module: 'kubernetes-models/apps/v1', classes: appsV1 },
  'autoscaling/v2': { module: 'kubernetes-models/autoscaling/v2', classes: autoscalingV2 },
  'batch/v1': { module: 'kubernetes-models/batch/v1', classes: batchV1 },
  'networking.k8s.io/v1': { module: 'kubernetes-models/networking.k8s.io/v1', classes: networkingV1 },
  'policy/v1': { module: 'kubernetes-models/policy/v1', classes: policyV1 },
};

interface ModelClass {
  new (data: unknown): { validate(): void };
}

const ref = (obj: K8sObject) => `${obj.kind}/${obj.metadata?.name}`;

function modelClassOf(obj: K8sObject): ModelClass | undefined {
  const group = builtIn[obj.apiVersion];
  return group ? ((group.classes as Record<string, ModelClass | undefined>)[obj.kind] ?? undefined) : undefined;
}

export function isBuiltIn(obj: K8sObject): boolean {
  return modelClassOf(obj) !== undefined;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Names and labels the API server would refuse. */
function metadataErrors(obj: K8sObject): string[] {
  const errors: string[] = [];
  const { name, labels = {} } = obj.metadata ?? {};
  // Services, and so everything named after them here, must be DNS labels (63 characters).
  const nameOk = obj.kind === 'Service' ? dnsLabel.test(name) && name.length <= 63 : dnsSubdomain.test(name ?? '') && name.length <= 253;
  if (!nameOk) errors.push(`${ref(obj)}: invalid metadata.name`);
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== 'string' || value.length > 63 || !labelValue.test(value)) errors.push(`${ref(obj)}: invalid label ${key}=${String(value)}`);
  }
  return errors;
}

/** Schema errors of one object ([] when valid); objects of no known schema are errors too. */
export function schemaErrors(obj: K8sObject): string[] {
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') return [`object without apiVersion/kind: ${JSON.stringify(obj).slice(0, 200)}`];
  const errors = metadataErrors(obj);
  const Model = modelClassOf(obj);
  if (Model) {
    try {
      new Model(obj).validate();
    } catch (err) {
      errors.push(`${ref(obj)}: ${(err as Error).message}`);
    }
    return errors;
  }
  const checks = customResources[`${obj.apiVersion}/${obj.kind}`];
  if (!checks) return [...errors, `${ref(obj)}: no schema for ${obj.apiVersion} ${obj.kind}`];
  // Object metadata has one schema for every kind: borrow a ConfigMap's to check a CR's.
  try {
    new coreV1.ConfigMap({ metadata: obj.metadata as coreV1.IConfigMap['metadata'] }).validate();
  } catch (err) {
    errors.push(`${ref(obj)} metadata: ${(err as Error).message}`);
  }
  return [...errors, ...checks(obj).map((e) => `${ref(obj)}: ${e}`)];
}

// A minimal standard library: enough for the interfaces' types, and much faster than lib.es5.
const miniLib = `
interface Array<T> { length: number; [n: number]: T; }
interface ReadonlyArray<T> { readonly length: number; readonly [n: number]: T; }
interface Boolean {} interface Function {} interface CallableFunction {} interface NewableFunction {}
interface IArguments {} interface Number {} interface Object {} interface RegExp {} interface String {}
type Partial<T> = { [P in keyof T]?: T[P] };
type Pick<T, K extends keyof T> = { [P in K]: T[P] };
type Record<K extends keyof any, T> = { [P in K]: T };
type Exclude<T, U> = T extends U ? never : T;
type Omit<T, K extends keyof any> = Pick<T, Exclude<keyof T, K>>;
`;

/**
 * Type-checks built-in objects against the kubernetes-models interfaces, as object literals (so
 * TypeScript reports every property the interface does not have). One program for all objects.
 */
export function unknownFieldErrors(objects: K8sObject[]): string[] {
  const dir = __dirname;
  const libFile = `${dir}/__k8s-lib__.d.ts`;
  const file = `${dir}/__k8s-objects__.ts`;
  const imports = new Map<string, string>();
  const lines: string[] = [];
  const names: string[] = [];
  objects.forEach((obj) => {
    if (!isBuiltIn(obj)) return;
    const type = `${obj.apiVersion.replace(/[^A-Za-z0-9]/g, '_')}_${obj.kind}`;
    imports.set(type, `import type { I${obj.kind} as ${type} } from '${builtIn[obj.apiVersion]!.module}/${obj.kind}';`);
    names.push(ref(obj));
    lines.push(`export const o${names.length - 1}: ${type} = ${JSON.stringify(obj)};`);
  });
  const source = [...imports.values(), ...lines].join('\n');
  const options: ts.CompilerOptions = {
    noLib: true,
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const readSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    if (name === file) return ts.createSourceFile(name, source, languageVersion);
    if (name === libFile) return ts.createSourceFile(name, miniLib, languageVersion);
    return readSourceFile(name, languageVersion, ...rest);
  };
  const program = ts.createProgram([libFile, file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file?.fileName !== file || d.start === undefined) return message;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line - imports.size;
    return `${names[line] ?? '?'}: ${message.split('\n').pop()}`;
  });
}

// ---------------------------------------------------------------- custom resources

type Checks = (obj: K8sObject) => string[];
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `a.b[c.d/e]`: keys separated by dots; a key holding dots goes in brackets. */
const get = (obj: unknown, path: string): unknown =>
  (path.match(/\[[^\]]*\]|[^.[\]]+/g) ?? [])
    .map((key) => key.replace(/^\[|\]$/g, ''))
    .reduce<unknown>((at, key) => (isObject(at) || Array.isArray(at) ? (at as Json)[key] : undefined), obj);

/** Each rule: a dotted path and the test its value must pass. */
function fields(rules: Array<[string, (v: unknown) => boolean, string]>): Checks {
  return (obj) => rules.filter(([path, ok]) => !ok(get(obj, path))).map(([path, , what]) => `${path} must be ${what}`);
}
const str = (v: unknown) => typeof v === 'string' && v.length > 0;
const int = (min: number) => (v: unknown) => Number.isInteger(v) && (v as number) >= min;
const arr = (v: unknown) => Array.isArray(v) && v.length > 0;
const obj = isObject;
const duration = (v: unknown) => typeof v === 'string' && /^([0-9]+(ms|s|m|h|d|w|y))+$/.test(v);

function each(path: string, checks: Checks): Checks {
  return (o) => {
    const items = get(o, path);
    return Array.isArray(items) ? items.flatMap((item, i) => checks(item as K8sObject).map((e) => `${path}.${i}.${e}`)) : [`${path} must be a list`];
  };
}
const all =
  (...checks: Checks[]): Checks =>
  (o) =>
    checks.flatMap((c) => c(o));

/** apiVersion/kind -> checks of the fields these resources must have. */
export const customResources: Record<string, Checks> = {
  'monitoring.coreos.com/v1/ServiceMonitor': all(
    fields([['spec.selector.matchLabels', obj, 'a label map'], ['spec.endpoints', arr, 'a non-empty list']]),
    each('spec.endpoints', fields([['port', str, 'a port name'], ['path', str, 'a path'], ['interval', duration, 'a duration']])),
  ),
  'monitoring.coreos.com/v1/PrometheusRule': all(
    fields([['spec.groups', arr, 'a non-empty list']]),
    each('spec.groups', all(fields([['name', str, 'a name'], ['rules', arr, 'a non-empty list']]), each('rules', fields([['expr', str, 'a PromQL expression']])))),
  ),
  'kafka.strimzi.io/v1beta2/Kafka': all(
    fields([['spec.kafka.version', str, 'a Kafka version'], ['spec.kafka.listeners', arr, 'a non-empty list'], ['metadata.annotations[strimzi.io/node-pools]', (v) => v === 'enabled', "'enabled' (KRaft node pools)"]]),
    each('spec.kafka.listeners', fields([['name', (v) => typeof v === 'string' && /^[a-z0-9]{1,11}$/.test(v), 'lower-case alphanumerics, 11 at most'], ['port', int(9092), 'a port from 9092'], ['type', str, 'a listener type'], ['tls', (v) => typeof v === 'boolean', 'a boolean']])),
  ),
  'kafka.strimzi.io/v1beta2/KafkaNodePool': fields([
    ['metadata.labels[strimzi.io/cluster]', str, 'the Kafka cluster'],
    ['spec.replicas', int(1), 'a positive integer'],
    ['spec.roles', (v) => arr(v) && (v as unknown[]).every((r) => r === 'broker' || r === 'controller'), 'broker and/or controller'],
    ['spec.storage.type', (v) => v === 'jbod' || v === 'persistent-claim' || v === 'ephemeral', 'jbod, persistent-claim or ephemeral'],
  ]),
  'kafka.strimzi.io/v1beta2/KafkaTopic': fields([
    ['metadata.labels[strimzi.io/cluster]', str, 'the Kafka cluster'],
    ['spec.topicName', (v) => typeof v === 'string' && /^[a-zA-Z0-9._-]{1,249}$/.test(v), 'a Kafka topic name'],
    ['spec.partitions', int(1), 'a positive integer'],
    ['spec.replicas', int(1), 'a positive integer'],
  ]),
  'elasticsearch.k8s.elastic.co/v1/Elasticsearch': all(
    fields([['spec.version', (v) => typeof v === 'string' && /^\d+\.\d+\.\d+$/.test(v), 'x.y.z'], ['spec.nodeSets', arr, 'a non-empty list']]),
    each('spec.nodeSets', fields([['name', str, 'a name'], ['count', int(1), 'a positive integer']])),
  ),
  'postgresql.cnpg.io/v1/Cluster': fields([
    ['spec.instances', int(1), 'a positive integer'],
    ['spec.storage.size', str, 'a quantity'],
    ['spec.bootstrap.initdb.database', str, 'a database name'],
    ['spec.bootstrap.initdb.owner', str, 'a role name'],
  ]),
};
