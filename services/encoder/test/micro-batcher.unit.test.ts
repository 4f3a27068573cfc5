// Dynamic micro-batching with a fake model of our own port: what arrives together runs together,
// within the size and padded-token limits, in order, and failures reach only their own callers.
import { MicroBatcher, type BatchLimits, type BatchStats } from '../src/domain/micro-batcher';

interface Item {
  id: number;
  tokens: number;
}

/** A fake model run that records each batch and answers after `ms`. */
function fakeModel(ms = 5) {
  const runs: number[][] = [];
  let active = 0;
  let maxActive = 0;
  const run = async (items: Item[]) => {
    runs.push(items.map((i) => i.id));
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((r) => setTimeout(r, ms));
    active--;
    if (items.some((i) => i.id < 0)) throw new Error('model failed');
    return items.map((i) => `out-${i.id}`);
  };
  return { run, runs, maxActive: () => maxActive };
}

const limits = (over: Partial<BatchLimits> = {}): BatchLimits => ({
  maxBatchSize: 8,
  maxBatchTokens: 10_000,
  maxWaitMs: 5,
  maxConcurrentBatches: 1,
  ...over,
});
const items = (from: number, n: number, tokens = 10) => Array.from({ length: n }, (_, i) => ({ id: from + i, tokens }));

test('requests arriving within the wait window are merged into one run, outputs in order', async () => {
  const model = fakeModel();
  const stats: BatchStats[] = [];
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits(), (s) => stats.push(s));
  const [a, c, d] = await Promise.all([b.submit(items(0, 2)), b.submit(items(2, 1)), b.submit(items(3, 3))]);
  expect(a).toEqual(['out-0', 'out-1']);
  expect(c).toEqual(['out-2']);
  expect(d).toEqual(['out-3', 'out-4', 'out-5']);
  expect(model.runs).toEqual([[0, 1, 2, 3, 4, 5]]);
  expect(stats).toEqual([expect.objectContaining({ size: 6, tokens: 60, paddedTokens: 60 })]);
});

test('a full batch runs without waiting; what queues meanwhile forms the next batch', async () => {
  const model = fakeModel(20);
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits({ maxBatchSize: 4, maxWaitMs: 1_000 }));
  const started = Date.now();
  const first = b.submit(items(0, 4));
  await new Promise((r) => setTimeout(r, 5));
  const later = [b.submit(items(4, 2)), b.submit(items(6, 3))];
  await Promise.all([first, ...later]);
  // 1 s of wait would have been spent had the batcher waited instead of filling batches.
  expect(Date.now() - started).toBeLessThan(500);
  expect(model.runs).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8]]);
  expect(model.maxActive()).toBe(1);
});

test('a request larger than the batch size is split across runs', async () => {
  const model = fakeModel(1);
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits({ maxBatchSize: 3 }));
  expect(await b.submit(items(0, 7))).toHaveLength(7);
  expect(model.runs).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
});

test('padded tokens (rows x longest) bound a batch, and one oversized item still runs alone', async () => {
  const model = fakeModel(1);
  const stats: BatchStats[] = [];
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits({ maxBatchTokens: 300 }), (s) => stats.push(s));
  const input = [
    { id: 0, tokens: 50 },
    { id: 1, tokens: 100 },
    { id: 2, tokens: 100 },
    { id: 3, tokens: 500 },
    { id: 4, tokens: 10 },
  ];
  await b.submit(input);
  // [0,1] = 2 x 100; adding 2 would be 3 x 100 = 300 (fits); adding 3 would be 4 x 500.
  expect(model.runs).toEqual([[0, 1, 2], [3], [4]]);
  expect(stats.map((s) => s.paddedTokens)).toEqual([300, 500, 10]);
});

test('concurrent batches are allowed when configured', async () => {
  const model = fakeModel(20);
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits({ maxBatchSize: 2, maxConcurrentBatches: 2 }));
  await b.submit(items(0, 6));
  expect(model.maxActive()).toBe(2);
});

