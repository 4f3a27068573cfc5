/** @jest-environment ./services/encoder/test/onnx-environment.js */
// The two places a graph runs, with the real quantized MiniLM: the worker thread gives the same
// token states as this thread, leaves this thread's event loop free during a run, names the model
// when it cannot load it, and refuses runs once released.
import { join } from 'node:path';
import { loadGraph, type Graph, type GraphFeeds } from '../onnx-graph';
import { WorkerSession } from '../src/adapters/onnx-session';
import { modelDir } from './model-fixture';

const modelPath = join(modelDir, 'all-minilm-l6-v2-q', 'model.onnx');
const options = { intraOpThreads: 2, spin: false };

/** rows x seqLen token ids (arbitrary vocabulary ids between [CLS] and [SEP]), all attended. */
function feeds(rows: number, seqLen: number): GraphFeeds {
  const ids = new BigInt64Array(rows * seqLen);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < seqLen; t++) ids[r * seqLen + t] = t === 0 ? 101n : t === seqLen - 1 ? 102n : BigInt(2000 + ((r * 31 + t * 7) % 5000));
  }
  return { rows, seqLen, ids, mask: new BigInt64Array(rows * seqLen).fill(1n) };
}

let inProcess: Graph;
let worker: WorkerSession;
beforeAll(async () => {
  [inProcess, worker] = await Promise.all([loadGraph(modelPath, options), WorkerSession.load(modelPath, options)]);
});
afterAll(async () => {
  await Promise.all([inProcess.release(), worker.release()]);
});

test('the worker thread gives the same token states as this thread', async () => {
  const a = await inProcess.run(feeds(3, 16));
  const b = await worker.run(feeds(3, 16));
  expect(b.dims).toEqual([3, 16, 384]);
  expect(a.dims).toEqual(b.dims);
  let maxDiff = 0;
  for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i]! - b.data[i]!));
  expect(maxDiff).toBeLessThan(1e-5);
  expect(worker.inputNames).toEqual(inProcess.inputNames);
});

test("a run on the worker leaves this thread's event loop free; one on this thread holds it", async () => {
  const ticksDuring = async (run: () => Promise<unknown>) => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await run();
    clearInterval(timer);
    return ticks;
  };
  // 32 x 128 tokens: a few hundred milliseconds of model time on two cores.
  const onWorker = await ticksDuring(() => worker.run(feeds(32, 128)));
  const onThisThread = await ticksDuring(() => inProcess.run(feeds(32, 128)));
  expect(onWorker).toBeGreaterThanOrEqual(5);
  expect(onThisThread).toBeLessThanOrEqual(1);
});

test('a model that cannot be loaded is named in the error', async () => {
  const missing = join(modelDir, 'no-such-model', 'model.onnx');
  await expect(WorkerSession.load(missing, options)).rejects.toThrow(missing);
});

test('runs after release fail with the model named; release twice is fine', async () => {
  const session = await WorkerSession.load(modelPath, options);
  const run = session.run(feeds(1, 8));
  await expect(run).resolves.toMatchObject({ dims: [1, 8, 384] });
  await session.release();
  await session.release();
  await expect(session.run(feeds(1, 8))).rejects.toThrow(`${modelPath}: the model was released`);
});

test('a session whose worker thread died says so (broken), so that the pool passes it over', async () => {
  const session = await WorkerSession.load(modelPath, options);
  expect(session.broken).toBeNull();
  // The worker thread dies under the session (as on a crash in the native runtime).
  await (session as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  await new Promise((r) => setImmediate(r));
  expect(session.broken?.message).toMatch(/worker thread exited/);
  await expect(session.run(feeds(1, 8))).rejects.toThrow('worker thread exited');
  await session.release();
});
