// How programs behave at boot: bad settings and missing models stop them with exit code 1 and a
// message naming the culprit; an unreachable dependency leaves them running but not ready, naming it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@llmops/testkit';
import { integrationContext } from './context';
import { freePort } from './extra-gateway';

const ctx = integrationContext();
const repoRoot = join(__dirname, '..', '..');
const entry = (dir: string) => join(repoRoot, dir, 'dist', 'main.js');
const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));

function run(dir: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [entry(dir)], { env: { PATH: process.env.PATH!, HTTP_PORT: '0', ...env }, stdio: 'pipe' });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

test('a missing setting exits 1 naming it', async () => {
  const p = run('services/prompt-registry', { KAFKA_BROKERS: ctx.kafkaBrokers.join(',') });
  expect(await p.exited).toBe(1);
  expect(p.output()).toMatch(/Invalid configuration:[\s\S]*DATABASE_URL/);
});

test('an invalid setting exits 1 naming it and its value', async () => {
  const p = run('services/retrieval', { ELASTICSEARCH_URL: 'not a url', HTTP_PORT: '99999' });
  expect(await p.exited).toBe(1);
  expect(p.output()).toContain('ELASTICSEARCH_URL="not a url"');
  expect(p.output()).toContain('HTTP_PORT="99999"');
});

test('a missing model exits 1 naming the file and the command that fetches it', async () => {
  const p = run('services/encoder', { MODEL_DIR: '/nonexistent/models' });
  expect(await p.exited).toBe(1);
  expect(p.output()).toMatch(/model file not found: \/nonexistent\/models\/all-minilm-l6-v2-q\/(model\.onnx|tokenizer\.json)/);
  expect(p.output()).toContain('bash scripts/models/fetch.sh');
});

test('an unreachable dependency: the service keeps retrying, is not ready and names it', async () => {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const deadBroker = await freePort();
  const p = run('services/prompt-registry', {
    HTTP_PORT: String(httpPort),
    GRPC_PORT: String(grpcPort),
    DATABASE_URL: ctx.databaseUrl,
    KAFKA_BROKERS: `127.0.0.1:${deadBroker}`,
    ELASTICSEARCH_URL: ctx.elasticsearchUrl,
    ENCODER_ADDRESS: `127.0.0.1:${ctx.programs.find((x) => x.name === 'encoder')!.grpcPort}`,
  });
  const url = `http://127.0.0.1:${httpPort}`;
  const report = await waitFor(
    async () => {
      const res = await fetch(`${url}/readyz`);
      const body = (await res.json()) as { ready: boolean; checks: Record<string, string> };
      return res.status === 503 && body.checks['kafka']?.includes('unreachable') ? body : undefined;
    },
    { timeoutMs: 30_000, what: 'prompt-registry to report kafka as unreachable' },
  );
  expect(report.ready).toBe(false);
  expect(report.checks['postgresql']).toBe('ok');
  expect(p.child.exitCode).toBeNull();
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
});
