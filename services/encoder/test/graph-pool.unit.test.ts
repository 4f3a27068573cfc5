// The pool in front of several copies of a graph: each run goes to the copy with the fewest runs in
// flight, outputs come back to their callers, a failed load releases the copies already loaded.
// Fake graphs (the project's own Graph port) whose runs finish when the test says so.
import type { Graph, GraphFeeds, GraphOutput } from '../onnx-graph';
import { UnavailableError } from '@llmops/platform';
import { GraphPool } from '../src/adapters/graph-pool';

class FakeGraph implements Graph {
  readonly inputNames = ['input_ids', 'attention_mask'];
  readonly outputNames = ['last_hidden_state'];
  readonly runs: Array<{ rows: number; finish(): void; fail(err: Error): void }> = [];
  released = 0;
  broken: Error | null = null;

  constructor(readonly id: number) {}

  /** The worker thread dies: runs in flight fail, and every later one at once (as WorkerSession does). */
  die(): void {
    this.broken = new Error(`copy ${this.id}: the model's worker thread exited (code 1)`);
    for (const r of this.runs.splice(0)) r.fail(this.broken);
  }

  run(feeds: GraphFeeds): Promise<GraphOutput> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.runs.push({ rows: feeds.rows, finish: () => resolve({ data: new Float32Array([this.id]), dims: [feeds.rows] }), fail: reject });
    });
  }

  release(): Promise<void> {
    this.released++;
    return Promise.resolve();
  }
}

const feeds = (rows: number): GraphFeeds => ({ rows, seqLen: 1, ids: new BigInt64Array(rows), mask: new BigInt64Array(rows) });

test('concurrent runs go to different copies; a freed copy takes the next run', async () => {
  const [a, b] = [new FakeGraph(1), new FakeGraph(2)];
  const pool = new GraphPool([a, b]);
  const first = pool.run(feeds(1));
  const second = pool.run(feeds(2));
  expect(a.runs.map((r) => r.rows)).toEqual([1]);
  expect(b.runs.map((r) => r.rows)).toEqual([2]);
  b.runs[0]!.finish();
  await expect(second).resolves.toEqual({ data: new Float32Array([2]), dims: [2] });
  const third = pool.run(feeds(3));
  expect(b.runs.map((r) => r.rows)).toEqual([2, 3]);
  // Both busy: the fourth queues on the first copy with the fewest in flight.
  const fourth = pool.run(feeds(4));
  expect(a.runs.map((r) => r.rows)).toEqual([1, 4]);
  a.runs[0]!.finish();
  a.runs[1]!.finish();
  b.runs[1]!.finish();
  await expect(Promise.all([first, third, fourth])).resolves.toEqual([
    { data: new Float32Array([1]), dims: [1] },
    { data: new Float32Array([2]), dims: [3] },
    { data: new Float32Array([1]), dims: [4] },
  ]);
});

test("a failed run is its caller's failure and frees the copy", async () => {
  const a = new FakeGraph(1);
  const pool = new GraphPool([a, new FakeGraph(2)]);
  const failing = pool.run(feeds(1));
  a.runs[0]!.fail(new Error('model.onnx: bad input'));
  await expect(failing).rejects.toThrow('model.onnx: bad input');
  void pool.run(feeds(2));
  expect(a.runs.map((r) => r.rows)).toEqual([1, 2]);
});

test('load: all copies or none; release releases every copy', async () => {
  const loaded: FakeGraph[] = [];
  let n = 0;
  const pool = await GraphPool.load(3, () => Promise.resolve(new FakeGraph(++n)).then((g) => (loaded.push(g), g)));
  expect(pool.size).toBe(3);
  expect(pool.outputNames).toEqual(['last_hidden_state']);
  await pool.release();
  expect(loaded.map((g) => g.released)).toEqual([1, 1, 1]);

  const partial: FakeGraph[] = [];
  let m = 0;
  const load = () => (++m === 2 ? Promise.reject(new Error('/models/x/model.onnx: no such file')) : Promise.resolve(new FakeGraph(m)).then((g) => (partial.push(g), g)));
  await expect(GraphPool.load(3, load)).rejects.toThrow('/models/x/model.onnx: no such file');
  expect(partial.map((g) => g.released)).toEqual([1, 1]);
  expect(() => new GraphPool([])).toThrow('at least one graph');
});

