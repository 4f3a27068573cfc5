/** @jest-environment ./services/encoder/test/onnx-environment.js */
// The real quantized models through the real ONNX runtime: similarity as the models are known to
// give it, unit vectors, truncation at the model's maximum, prefixes and pooling per model.
import { buildEncoder, type BuiltEncoder } from '../src/build-encoder';
import { cosine, norm } from '../src/domain/vectors';
import { encoderSettings, hasModel } from './model-fixture';

let encoder: BuiltEncoder;
beforeAll(async () => {
  const extra = ['bge-small-en-v15-q', 'e5-small-v2-q'].filter(hasModel);
  encoder = await buildEncoder(encoderSettings({ ENCODER_MODELS: ['all-minilm-l6-v2-q', ...extra].join(',') }));
});
afterAll(() => encoder.close());

const embed = async (texts: string[], model: string | null = null, inputType: 'QUERY' | 'DOCUMENT' = 'QUERY') =>
  encoder.embeddings.embed({ model, inputType, texts });

test('all-MiniLM-L6-v2 (quantized) ranks paraphrases far above unrelated sentences', async () => {
  const { vectors, dimensions, tokenCounts } = await embed(['A man is eating food.', 'A man is eating a piece of bread.', 'A man is riding a horse.']);
  const [food, bread, horse] = vectors as [Float32Array, Float32Array, Float32Array];
  expect(dimensions).toBe(384);
  for (const v of vectors) expect(norm(v)).toBeCloseTo(1, 5);
  const foodBread = cosine(food, bread);
  const foodHorse = cosine(food, horse);
  expect(foodBread).toBeGreaterThan(0.6);
  expect(foodBread).toBeGreaterThan(foodHorse + 0.3);
  // Known values of this quantized export (sentence-transformers fp32 gives 0.7553 / 0.2474).
  expect(foodBread).toBeCloseTo(0.7556, 2);
  expect(foodHorse).toBeCloseTo(0.2648, 2);
  expect(tokenCounts).toEqual([8, 11, 9]);
});

test('batching: the same text in a batch gives the same vector; other texts move it only slightly', async () => {
  const alone = (await embed(['short'])).vectors[0]!;
  const twice = (await embed(['short', 'short'])).vectors;
  expect(cosine(alone, twice[0]!)).toBeGreaterThan(0.999999);
  expect(cosine(alone, twice[1]!)).toBeGreaterThan(0.999999);
  // The int8 export quantizes activations dynamically with ONE scale per tensor, so the other
  // rows of a batch (and their padding) shift a row's vector a little (measured: cosine 0.98-0.99).
  const padded = (await embed(['short', 'a much longer sentence that forces padding of the short one in the batch'])).vectors[0]!;
  expect(cosine(alone, padded)).toBeGreaterThan(0.97);
});

test('inputs over 256 tokens are truncated, reported per input, and still embed', async () => {
  const long = Array.from({ length: 400 }, (_, i) => `word${i % 7}`).join(' ');
  const r = await embed([long, 'short text']);
  expect(r.truncated).toEqual([true, false]);
  expect(r.tokenCounts).toEqual([256, 4]);
  expect(norm(r.vectors[0]!)).toBeCloseTo(1, 5);
  const alone = await embed([long]);
  // The kept part embeds as the same text cut before the model: the cut keeps [CLS] ... [SEP].
  const huge = `${long} ${'tail '.repeat(6000)}`;
  const cut = await embed([huge]);
  expect(cut.truncated).toEqual([true]);
  expect(cut.tokenCounts).toEqual([256]);
  expect(cosine(cut.vectors[0]!, alone.vectors[0]!)).toBeGreaterThan(0.999999);
});

const withExtra = hasModel('bge-small-en-v15-q') && hasModel('e5-small-v2-q') ? test : test.skip;
withExtra('bge (CLS pooling, query instruction) and e5 (query:/passage:) rank the relevant passage first', async () => {
  const query = 'how do plants make food from sunlight';
  const passages = ['Photosynthesis converts light energy into chemical energy stored in glucose.', 'The stock market fell sharply on Monday.'];
  for (const model of ['bge-small-en-v15-q', 'e5-small-v2-q']) {
    const q = (await embed([query], model, 'QUERY')).vectors[0]!;
    const [relevant, unrelated] = (await embed(passages, model, 'DOCUMENT')).vectors as [Float32Array, Float32Array];
    expect(cosine(q, relevant)).toBeGreaterThan(cosine(q, unrelated) + 0.1);
  }
  // The query side carries the model's prefix: bge's instruction changes the query vector.
  const bge = encoder.embeddings.model('bge-small-en-v15-q');
  expect(bge.query.prefix).toBe('Represent this sentence for searching relevant passages: ');
  const asQuery = (await embed([query], 'bge-small-en-v15-q', 'QUERY')).vectors[0]!;
  const asDoc = (await embed([query], 'bge-small-en-v15-q', 'DOCUMENT')).vectors[0]!;
  expect(cosine(asQuery, asDoc)).toBeLessThan(0.99);
});
