/** @jest-environment ./services/generation/test/llama-environment.js */
// The OpenAI-compatible backend against a real HTTP server that speaks /v1/chat/completions with
// SSE streaming as vLLM does, its answers computed by the real embedded model (a stand-in for a
// GPU inference pod): streaming, parameters, usage, refusals, failures, timeouts, cancellation.
import { DomainError } from '@llmops/platform';
import { buildBackends, type Backends } from '../src/build-backends';
import { OpenAiCompatibleBackend, apiBase, sseData } from '../src/adapters/openai-backend.http';
import { BackendUnavailableError } from '../src/domain/errors';
import type { BackendRequest } from '../src/domain/ports';
import { OpenAiCompatibleServer } from './openai-compatible-server';
import { generationSettings, loadNodeLlamaCpp } from './model-fixture';

let backends: Backends;
let server: OpenAiCompatibleServer;
let remote: OpenAiCompatibleBackend;

beforeAll(async () => {
  backends = await buildBackends(generationSettings({ GENERATION_SEQUENCES: '2', GENERATION_CONTEXT_SIZE: '512' }), { loadNodeLlamaCpp });
  server = new OpenAiCompatibleServer(backends.embedded, 'HuggingFaceTB/SmolLM2-135M-Instruct');
  const url = await server.start();
  remote = new OpenAiCompatibleBackend({
    name: 'gpu',
    baseUrl: `${url}/v1`,
    apiKey: 'sk-test',
    models: [{ name: 'smollm2-remote', remoteName: 'HuggingFaceTB/SmolLM2-135M-Instruct', contextLength: 512 }],
    timeoutMs: 30_000,
  });
});
afterAll(async () => {
  await server.stop();
  await backends.close();
});
afterEach(() => {
  server.failWith = null;
  server.hang = false;
});

function request(overrides: Partial<BackendRequest> = {}, chunks: string[] = []): BackendRequest {
  return {
    model: 'smollm2-remote',
    messages: [
      { role: 'SYSTEM', content: 'You are terse.' },
      { role: 'USER', content: 'What is the capital of France?' },
    ],
    parameters: { maxTokens: 20, temperature: 0, topP: 1, seed: 5, stop: [] },
    signal: new AbortController().signal,
    onText: (t) => chunks.push(t),
    ...overrides,
  };
}

test('streams the answer, sends the parameters and the API key, and reports the server tokenizer usage', async () => {
  const chunks: string[] = [];
  const result = await remote.generate(request({}, chunks));
  expect(result.text.trim().length).toBeGreaterThan(0);
  expect(chunks.length).toBeGreaterThan(1);
  expect(chunks.join('')).toBe(result.text);
  expect(['STOP', 'LENGTH']).toContain(result.finishReason);
  const sent = server.requests.at(-1)!;
  expect(sent.authorization).toBe('Bearer sk-test');
  expect(sent.body).toMatchObject({
    model: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'What is the capital of France?' },
    ],
    max_tokens: 20,
    temperature: 0,
    top_p: 1,
    seed: 5,
    stream: true,
    stream_options: { include_usage: true },
  });
  expect(result.promptTokens).toBe(backends.embedded.countPromptTokens('smollm2-135m-instruct', request().messages));
  expect(result.completionTokens).toBeGreaterThan(0);
});

test('max tokens and stop sequences are honoured through the server', async () => {
  const short = await remote.generate(request({ parameters: { maxTokens: 4, temperature: 0, topP: 1, seed: null, stop: [] } }));
  expect(short).toMatchObject({ finishReason: 'LENGTH', completionTokens: 4 });
  const free = await remote.generate(
    request({ messages: [{ role: 'USER', content: 'List five fruits.' }], parameters: { maxTokens: 40, temperature: 0, topP: 1, seed: null, stop: [] } }),
  );
  const middle = Math.floor(free.text.length / 2);
  const stop = free.text.slice(middle, middle + 3);
  const stopped = await remote.generate(
    request({ messages: [{ role: 'USER', content: 'List five fruits.' }], parameters: { maxTokens: 40, temperature: 0, topP: 1, seed: null, stop: [stop] } }),
  );
  expect(server.requests.at(-1)!.body.stop).toEqual([stop]);
  expect(stopped.finishReason).toBe('STOP_SEQUENCE');
  expect(stopped.text).not.toContain(stop);
});