test('a copy whose worker died takes no more runs; a fresh copy is loaded in its place', async () => {
  const [a, b] = [new FakeGraph(1), new FakeGraph(2)];
  const fresh: FakeGraph[] = [];
  let loads = 0;
  const pool = new GraphPool([a, b], () => {
    loads++;
    const g = new FakeGraph(10 + loads);
    fresh.push(g);
    return Promise.resolve(g);
  });
  const inFlight = pool.run(feeds(1));
  a.die();
  await expect(inFlight).rejects.toThrow('worker thread exited');
  expect(pool.running).toBe(1);
  // With the fewest in flight, the dead copy used to get every run, each failing at once.
  const next = [pool.run(feeds(2)), pool.run(feeds(3))];
  expect(b.runs.map((r) => r.rows)).toEqual([2, 3]);
  b.runs.forEach((r) => r.finish());
  await expect(Promise.all(next)).resolves.toHaveLength(2);
  await pool.settled();
  expect(loads).toBe(1);
  expect(a.released).toBe(1);
  expect(pool.running).toBe(2);
  const later = [pool.run(feeds(4)), pool.run(feeds(5))];
  expect(fresh[0]!.runs.map((r) => r.rows)).toEqual([4]);
  expect(b.runs.map((r) => r.rows)).toEqual([2, 3, 5]);
  fresh[0]!.runs[0]!.finish();
  b.runs[2]!.finish();
  await expect(Promise.all(later)).resolves.toEqual([
    { data: new Float32Array([11]), dims: [4] },
    { data: new Float32Array([2]), dims: [5] },
  ]);
  await pool.release();
  expect([b.released, fresh[0]!.released]).toEqual([1, 1]);
});

test('with no copy left and loading failing, runs are UNAVAILABLE and loads back off', async () => {
  let now = 0;
  let loads = 0;
  let loadWorks = false;
  const a = new FakeGraph(1);
  const pool = new GraphPool(
    [a],
    () => {
      loads++;
      return loadWorks ? Promise.resolve(new FakeGraph(2)) : Promise.reject(new Error('model.onnx: cannot allocate memory'));
    },
    () => now,
  );
  a.die();
  const refused = await pool.run(feeds(1)).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(UnavailableError);
  await pool.settled();
  expect(loads).toBe(1);
  await expect(pool.run(feeds(1))).rejects.toMatchObject({ code: 'UNAVAILABLE', cause: { message: 'model.onnx: cannot allocate memory' } });
  await pool.settled();
  expect(loads).toBe(1); // within the back-off: no new load
  now += 1_000;
  loadWorks = true;
  await expect(pool.run(feeds(1))).rejects.toBeInstanceOf(UnavailableError);
  await pool.settled();
  expect(loads).toBe(2);
  expect(pool.running).toBe(1);
  void pool.run(feeds(7));
  await pool.release();
});

test('readiness: a problem while no copy can run, and asking loads the broken copies again without any run', async () => {
  let now = 0;
  let loadWorks = false;
  const a = new FakeGraph(1);
  const b = new FakeGraph(2);
  const pool = new GraphPool([a, b], () => (loadWorks ? Promise.resolve(new FakeGraph(3)) : Promise.reject(new Error('model.onnx: cannot allocate memory'))), () => now);
  expect(pool.problem()).toBeNull();
  a.die();
  expect(pool.problem()).toBeNull(); // b still runs
  b.die();
  await pool.settled();
  expect(pool.problem()).toMatch(/^no copy of the graph can run \(2 loading again; last load failed: model.onnx: cannot allocate memory\)$/);
  now += 1_000;
  loadWorks = true;
  pool.problem(); // the readiness probe, with no traffic: starts the loads
  await pool.settled();
  expect(pool.problem()).toBeNull();
  expect(pool.running).toBe(2);
  await pool.release();
});
