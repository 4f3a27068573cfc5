// The embedding service with fakes of its own ports (tokenizer, backend): typed errors naming the
// field, towers and prefixes, adapters, and the configuration plan. Vectors from the real model are
// tested in onnx-model.unit.test.ts; here the fake backend only records what reaches it.
import { InputError } from '@llmops/platform';
import { embeddingModelCatalog } from '../src/domain/catalog';
import { LinearQueryAdapter, type AdapterManifest } from '../src/domain/adapter-model';
import { planEmbeddingModels, type EmbeddingModel, type Tower } from '../src/domain/embedding-model';
import { EmbeddingService } from '../src/domain/embedding-service';
import { UnknownReferenceError } from '../src/domain/errors';
import { ModelRunner } from '../src/domain/model-runner';
import type { EmbeddingBackend, ModelInput, Tokenizer } from '../src/domain/ports';
import { encoderSettings } from './model-fixture';

/** Words as token ids, wrapped in [CLS]=1 ... [SEP]=2. */
const wordTokenizer: Tokenizer = {
  encode: (text) => [1, ...text.split(/\s+/).filter(Boolean).map((w) => 100 + w.length), 2],
  decode: (ids) => ids.filter((i) => i > 2).map((i) => 'x'.repeat(i - 100)).join(' '),
};

/** Records each batch; answers a one-hot vector per input so the tests can follow rows. */
class RecordingBackend implements EmbeddingBackend {
  readonly kind = 'ONNX' as const;
  batches: ModelInput[][] = [];
  async embed(batch: ModelInput[]) {
    this.batches.push(batch);
    return batch.map((_, i) => {
      const v = new Float32Array(4);
      v[i % 4] = 3;
      return v;
    });
  }
  async close() {}
}

const limits = { maxBatchSize: 16, maxBatchTokens: 4096, maxWaitMs: 1, maxConcurrentBatches: 1 };

function setup() {
  const backend = new RecordingBackend();
  const e5 = { ...embeddingModelCatalog['e5-small-v2-q']!, dimensions: 4, maxTokens: 6 };
  const runner = new ModelRunner(e5, wordTokenizer, backend, limits);
  const tower = (prefix: string, adapter: LinearQueryAdapter | null = null): Tower => ({
    base: e5,
    runner,
    prefix,
    adapterRef: adapter ? { name: adapter.manifest.name, version: null } : null,
    adapter,
  });
  const single: EmbeddingModel = { name: 'e5', kind: 'SINGLE', dimensions: 4, query: tower('query: '), document: tower('passage: ') };
  const swap = new Float32Array(16);
  [1, 0, 3, 2].forEach((c, r) => (swap[r * 4 + c] = 1));
  const adapter = new LinearQueryAdapter({ name: 'swap', version: 1, dimensions: 4, baseModel: 'e5-small-v2-q' } as AdapterManifest, swap);
  const double: EmbeddingModel = { name: 'e5-adapted', kind: 'DOUBLE', dimensions: 4, query: tower('q> ', adapter), document: tower('') };
  const service = new EmbeddingService([single, double], { maxTexts: 3, maxTextBytes: 20 });
  return { service, backend };
}

test.each([
  ['no texts', 'texts', []],
  ['too many texts', 'texts', ['a', 'b', 'c', 'd']],
  ['an empty text', 'texts.1', ['fine', '']],
  ['a blank text', 'texts.0', ['  \n\t ']],
  ['a text over the byte limit', 'texts.1', ['ok', 'é'.repeat(11)]],
])('%s is BAD_USER_INPUT naming %s', async (_, field, texts) => {
  const err = await setup().service.embed({ model: null, inputType: 'QUERY', texts }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect(err).toMatchObject({ code: 'BAD_USER_INPUT', field });
});

test('an unknown model is NOT_FOUND naming the field and the known models', async () => {
  const err = await setup().service.embed({ model: 'nope', inputType: 'QUERY', texts: ['a'] }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UnknownReferenceError);
  expect(err).toMatchObject({ code: 'NOT_FOUND', details: { kind: 'EmbeddingModel', ref: 'nope', field: 'model', known: ['e5', 'e5-adapted'] } });
});

test('an unknown input type is BAD_USER_INPUT', async () => {
  const err = await setup()
    .service.embed({ model: null, inputType: 'BOTH' as 'QUERY', texts: ['a'] })
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'BAD_USER_INPUT', field: 'inputType' });
});