test('what is queued when several runs are free is shared out between them, a batch at most each', async () => {
  const model = fakeModel(20);
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits({ maxBatchSize: 8, maxConcurrentBatches: 2 }));
  // A lone request of 6 runs as two runs of 3 side by side, not as one run of 6 beside an idle copy.
  await b.submit(items(0, 6));
  expect(model.runs).toEqual([[0, 1, 2], [3, 4, 5]]);
  expect(model.maxActive()).toBe(2);
  // 20 items: two full batches at once; the last 4 run as one run, or as two of 2 when both runs
  // have finished by the time the next is chosen (timers decide which).
  model.runs.length = 0;
  await b.submit(items(10, 20));
  const sizes = model.runs.map((r) => r.length);
  expect(sizes.slice(0, 2)).toEqual([8, 8]);
  expect([[4], [2, 2]]).toContainEqual(sizes.slice(2));
  // An interactive item ahead of batch work is shared out within its own lane only.
  model.runs.length = 0;
  await Promise.all([b.submit(items(100, 3), undefined, 'batch'), b.submit(items(200, 1))]);
  expect(model.runs).toEqual([[200], [100, 101, 102]]);
});

test('a failed run rejects the requests in it, not those in other runs', async () => {
  const model = fakeModel(1);
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits({ maxBatchSize: 2 }));
  const results = await Promise.allSettled([b.submit([{ id: 0, tokens: 1 }, { id: -1, tokens: 1 }]), b.submit(items(10, 2))]);
  expect(results[0]).toEqual({ status: 'rejected', reason: new Error('model failed') });
  expect(results[1]).toEqual({ status: 'fulfilled', value: ['out-10', 'out-11'] });
});

test('an aborted request leaves the queue before its batch runs', async () => {
  const model = fakeModel(20);
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits({ maxBatchSize: 2, maxWaitMs: 0 }));
  const first = b.submit(items(0, 2));
  const controller = new AbortController();
  const second = b.submit(items(2, 2), controller.signal);
  controller.abort(new Error('client went away'));
  await expect(second).rejects.toThrow('client went away');
  await first;
  await new Promise((r) => setTimeout(r, 30));
  expect(model.runs).toEqual([[0, 1]]);
  expect(b.queued).toBe(0);
});

test('an interactive request overtakes queued batch work and runs without it', async () => {
  const model = fakeModel(20);
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits({ maxBatchSize: 4, maxWaitMs: 0 }));
  const bulk = b.submit(items(0, 12), undefined, 'batch');
  await new Promise((r) => setTimeout(r, 5)); // the first batch run is on the model
  const query = b.submit(items(100, 1));
  const laterQuery = b.submit(items(200, 2), undefined, 'interactive');
  expect(await query).toEqual(['out-100']);
  await Promise.all([bulk, laterQuery]);
  // The running batch finishes; then both queries (one lane, arrival order), then the rest of the batch work.
  expect(model.runs).toEqual([[0, 1, 2, 3], [100, 200, 201], [4, 5, 6, 7], [8, 9, 10, 11]]);
});

test('batch work of several callers is served in arrival order, and fills runs across callers', async () => {
  const model = fakeModel(5);
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits({ maxBatchSize: 4 }));
  const outputs = await Promise.all([b.submit(items(0, 3), undefined, 'batch'), b.submit(items(3, 3), undefined, 'batch')]);
  expect(outputs).toEqual([['out-0', 'out-1', 'out-2'], ['out-3', 'out-4', 'out-5']]);
  expect(model.runs).toEqual([[0, 1, 2, 3], [4, 5]]);
});

test('an aborted batch request leaves the queue without disturbing interactive ones queued ahead of it', async () => {
  const model = fakeModel(20);
  const b = new MicroBatcher(model.run, (i: Item) => i.tokens, limits({ maxBatchSize: 2, maxWaitMs: 0 }));
  const first = b.submit(items(0, 2), undefined, 'batch');
  const controller = new AbortController();
  const bulk = b.submit(items(2, 2), controller.signal, 'batch');
  const query = b.submit(items(100, 1));
  controller.abort(new Error('consumer stopped'));
  await expect(bulk).rejects.toThrow('consumer stopped');
  await Promise.all([first, query]);
  expect(model.runs).toEqual([[0, 1], [100]]);
  expect(b.queued).toBe(0);
});
