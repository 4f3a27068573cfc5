/** @jest-environment ./services/generation/test/llama-environment.js */
// POST/GET /v1/generate/stream on the platform's real HTTP server with the real embedded model:
// the event stream a browser reads, typed errors, and cancellation when the client disconnects.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Lifecycle, createLogger, createMetrics, startHttpServer, anonymousIdentity } from '@llmops/platform';
import { buildBackends, type Backends } from '../src/build-backends';
import { GenerationService } from '../src/domain/generation-service';
import { generateStreamPath, generateStreamRoute } from '../src/http/generate-stream.sse';
import { sseData } from '../src/adapters/openai-backend.http';
import { MemoryGenerationStore, FakePromptRegistry } from './fakes';
import { generationSettings, loadNodeLlamaCpp } from './model-fixture';

let backends: Backends;
let lifecycle: Lifecycle;
let url: string;
const store = new MemoryGenerationStore();

beforeAll(async () => {
  backends = await buildBackends(generationSettings({ GENERATION_SEQUENCES: '2', GENERATION_CONTEXT_SIZE: '512' }), { loadNodeLlamaCpp });
  const logger = createLogger('generation-test', 'silent');
  lifecycle = new Lifecycle(logger, 5_000);
  const generations = new GenerationService({
    router: backends.router,
    registry: new FakePromptRegistry([]),
    retriever: null,
    store,
    memory: null,
    limits: { maxTokens: 256, defaultMaxTokens: 16, defaultTemperature: 0, timeoutMs: 60_000, maxCompletions: 8 },
    traceId: () => null,
    newId: randomUUID,
  });
  const server = await startHttpServer({
    logger,
    metrics: createMetrics('generation-test'),
    lifecycle,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 10_000,
    // A reader when the test says so; otherwise the default project's admin.
    authenticate: async (req) => (req.headers['x-test-role'] === 'reader' ? { ...anonymousIdentity, role: 'reader' } : anonymousIdentity),
    routes: { [generateStreamPath]: generateStreamRoute({ generationsFor: () => generations, logger, maxBodyBytes: 10_000, shutdown: lifecycle.signal, keepAliveMs: 50 }) },
  });
  url = `${server.url}${generateStreamPath}`;
});
afterAll(async () => {
  await lifecycle.shutdown('tests done');
  await backends.close();
});

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads the stream as a browser's fetch() + ReadableStream would, event by event. */
async function readEvents(res: Response): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const text = await res.text();
  for (const block of text.split('\n\n').filter((b) => b.trim() && !b.startsWith(':'))) {
    const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
    const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
    events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
  }
  return events;
}

test('POST streams started, text pieces and the completed generation as Server-Sent Events', async () => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'What is the capital of {{country}}?', variables: { country: 'France' }, parameters: { maxTokens: 24 } }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events = await readEvents(res);
  expect(events[0]).toMatchObject({ event: 'started', data: { model: 'smollm2-135m-instruct', backend: 'embedded' } });
  const last = events.at(-1)!;
  expect(last.event).toBe('completed');
  const texts = events.filter((e) => e.event === 'text').map((e) => e.data['text'] as string);
  expect(texts.length).toBeGreaterThan(1);
  const generation = last.data['generation'] as { id: string; output: string; status: string; completionTokens: number };
  expect(texts.join('')).toBe(generation.output);
  expect(generation).toMatchObject({ status: 'SUCCEEDED', id: events[0]!.data['generationId'] });
  expect(generation.completionTokens).toBeGreaterThan(0);
});

test('GET ?input=JSON serves EventSource clients the same stream', async () => {
  const input = encodeURIComponent(JSON.stringify({ messages: [{ role: 'USER', content: 'Say hi.' }], parameters: { maxTokens: 4 } }));
  const res = await fetch(`${url}?input=${input}`, { headers: { accept: 'text/event-stream' } });
  const events = [];
  for await (const d of sseData(res.body!)) events.push(JSON.parse(d) as Record<string, unknown>);
  expect(events.at(-1)!['generation']).toMatchObject({ status: 'SUCCEEDED', completionTokens: 4, finishReason: 'LENGTH' });
});

test('malformed requests are 400 with the field; generation errors are error events with the recorded id', async () => {
  const bad = await fetch(url, { method: 'POST', body: '{not json' });
  expect(bad.status).toBe(400);
  const twoSources = await fetch(url, { method: 'POST', body: JSON.stringify({ template: 'a', messages: [{ role: 'USER', content: 'b' }] }) });
  expect(await twoSources.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'prompt' } });
  const badRole = await fetch(url, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'ROBOT', content: 'b' }] }) });
  expect(await badRole.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'messages.0.role' } });
  const tooBig = await fetch(url, { method: 'POST', body: JSON.stringify({ template: 'x'.repeat(20_000) }) });
  expect(tooBig.status).toBe(413);

  const missing = await readEvents(await fetch(url, { method: 'POST', body: JSON.stringify({ template: 'Hello {{name}}' }) }));
  expect(missing).toEqual([{ event: 'error', data: expect.objectContaining({ code: 'BAD_USER_INPUT', missing: ['name'] }) }]);
  expect(store.records.find((g) => g.id === missing[0]!.data['generationId'])).toMatchObject({ status: 'FAILED' });
});

test('a reader may not generate: 403 FORBIDDEN, nothing recorded', async () => {
  const before = store.records.length;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-role': 'reader' }, body: JSON.stringify({ template: 'Hi' }) });
  expect(res.status).toBe(403);
  expect(await res.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
  expect(store.records).toHaveLength(before);
});

test('a client that disconnects cancels the generation; it is recorded as CANCELLED', async () => {
  const before = store.records.length;
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('event: text')) {
          req.destroy();
          resolve();
        }
      });
    });
    req.on('error', () => undefined);
    req.end(JSON.stringify({ template: 'Count from 1 to 300.', parameters: { maxTokens: 250 } }));
    setTimeout(() => reject(new Error('no text event')), 30_000).unref();
  });
  const until = Date.now() + 5_000;
  while (store.records.length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const g = store.records.at(-1)!;
  expect(g).toMatchObject({ status: 'CANCELLED', finishReason: 'CANCELLED' });
  // The prompt and the tokens generated before the disconnect are recorded (and charged).
  expect(g.promptTokens).toBeGreaterThan(0);
  expect(g.completionTokens).toBeGreaterThan(0);
  expect(g.completionTokens).toBeLessThanOrEqual(250);
  expect(g.latencyMs).toBeLessThan(10_000);
});

test('text PostgreSQL cannot store (NUL, a lone surrogate) is 400 naming the field, before any model runs', async () => {
  const before = store.records.length;
  const nul = await fetch(url, { method: 'POST', body: JSON.stringify({ template: 'Hello {{name}}', variables: { name: 'A\u0000B' } }) });
  expect(nul.status).toBe(400);
  expect(await nul.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'variables.name', message: expect.stringContaining('NUL') } });
  // A JSON \uD800 escape is a lone surrogate once parsed.
  const lone = await fetch(url, { method: 'POST', body: '{"messages": [{"role": "USER", "content": "hi \\ud800"}]}' });
  expect(lone.status).toBe(400);
  expect(await lone.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'messages.0.content' } });
  const get = await fetch(`${url}?input=${encodeURIComponent(JSON.stringify({ template: 'x\u0000' }))}`);
  expect(get.status).toBe(400);
  expect(await get.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'template' } });
  expect(store.records).toHaveLength(before);
});