test('each side gets its tower prefix; the default model is the first', async () => {
  const { service, backend } = setup();
  await service.embed({ model: null, inputType: 'QUERY', texts: ['what is x'] });
  await service.embed({ model: 'e5', inputType: 'DOCUMENT', texts: ['x is y'] });
  expect(backend.batches.map((b) => b.map((i) => i.text))).toEqual([['query: what is x'], ['passage: x is y']]);
});

test('each answer names the tower that embedded it: base model and prefix, not the adapter', async () => {
  const { service } = setup();
  const tower = async (model: string | null, inputType: 'QUERY' | 'DOCUMENT') => (await service.embed({ model, inputType, texts: ['a'] })).tower;
  expect(await tower(null, 'QUERY')).toEqual({ baseModel: 'e5-small-v2-q', prefix: 'query: ' });
  expect(await tower('e5', 'DOCUMENT')).toEqual({ baseModel: 'e5-small-v2-q', prefix: 'passage: ' });
  expect(await tower('e5-adapted', 'QUERY')).toEqual({ baseModel: 'e5-small-v2-q', prefix: 'q> ' });
  expect(await tower('e5-adapted', 'DOCUMENT')).toEqual({ baseModel: 'e5-small-v2-q', prefix: '' });
});

test('truncation is reported per input and the kept text is what a remote backend receives', async () => {
  const { service, backend } = setup();
  const r = await service.embed({ model: 'e5-adapted', inputType: 'DOCUMENT', texts: ['a bb ccc dddd eeeee', 'a bb'] });
  expect(r.truncated).toEqual([true, false]);
  expect(r.tokenCounts).toEqual([6, 4]);
  expect(backend.batches[0]![0]).toEqual({ text: 'x xx xxx xxxx', ids: [1, 101, 102, 103, 104, 2], truncated: true });
});

test('a query adapter maps the query tower only; vectors come out unit-norm', async () => {
  const { service } = setup();
  const q = await service.embed({ model: 'e5-adapted', inputType: 'QUERY', texts: ['a'] });
  const d = await service.embed({ model: 'e5-adapted', inputType: 'DOCUMENT', texts: ['a'] });
  expect(Array.from(q.vectors[0]!)).toEqual([0, 1, 0, 0]);
  expect(Array.from(d.vectors[0]!)).toEqual([1, 0, 0, 0]);
});

test('a newly trained version is served by the towers that follow its name (and only those)', () => {
  const { service } = setup();
  const manifest = { name: 'swap', version: 2, dimensions: 4, baseModel: 'e5-small-v2-q' } as AdapterManifest;
  expect(service.installAdapter(new LinearQueryAdapter(manifest, new Float32Array(16)))).toEqual(['e5-adapted']);
  expect(service.model('e5-adapted').query.adapter!.manifest.version).toBe(2);
  expect(service.model('e5').query.adapter).toBeNull();
  const otherBase = { ...manifest, baseModel: 'all-minilm-l6-v2-q' };
  expect(service.installAdapter(new LinearQueryAdapter(otherBase, new Float32Array(16)))).toEqual([]);
});

