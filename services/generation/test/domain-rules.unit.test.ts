// The pure rules of the generation domain: inline templates, parameters and limits, routing, the
// sequence queue, linked signals, and the settings.
import { InputError, parseConfig } from '@llmops/platform';
import { configSchema, openAiBackends } from '../src/config-schema';
import { resolveParameters } from '../src/domain/parameters';
import type { ModelBackend } from '../src/domain/ports';
import { ModelRouter } from '../src/domain/router';
import { QueueFullError, SlotPool } from '../src/domain/slot-pool';
import { renderInlinePrompt, renderTemplate, templateVariables } from '../src/domain/template';

const limits = { maxTokens: 1024, defaultMaxTokens: 256, defaultTemperature: 0.7 };

describe('inline templates', () => {
  test('substitute variables and object paths; arrays become lines, objects JSON; values are not re-scanned', () => {
    expect(renderTemplate('Hi {{ name }}, {{user.city}}: {{list}} {{obj}} {{n}} {{{raw}}}', {
      name: 'Ada',
      user: { city: 'Paris' },
      list: ['a', 'b'],
      obj: { k: 1 },
      n: 3,
      raw: '{{name}}',
    })).toBe('Hi Ada, Paris: a\nb {"k":1} 3 {{name}}');
    expect(templateVariables('{{a}} {{b.c}} {{a}}')).toEqual(['a', 'b.c']);
  });

  test('every missing variable is listed at once; a stray {{ is a syntax error', () => {
    const err = (() => {
      try {
        renderTemplate('{{a}} {{b}} {{c.d}}', { a: 1, c: {} });
      } catch (e) {
        return e as InputError;
      }
    })()!;
    expect(err).toBeInstanceOf(InputError);
    expect(err.details).toMatchObject({ field: 'variables', missing: ['b', 'c.d'] });
    expect(() => renderTemplate('oops {{ 1 }}', {})).toThrow('"{{" must open a {{variable}} placeholder');
  });

  test('chat prompts render each message and report missing variables across them', () => {
    const prompt = { kind: 'CHAT' as const, messages: [{ role: 'SYSTEM' as const, content: 'You are {{tone}}.' }, { role: 'USER' as const, content: '{{q}}' }] };
    expect(renderInlinePrompt(prompt, { tone: 'terse', q: 'Hi' })).toEqual([
      { role: 'SYSTEM', content: 'You are terse.' },
      { role: 'USER', content: 'Hi' },
    ]);
    expect(() => renderInlinePrompt(prompt, {})).toThrow('messages: missing variable(s): tone, q');
    expect(renderInlinePrompt({ kind: 'TEXT', template: 'x' }, {})).toEqual([{ role: 'USER', content: 'x' }]);
  });
});

describe('parameters', () => {
  test('request over version over service defaults', () => {
    expect(resolveParameters({}, {}, limits)).toEqual({ maxTokens: 256, temperature: 0.7, topP: 1, seed: null, stop: [] });
    expect(resolveParameters({ temperature: 0 }, { maxTokens: 20, temperature: 1, stop: ['\n'], seed: 4 }, limits)).toEqual({
      maxTokens: 20,
      temperature: 0,
      topP: 1,
      seed: 4,
      stop: ['\n'],
    });
  });

  test.each([
    [{ maxTokens: 0 }, 'parameters.maxTokens'],
    [{ maxTokens: 1025 }, 'parameters.maxTokens'],
    [{ maxTokens: 1.5 }, 'parameters.maxTokens'],
    [{ temperature: 2.5 }, 'parameters.temperature'],
    [{ topP: 0 }, 'parameters.topP'],
    [{ seed: -1 }, 'parameters.seed'],
    // GraphQL reads the seed back as an Int: 2^31 - 1 at most.
    [{ seed: 2 ** 31 }, 'parameters.seed'],
    [{ seed: 2 ** 40 }, 'parameters.seed'],
    [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'parameters.stop'],
    [{ stop: [''] }, 'parameters.stop.0'],
  ])('%j is refused naming %s', (overrides, field) => {
    expect(() => resolveParameters(overrides, {}, limits)).toThrow(expect.objectContaining({ field }));
  });

  test('a seed from the version is checked like the request\'s; 2^31 - 1 is the largest', () => {
    expect(() => resolveParameters({}, { seed: 2 ** 31 }, limits)).toThrow(expect.objectContaining({ field: 'parameters.seed' }));
    expect(resolveParameters({ seed: 2 ** 31 - 1 }, {}, limits).seed).toBe(2 ** 31 - 1);
  });
});

const backend = (name: string, models: string[], kind: ModelBackend['kind'] = 'OPENAI_COMPATIBLE'): ModelBackend => ({
  name,
  kind,
  models: models.map((m) => ({ name: m, contextLength: 4096 })),
  countPromptTokens: () => null,
  generate: () => Promise.reject(new Error('routing tests do not generate')),
  close: async () => {},
});

