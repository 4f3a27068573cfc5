// The Dockerfile cannot be built here (no Docker engine), so its shape is checked by reading it:
// the stages the chart's images come from, a non-root runtime, dependencies installed in the
// image rather than copied from the host, and COPY sources that exist.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir, repoRoot } from './helm';

interface Stage {
  name: string;
  from: string;
  instructions: Array<{ op: string; args: string }>;
}

/** Instructions per stage, with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ name: name ?? String(stages.length), from, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const stage = (name: string) => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`Dockerfile has no stage ${name}`);
  return found;
};
const runs = (name: string) => stage(name).instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
const last = <T>(items: T[]) => items[items.length - 1];

test('the default target is the runtime stage: non-root (uid 10001), NODE_ENV=production', () => {
  const runtime = last(stages)!;
  expect(runtime.name).toBe('runtime');
  expect(last(runtime.instructions.filter((i) => i.op === 'USER'))?.args).toBe('10001:10001');
  expect(runtime.instructions.some((i) => i.op === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))).toBe(true);
  // Nothing is installed or built in the final image: it copies the other stages' results.
  expect(runs('runtime').join('\n')).not.toMatch(/npm (ci|install)|tsc/);
  expect(runtime.instructions.filter((i) => i.op === 'COPY').every((i) => i.args.startsWith('--from='))).toBe(true);
});

test('build compiles with npm ci + tsc -b; prod-deps installs without dev dependencies', () => {
  expect(runs('build').some((r) => /\bnpm ci\b/.test(r))).toBe(true);
  expect(runs('build').some((r) => /\btsc -b\b/.test(r))).toBe(true);
  expect(runs('prod-deps').some((r) => /\bnpm ci --omit=dev\b/.test(r))).toBe(true);
  const runtimeCopies = stage('runtime').instructions.filter((i) => i.op === 'COPY').map((i) => i.args.split(/\s+/)[0]);
  expect(runtimeCopies.sort()).toEqual(['--from=build', '--from=prod-deps']);
  // node-llama-cpp must not download binaries during npm ci.
  expect(dockerfile).toMatch(/NODE_LLAMA_CPP_SKIP_DOWNLOAD=true/);
});

test('the build stage copies the sources of every workspace it compiles', () => {
  const copied = stage('build')
    .instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from='))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  const workspaces = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  for (const ws of workspaces) expect({ ws, copied: copied.some((dir) => `${ws}/`.startsWith(dir.endsWith('/') ? dir : `${dir}/`)) }).toEqual({ ws, copied: true });
  expect(copied).toEqual(expect.arrayContaining(['tsconfig.base.json', 'tsconfig.json']));
});

test('the model-fetcher stage (the chart\'s model-fetch Job image) runs scripts/models/fetch.sh as a non-root user', () => {
  const fetcher = stage('model-fetcher');
  expect(fetcher.instructions.some((i) => i.op === 'COPY' && i.args.startsWith('scripts/models/fetch.sh '))).toBe(true);
  expect(last(fetcher.instructions.filter((i) => i.op === 'USER'))?.args).toBe('10001:10001');
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { image: { repository: string }; modelCache: { fetchJob: { image: { repository: string } } } };
  expect(values.modelCache.fetchJob.image.repository).toBe(`${values.image.repository}-model-fetcher`);
  expect(dockerfile).toContain(`--target model-fetcher -t ${values.modelCache.fetchJob.image.repository}:`);
});

test('what the build copies from the context exists, and the context leaves out host builds and dependencies', () => {
  for (const s of stages) {
    for (const copy of s.instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from='))) {
      const sources = copy.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const source of sources.filter((src) => src !== '.')) expect({ source, exists: existsSync(join(repoRoot, source)) }).toEqual({ source, exists: true });
    }
  }
  const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git', '.cache', '.run']));
});