test('configuration: single towers, double towers, default and errors naming the setting', () => {
  const plan = planEmbeddingModels(
    ['all-minilm-l6-v2-q', 'e5-small-v2-q'],
    [{ name: 'mixed', query: { model: 'bge-small-en-v15-q', adapter: 'q@2' }, document: { model: 'all-minilm-l6-v2-q', prefix: 'doc: ' } }],
    'mixed',
  );
  expect(plan.map((p) => [p.name, p.kind])).toEqual([
    ['mixed', 'DOUBLE'],
    ['all-minilm-l6-v2-q', 'SINGLE'],
    ['e5-small-v2-q', 'SINGLE'],
  ]);
  expect(plan[0]!.query).toEqual({ model: 'bge-small-en-v15-q', prefix: 'Represent this sentence for searching relevant passages: ', adapter: { name: 'q', version: 2 } });
  expect(plan[0]!.document).toEqual({ model: 'all-minilm-l6-v2-q', prefix: 'doc: ', adapter: null });
  expect(plan[2]!.query.prefix).toBe('query: ');
  expect(() => planEmbeddingModels(['nope'], [], undefined)).toThrow('ENCODER_MODELS: unknown model "nope"');
  expect(() => planEmbeddingModels(['e5-small-v2-q', 'e5-small-v2-q'], [], undefined)).toThrow('configured twice');
  expect(() => planEmbeddingModels(['e5-small-v2-q'], [], 'other')).toThrow('ENCODER_DEFAULT_MODEL');
  expect(() =>
    planEmbeddingModels([], [{ name: 'd', query: { model: 'e5-small-v2-q', adapter: '../x' }, document: { model: 'e5-small-v2-q' } }], undefined),
  ).toThrow('ENCODER_DOUBLE_TOWERS[d].query.adapter');
});

test('settings: defaults, JSON towers, and the remote backend needs its URL', () => {
  const s = encoderSettings({});
  expect(s.ENCODER_MODELS).toEqual(['all-minilm-l6-v2-q']);
  expect(s.ENCODER_DOUBLE_TOWERS).toEqual([]);
  expect(s.ENCODER_ADAPTER_DIR).toBe(`${s.MODEL_DIR}/adapters`);
  expect(s.ENCODER_ONNX_THREADS).toBe(1);
  expect(s.ENCODER_ONNX_WORKERS).toBe(2);
  expect(s.ENCODER_MAX_CONCURRENT_BATCHES).toBe(2);
  expect(encoderSettings({ ENCODER_ONNX_WORKERS: '0' }).ENCODER_MAX_CONCURRENT_BATCHES).toBe(1);
  expect(encoderSettings({ ENCODER_ONNX_WORKERS: '4', ENCODER_MAX_CONCURRENT_BATCHES: '3' }).ENCODER_MAX_CONCURRENT_BATCHES).toBe(3);
  expect(encoderSettings({ ENCODER_BACKEND: 'openai', ENCODER_BACKEND_URL: 'http://tei:8080' }).ENCODER_MAX_CONCURRENT_BATCHES).toBe(1);
  expect(() => encoderSettings({ ENCODER_ONNX_WORKERS: '-1' })).toThrow('ENCODER_ONNX_WORKERS');
  expect(s.ENCODER_MAX_BATCH_SIZE).toBe(64);
  expect(s.ENCODER_MAX_BATCH_TOKENS).toBe(2048);
  expect(s.ENCODER_BACKEND).toBe('onnx');
  const towers = encoderSettings({ ENCODER_DOUBLE_TOWERS: '[{"name":"t","query":{"model":"a","adapter":"x"},"document":{"model":"b"}}]' });
  expect(towers.ENCODER_DOUBLE_TOWERS[0]!.query).toEqual({ model: 'a', adapter: 'x' });
  expect(() => encoderSettings({ ENCODER_DOUBLE_TOWERS: '{not json' })).toThrow('ENCODER_DOUBLE_TOWERS');
  expect(() => encoderSettings({ ENCODER_BACKEND: 'openai' })).toThrow('ENCODER_BACKEND_URL: required when ENCODER_BACKEND=openai');
});
