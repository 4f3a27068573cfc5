// The linear query adapter on a tiny synthetic set: queries are documents seen through a fixed
// permutation with sign flips (plus noise), so identity ranks badly and a learned W can undo it.
import { applyLinear, parseAdapterRef } from '../src/domain/adapter-model';
import { batchLoss, evaluateAdapter, identity, relevanceOf, seededRandom, trainLinearAdapter, type AdapterTrainingSet } from '../src/domain/adapter-training';
import { l2NormalizeInPlace } from '../src/domain/vectors';

const dims = 8;

/** scrambled: a permutation with sign flips (identity ranks badly); squashed: every other dimension shrunk (identity still ranks well). */
function syntheticSet(pairs: number, heldOut: number, distortion: 'scrambled' | 'squashed' = 'scrambled'): AdapterTrainingSet {
  const scrambled = distortion === 'scrambled';
  const random = seededRandom(7);
  const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const permutation = scrambled ? [3, 0, 6, 1, 7, 2, 5, 4] : [0, 1, 2, 3, 4, 5, 6, 7];
  const documents: Float32Array[] = [];
  const queries: Float32Array[] = [];
  for (let i = 0; i < pairs + heldOut; i++) {
    const doc = l2NormalizeInPlace(Float32Array.from({ length: dims }, gaussian));
    const query = new Float32Array(dims);
    permutation.forEach((to, from) => (query[to] = (from % 2 ? (scrambled ? -1 : 0.3) : 1) * doc[from]! + 0.05 * gaussian()));
    documents.push(doc);
    queries.push(l2NormalizeInPlace(query));
  }
  const index = (i: number) => ({ query: i, document: i });
  return {
    dimensions: dims,
    queries,
    documents,
    train: Array.from({ length: pairs }, (_, i) => index(i)),
    validation: Array.from({ length: heldOut }, (_, i) => index(pairs + i)),
  };
}

const options = { epochs: 30, batchSize: 8, learningRate: 0.02, temperature: 0.05, seed: 1 };

test('training reduces the in-batch loss on the training pairs and improves held-out ranking', async () => {
  const set = syntheticSet(64, 16);
  const before = evaluateAdapter(identity(dims), set, set.train, options);
  const epochs: number[] = [];
  const trained = await trainLinearAdapter(set, options, { onEpoch: (r) => epochs.push(r.trainLoss) });
  const after = evaluateAdapter(trained.weights, set, set.train, options);
  expect(after.loss).toBeLessThan(before.loss * 0.5);
  expect(epochs.at(-1)!).toBeLessThan(epochs[0]!);
  expect(trained.after.mrrAt10).toBeGreaterThan(trained.before.mrrAt10 + 0.2);
  expect(trained.after.recallAt10).toBeGreaterThanOrEqual(trained.before.recallAt10);
  expect(trained.history).toHaveLength(30);
  expect(trained.selectedEpoch).toBeGreaterThan(0);
});

test('training without validation pairs is refused: it would keep epoch 0, the identity', async () => {
  await expect(trainLinearAdapter(syntheticSet(64, 0), options)).rejects.toThrow('needs validation pairs');
});

test('between epochs of equal validation MRR@10, the one with the lower validation loss is kept', async () => {
  const set = syntheticSet(64, 8, 'squashed');
  const trained = await trainLinearAdapter(set, { ...options, epochs: 5, learningRate: 0.005 });
  const best = Math.max(...trained.history.map((h) => h.validation.mrrAt10));
  const tied = trained.history.filter((h) => h.validation.mrrAt10 === best);
  // Small validation sets saturate MRR: several epochs rank every held-out query first.
  expect(best).toBe(1);
  expect(tied.length).toBeGreaterThan(1);
  const lowest = tied.reduce((a, b) => (b.validation.loss < a.validation.loss ? b : a));
  expect(lowest.epoch).not.toBe(tied[0]!.epoch);
  expect(trained.selectedEpoch).toBe(lowest.epoch);
  expect(trained.after).toEqual(lowest.validation);
});

test('training is reproducible from its seed and reports progress per batch', async () => {
  const set = syntheticSet(32, 8);
  const steps: string[] = [];
  const a = await trainLinearAdapter(set, { ...options, epochs: 2 }, { onStep: (s) => steps.push(`${s.epoch}:${s.batch}/${s.batches}`) });
  const b = await trainLinearAdapter(set, { ...options, epochs: 2 });
  expect(a.weights).toEqual(b.weights);
  expect(steps).toEqual(['1:1/4', '1:2/4', '1:3/4', '1:4/4', '2:1/4', '2:2/4', '2:3/4', '2:4/4']);
});

test('the analytic gradient matches a finite-difference estimate of the loss', () => {
  const set = syntheticSet(6, 0);
  const random = seededRandom(3);
  const w = identity(dims).map((x) => x + 0.1 * (random() - 0.5));
  const relevant = relevanceOf(set.train);
  const { grad } = batchLoss(w, set, set.train, relevant, 0.5, true);
  const eps = 1e-2;
  for (const k of [0, 5, 13, 27, 40, 63]) {
    const plus = w.slice();
    const minus = w.slice();
    plus[k]! += eps;
    minus[k]! -= eps;
    const numeric = (batchLoss(plus, set, set.train, relevant, 0.5, false).loss - batchLoss(minus, set, set.train, relevant, 0.5, false).loss) / (2 * eps);
    expect(grad![k]!).toBeCloseTo(numeric, 3);
  }
});

test('an identity adapter leaves vectors unchanged; refs parse as name or name@version', () => {
  const v = Float32Array.from([0.5, -1, 2, 0, 0, 0, 0, 1]);
  expect(applyLinear(identity(dims), v)).toEqual(v);
  expect(parseAdapterRef('scifact-minilm')).toEqual({ name: 'scifact-minilm', version: null });
  expect(parseAdapterRef('scifact-minilm@3')).toEqual({ name: 'scifact-minilm', version: 3 });
  expect(parseAdapterRef('../etc@1')).toBeNull();
  expect(parseAdapterRef('x@0')).toBeNull();
});