describe('routing', () => {
  const gpu = backend('gpu', ['big', 'bigger']);
  const embedded = backend('embedded', ['small'], 'EMBEDDED');

  test('models route by name to their backend; the default serves requests without a model', () => {
    const router = new ModelRouter([gpu, embedded], { defaultModel: 'big', fallbackBackend: 'embedded' });
    expect(router.route('bigger').backend).toBe(gpu);
    expect(router.route(null).model.name).toBe('big');
    expect(router.models().map((m) => [m.name, m.backend, m.isDefault])).toEqual([
      ['big', 'gpu', true],
      ['bigger', 'gpu', false],
      ['small', 'embedded', false],
    ]);
    expect(() => router.route('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  test('the fallback takes over only for another backend', () => {
    const router = new ModelRouter([gpu, embedded], { defaultModel: 'big', fallbackBackend: 'embedded' });
    expect(router.fallbackFor(router.route('big'))).toMatchObject({ backend: embedded, model: { name: 'small' } });
    expect(router.fallbackFor(router.route('small'))).toBeNull();
    expect(new ModelRouter([gpu], { defaultModel: 'big', fallbackBackend: null }).fallbackFor(router.route('big'))).toBeNull();
  });

  test('misconfiguration is refused at start', () => {
    expect(() => new ModelRouter([gpu, backend('other', ['big'])], { defaultModel: 'big', fallbackBackend: null })).toThrow('served by two backends');
    expect(() => new ModelRouter([gpu], { defaultModel: 'small', fallbackBackend: null })).toThrow('default model small');
    expect(() => new ModelRouter([gpu], { defaultModel: 'big', fallbackBackend: 'nowhere' })).toThrow('fallback backend nowhere');
  });
});

describe('the sequence queue', () => {
  test('hands out free slots, queues FIFO, refuses past its limit, and lets waiters leave', async () => {
    const changes: Array<[number, number]> = [];
    const pool = new SlotPool(['s1'], 2, (inUse, waiting) => changes.push([inUse, waiting]));
    const held = await pool.acquire(new AbortController().signal);
    const order: string[] = [];
    const a = pool.acquire(new AbortController().signal).then((s) => order.push(`a:${s}`));
    const leaver = new AbortController();
    const b = pool.acquire(leaver.signal);
    await expect(pool.acquire(new AbortController().signal)).rejects.toBeInstanceOf(QueueFullError);
    leaver.abort(new Error('bye'));
    await expect(b).rejects.toThrow('bye');
    pool.release(held);
    await a;
    expect(order).toEqual(['a:s1']);
    expect(pool.waiting).toBe(0);
    expect(changes.at(-1)).toEqual([1, 0]);
  });
});

describe('settings', () => {
  const base = { MODEL_DIR: '/models', DATABASE_URL: 'postgres://x', KAFKA_BROKERS: 'k:9092', PROMPT_REGISTRY_ADDRESS: 'r:1' };

  test('defaults: one thread, four sequences, embedded fallback, no remote backends', () => {
    const c = parseConfig(configSchema, base);
    expect(c).toMatchObject({ GENERATION_THREADS: 1, GENERATION_SEQUENCES: 4, GENERATION_CONTEXT_SIZE: 2048, GENERATION_FALLBACK_BACKEND: 'embedded', RETRIEVAL_ADDRESS: '' });
    expect(openAiBackends(c)).toEqual([]);
  });

  test('the chart form (one server) and the JSON form (several) describe OpenAI-compatible backends', () => {
    const c = parseConfig(configSchema, {
      ...base,
      GENERATION_BACKEND_URL: 'http://vllm:8000/v1',
      GENERATION_BACKEND_MODEL: 'smollm2-1.7b-instruct',
      GENERATION_OPENAI_BACKENDS: JSON.stringify([{ name: 'hosted', baseUrl: 'https://api.example.com/v1', apiKey: 'k', models: [{ name: 'big', contextLength: 32768 }] }]),
    });
    expect(openAiBackends(c).map((b) => [b.name, b.models.map((m) => m.name), b.timeoutMs])).toEqual([
      ['openai', ['smollm2-1.7b-instruct'], 60_000],
      ['hosted', ['big'], 60_000],
    ]);
  });

  test('bad settings name the setting', () => {
    expect(() => parseConfig(configSchema, { ...base, GENERATION_BACKEND_URL: 'http://vllm:8000/v1' })).toThrow(/GENERATION_BACKEND_MODEL/);
    expect(() => parseConfig(configSchema, { ...base, GENERATION_FALLBACK_BACKEND: 'gpu' })).toThrow(/GENERATION_FALLBACK_BACKEND/);
    expect(() => parseConfig(configSchema, { ...base, GENERATION_OPENAI_BACKENDS: '[{' })).toThrow(/GENERATION_OPENAI_BACKENDS.*must be JSON/);
    expect(() => parseConfig(configSchema, { ...base, PROMPT_REGISTRY_ADDRESS: 'nohost' })).toThrow(/PROMPT_REGISTRY_ADDRESS/);
  });
});
