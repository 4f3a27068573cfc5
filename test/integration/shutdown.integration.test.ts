// A generation service stopped with SIGTERM (what Kubernetes sends in a rolling update, after the
// pod left its Service's endpoints) while it streams a generation: the stream runs on to its end
// within the drain budget (SHUTDOWN_GRACE_MS less 5 s), the service takes no new request, and the
// process exits 0. With a drain too short for the generation, it is cancelled near the end of the
// drain and the caller is told so, instead of seeing its connection cut.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@llmops/testkit';
import { integrationContext, subgraphHeaders } from './context';
import { freePort } from './extra-gateway';

const ctx = integrationContext();
const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));

async function startGeneration(shutdownGraceMs: number) {
  const httpPort = await freePort();
  const grpcAddress = (name: string) => `127.0.0.1:${ctx.programs.find((p) => p.name === name)!.grpcPort}`;
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'services', 'generation', 'dist', 'main.js')], {
    env: {
      PATH: process.env.PATH!,
      LOG_LEVEL: 'warn',
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(await freePort()),
      MODEL_DIR: ctx.modelDir,
      DATABASE_URL: ctx.databaseUrl,
      KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
      INTERNAL_AUTH_SECRET: ctx.auth.internalSecret,
      PROMPT_REGISTRY_ADDRESS: grpcAddress('prompt-registry'),
      RETRIEVAL_ADDRESS: grpcAddress('retrieval'),
      ENCODER_ADDRESS: grpcAddress('encoder'),
      SHUTDOWN_GRACE_MS: String(shutdownGraceMs),
    },
    stdio: 'pipe',
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${httpPort}`;
  await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200, { timeoutMs: 90_000, what: `a second generation service (output: ${output})` });
  return { child, exited, url, output: () => output };
}

/** Streams a generation of `maxTokens`; resolves once its first text arrived, with the rest of the stream to come. */
async function streamGeneration(url: string, maxTokens: number) {
  const res = await fetch(`${url}/v1/generate/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...subgraphHeaders() },
    body: JSON.stringify({ template: 'Write a long story about a lighthouse keeper.', parameters: { maxTokens, temperature: 0 } }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let body = '';
  while (!body.includes('event: text')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before any text: ${body}`);
    body += value;
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return body;
      body += value;
    }
  })();
  return { rest };
}

/** The data of the stream's last `completed` or `error` event. */
function lastEvent(body: string): { event: string; data: Record<string, unknown> } | null {
  const events = [...body.matchAll(/event: (completed|error)\ndata: (.*)\n/g)];
  const last = events.at(-1);
  return last ? { event: last[1]!, data: JSON.parse(last[2]!) as Record<string, unknown> } : null;
}

test('SIGTERM while a generation streams: it runs on to its end, no new request is taken, the process exits 0', async () => {
  const g = await startGeneration(30_000);
  const { rest } = await streamGeneration(g.url, 96);
  const stoppedAt = Date.now();
  g.child.kill('SIGTERM');
  // The server stops accepting connections at once.
  await waitFor(async () => (await fetch(`${g.url}/healthz`).then(() => false, () => true)), { timeoutMs: 5_000, what: 'the draining service to refuse new connections' });
  const body = await rest;
  const end = lastEvent(body);
  expect(end?.event).toBe('completed');
  expect((end?.data['generation'] as { status: string }).status).toBe('SUCCEEDED');
  expect(await g.exited).toBe(0);
  expect(Date.now() - stoppedAt).toBeLessThan(25_000);
});

test('SIGTERM with a drain too short for the generation: it is cancelled before the connections close, and the caller is told', async () => {
  // Grace 7.5 s: 2.5 s to drain, generations cancelled after 0.5 s; 1,000 tokens take far longer.
  const g = await startGeneration(7_500);
  const { rest } = await streamGeneration(g.url, 1_000);
  g.child.kill('SIGTERM');
  const end = lastEvent(await rest);
  expect(end?.event).toBe('error');
  // UNAVAILABLE: worth sending again, to a replica that is not stopping.
  expect(end?.data).toMatchObject({ code: 'UNAVAILABLE', reason: 'CANCELLED', message: 'generation cancelled: the service is shutting down', generationId: expect.any(String) });
  expect(await g.exited).toBe(0);
});
