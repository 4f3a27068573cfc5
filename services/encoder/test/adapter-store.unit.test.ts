// Adapter artifacts on disk: versions count up per name, the newest is the default, and weights
// that do not match their manifest's sha256 are refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsAdapterStore } from '../src/adapters/adapter-store.fs';
import type { NewAdapterArtifact } from '../src/domain/adapter-model';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'adapters-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const artifact = (name: string, fill: number): NewAdapterArtifact => ({
  name,
  kind: 'linear-query-adapter',
  dimensions: 2,
  baseModel: 'all-minilm-l6-v2-q',
  data: { dataset: 'd', split: 'train', pairs: 2, trainQueries: 2, validationQueries: 0, documents: 2 },
  training: { loss: 'l', optimizer: 'adam', epochs: 1, selectedEpoch: 1, batchSize: 2, learningRate: 0.1, temperature: 0.05, seed: 1, history: [] },
  validation: { before: { loss: 1, mrrAt10: 0, recallAt10: 0 }, after: { loss: 0.5, mrrAt10: 1, recallAt10: 1 } },
  createdAt: '2026-01-01T00:00:00.000Z',
  weights: Float32Array.from([fill, 0, 0, fill]),
});

test('each save is the next version; load picks a version or the newest; list shows the newest of each name', async () => {
  const store = new FsAdapterStore(dir);
  expect(await store.list()).toEqual([]);
  expect(await store.load('a', null)).toBeNull();
  expect((await store.save(artifact('a', 1))).version).toBe(1);
  expect((await store.save(artifact('a', 2))).version).toBe(2);
  expect((await store.save(artifact('b', 3))).version).toBe(1);
  expect(Array.from((await store.load('a', 1))!.weights)).toEqual([1, 0, 0, 1]);
  expect(Array.from((await store.load('a', null))!.weights)).toEqual([2, 0, 0, 2]);
  expect(await store.load('a', 3)).toBeNull();
  expect((await store.list()).map((m) => `${m.name}@${m.version}`)).toEqual(['a@2', 'b@1']);
  const m = (await store.load('b', null))!.manifest;
  expect(m).toMatchObject({ weightsFile: 'weights.f32', createdAt: '2026-01-01T00:00:00.000Z', baseModel: 'all-minilm-l6-v2-q' });
  expect(m.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
});

test('tampered weights are refused', async () => {
  const store = new FsAdapterStore(dir);
  await store.save(artifact('a', 1));
  writeFileSync(join(dir, 'a', 'v1', 'weights.f32'), Buffer.alloc(16));
  await expect(store.load('a', 1)).rejects.toThrow('does not match the manifest');
});