test('a request the server refuses is the caller error; failures and timeouts are BackendUnavailableError', async () => {
  const tooLong = await remote
    .generate(request({ messages: [{ role: 'USER', content: 'word '.repeat(600) }], parameters: { maxTokens: 10, temperature: 0, topP: 1, seed: null, stop: [] } }))
    .catch((e: DomainError) => e);
  expect(tooLong).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'prompt', backend: 'gpu', status: 400 } });
  expect((tooLong as Error).message).toContain('prompt too long for the context');

  server.failWith = 503;
  const overloaded = await remote.generate(request()).catch((e: unknown) => e);
  expect(overloaded).toBeInstanceOf(BackendUnavailableError);
  expect((overloaded as Error).message).toContain('HTTP 503: injected failure');

  server.failWith = null;
  const unknown = await remote.generate(request({ model: 'not-served' })).catch((e: unknown) => e);
  expect(unknown).toBeInstanceOf(BackendUnavailableError);
  expect((unknown as Error).message).toContain('HTTP 404');

  server.hang = true;
  const slow = new OpenAiCompatibleBackend({ name: 'slow', baseUrl: server.url, models: [{ name: 'x', contextLength: 512 }], timeoutMs: 300 });
  const started = performance.now();
  const timedOut = await slow.generate(request({ model: 'x' })).catch((e: unknown) => e);
  expect(performance.now() - started).toBeLessThan(3_000);
  expect(timedOut).toBeInstanceOf(BackendUnavailableError);
  expect((timedOut as Error).message).toContain('no answer within 300 ms');
});

test('aborting the call closes the stream and the server stops generating', async () => {
  const abort = new AbortController();
  const before = server.cancelled;
  const pending = remote.generate(
    request({
      messages: [{ role: 'USER', content: 'Count from 1 to 200.' }],
      parameters: { maxTokens: 300, temperature: 0, topP: 1, seed: null, stop: [] },
      signal: abort.signal,
      onText: () => abort.abort(new Error('caller cancelled')),
    }),
  );
  await expect(pending).rejects.toThrow('caller cancelled');
  await new Promise((r) => setTimeout(r, 200));
  expect(server.cancelled).toBe(before + 1);
});

test('SSE parsing: events split across chunks, multi-line data, comments and CRLF', async () => {
  const parts = [': comment\r\n', 'data: {"a":', '1}\r\n\r\n', 'data: line1\n', 'data: line2\n\n', 'data: [DONE]\n\n'];
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
      controller.close();
    },
  });
  const seen: string[] = [];
  for await (const d of sseData(body)) seen.push(d);
  expect(seen).toEqual(['{"a":1}', 'line1\nline2', '[DONE]']);
});

test('base URLs follow the OpenAI convention (/v1 included)', () => {
  expect(apiBase('http://vllm:8000')).toBe('http://vllm:8000/v1');
  expect(apiBase('http://vllm:8000/v1/')).toBe('http://vllm:8000/v1');
  expect(apiBase('https://api.example.com/openai/v1')).toBe('https://api.example.com/openai/v1');
});

test('a server that ignores max_tokens is cut off at max tokens with finish reason LENGTH', async () => {
  const { createServer } = await import('node:http');
  let closed = false;
  let sent = 0;
  // Streams a token a millisecond for as long as the client listens, whatever max_tokens says.
  const runaway = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const timer = setInterval(() => {
      sent++;
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: ` t${sent}` }, finish_reason: null }] })}\n\n`);
    }, 1);
    res.on('close', () => {
      closed = true;
      clearInterval(timer);
    });
  });
  await new Promise<void>((r) => runaway.listen(0, '127.0.0.1', r));
  const { port } = runaway.address() as { port: number };
  const backend = new OpenAiCompatibleBackend({ name: 'runaway', baseUrl: `http://127.0.0.1:${port}/v1`, models: [{ name: 'r', contextLength: 4096 }], timeoutMs: 10_000 });
  try {
    const chunks: string[] = [];
    const result = await backend.generate(request({ model: 'r', parameters: { maxTokens: 5, temperature: 0, topP: 1, seed: null, stop: [] } }, chunks));
    expect(result).toMatchObject({ text: ' t1 t2 t3 t4 t5', finishReason: 'LENGTH', completionTokens: 5 });
    expect(chunks).toEqual([' t1', ' t2', ' t3', ' t4', ' t5']);
    // The connection was closed, so the server stopped generating.
    await waitForClose(() => closed);
  } finally {
    runaway.closeAllConnections();
    await new Promise((r) => runaway.close(r));
  }
});

async function waitForClose(closed: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !closed(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(closed()).toBe(true);
}
