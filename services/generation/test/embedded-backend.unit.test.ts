/** @jest-environment ./services/generation/test/llama-environment.js */
// The embedded backend against the real SmolLM2 GGUF model: behaviour, never exact text.
import { join } from 'node:path';
import { EmbeddedLlamaBackend } from '../src/adapters/embedded-backend.llama';
import { BackendUnavailableError } from '../src/domain/errors';
import type { BackendRequest, BackendResult } from '../src/domain/ports';
import { loadNodeLlamaCpp, testModelDir } from './model-fixture';

let backend: EmbeddedLlamaBackend;

beforeAll(async () => {
  backend = await EmbeddedLlamaBackend.load(
    {
      name: 'embedded',
      modelName: 'smollm2-135m-instruct',
      modelPath: join(testModelDir, 'smollm2-135m-instruct', 'model.gguf'),
      threads: 1,
      contextSize: 1024,
      sequences: 1,
      maxQueue: 1,
    },
    loadNodeLlamaCpp,
  );
});
afterAll(() => backend.close());

const countTo = [{ role: 'USER' as const, content: 'Count from 1 to 50, separated by commas.' }];

function request(overrides: Partial<BackendRequest> & { chunks?: string[] } = {}): BackendRequest {
  const chunks = overrides.chunks ?? [];
  return {
    model: 'smollm2-135m-instruct',
    messages: countTo,
    parameters: { maxTokens: 24, temperature: 0, topP: 1, seed: null, stop: [] },
    signal: new AbortController().signal,
    onText: (t) => chunks.push(t),
    ...overrides,
  };
}

test('generates text with token counts from the model tokenizer, streamed in chunks', async () => {
  const chunks: string[] = [];
  const result = await backend.generate(request({ chunks, messages: [{ role: 'USER', content: 'What is the capital of France?' }] }));
  expect(result.text.trim().length).toBeGreaterThan(0);
  expect(chunks.join('')).toBe(result.text);
  expect(chunks.length).toBeGreaterThan(1);
  expect(result.promptTokens).toBe(backend.countPromptTokens('smollm2-135m-instruct', [{ role: 'USER', content: 'What is the capital of France?' }]));
  expect(result.promptTokens).toBeGreaterThan(5);
  expect(result.completionTokens).toBeGreaterThan(0);
  expect(['STOP', 'LENGTH']).toContain(result.finishReason);
});

test('max tokens is honoured: the completion stops at the limit with finish reason LENGTH', async () => {
  const result = await backend.generate(request({ parameters: { maxTokens: 5, temperature: 0, topP: 1, seed: null, stop: [] } }));
  expect(result.completionTokens).toBe(5);
  expect(result.finishReason).toBe('LENGTH');
  expect(backend.countTextTokens(result.text)).toBeLessThanOrEqual(5);
});

test('a stop sequence ends the output before it, with finish reason STOP_SEQUENCE', async () => {
  const free = await backend.generate(request({ parameters: { maxTokens: 40, temperature: 0, topP: 1, seed: null, stop: [] } }));
  // A stop string the model produces when unconstrained: three characters from the middle of its output.
  const middle = Math.floor(free.text.length / 2);
  const stop = free.text.slice(middle, middle + 3);
  expect(free.text.indexOf(stop)).toBeGreaterThan(0);
  const stopped = await backend.generate(request({ parameters: { maxTokens: 40, temperature: 0, topP: 1, seed: null, stop: [stop] } }));
  expect(stopped.finishReason).toBe('STOP_SEQUENCE');
  expect(stopped.text).not.toContain(stop);
  expect(free.text.startsWith(stopped.text)).toBe(true);
  expect(stopped.completionTokens).toBeLessThan(free.completionTokens!);
});

test('the same seed at temperature > 0 gives the same text', async () => {
  const params = { maxTokens: 16, temperature: 1, topP: 0.95, seed: 7, stop: [] };
  const a = await backend.generate(request({ parameters: params, messages: [{ role: 'USER', content: 'Write a one-line poem.' }] }));
  const b = await backend.generate(request({ parameters: params, messages: [{ role: 'USER', content: 'Write a one-line poem.' }] }));
  expect(a.text).toBe(b.text);
});

test('an abort stops generation at once and frees the sequence for the next request', async () => {
  const abort = new AbortController();
  const started = performance.now();
  let abortedAt = 0;
  const pending = backend.generate(
    request({
      parameters: { maxTokens: 400, temperature: 0.8, topP: 1, seed: 1, stop: [] },
      signal: abort.signal,
      onText: () => {
        if (!abort.signal.aborted) {
          abortedAt = performance.now();
          abort.abort(new Error('client went away'));
        }
      },
    }),
  );
  await expect(pending).rejects.toThrow('client went away');
  expect(performance.now() - abortedAt).toBeLessThan(3_000);
  expect(performance.now() - started).toBeLessThan(20_000);
  const next = await backend.generate(request({ parameters: { maxTokens: 3, temperature: 0, topP: 1, seed: null, stop: [] } }));
  expect(next.completionTokens).toBe(3);
});

test('requests wait for a free sequence in a bounded queue; a waiter can leave, a full queue refuses', async () => {
  const running = backend.generate(request({ parameters: { maxTokens: 24, temperature: 0, topP: 1, seed: null, stop: [] } }));
  expect(backend.load).toEqual({ inUse: 1, waiting: 0, sequences: 1 });
  const leaver = new AbortController();
  const waiting = backend.generate(request({ signal: leaver.signal }));
  expect(backend.load.waiting).toBe(1);
  await expect(backend.generate(request())).rejects.toBeInstanceOf(BackendUnavailableError);
  leaver.abort(new Error('gave up waiting'));
  await expect(waiting).rejects.toThrow('gave up waiting');
  expect(backend.load.waiting).toBe(0);
  const queued = backend.generate(request({ parameters: { maxTokens: 4, temperature: 0, topP: 1, seed: null, stop: [] } }));
  const [first, second] = (await Promise.all([running, queued])) as [BackendResult, BackendResult];
  expect(first.completionTokens).toBeGreaterThan(0);
  expect(second.completionTokens).toBe(4);
  expect(backend.load).toEqual({ inUse: 0, waiting: 0, sequences: 1 });
});
