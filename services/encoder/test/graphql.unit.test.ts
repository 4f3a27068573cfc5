/** @jest-environment ./services/encoder/test/onnx-environment.js */
// The encoder subgraph executed in-process (Apollo's executeOperation) over the real model:
// embed, embeddingModels with towers, the entity reference, typed errors, and query-adapter
// training as a job with progress on a small BEIR data set cut from SciFact's train split.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ApolloServer } from '@apollo/server';
import { createMetrics, createSubgraphServer, readSchemaFile } from '@llmops/platform';
import { buildEncoder, type BuiltEncoder } from '../src/build-encoder';
import { BeirDatasetSource } from '../src/adapters/beir-dataset.fs';
import { TrainingJobs } from '../src/domain/training-jobs';
import { resolvers, type Context } from '../src/graphql/resolvers';
import { encoderSettings, scifactDir } from './model-fixture';

let encoder: BuiltEncoder;
let server: ApolloServer<Context>;
let context: Context;
let work: string;

/** A BEIR folder with the first `n` pairs of SciFact's train qrels (and only their texts). */
function smallScifact(root: string, n: number): void {
  const dir = join(root, 'scifact-small');
  mkdirSync(join(dir, 'qrels'), { recursive: true });
  const qrels = readFileSync(join(scifactDir, 'qrels', 'train.tsv'), 'utf8').trim().split('\n');
  const pairs = qrels.slice(1, n + 1).map((l) => l.split('\t'));
  writeFileSync(join(dir, 'qrels', 'train.tsv'), [qrels[0], ...pairs.map((p) => p.join('\t'))].join('\n'));
  const keep = (file: string, ids: Set<string>) =>
    writeFileSync(
      join(dir, file),
      readFileSync(join(scifactDir, file), 'utf8')
        .split('\n')
        .filter((l) => l && ids.has((JSON.parse(l) as { _id: string })._id))
        .join('\n'),
    );
  keep('queries.jsonl', new Set(pairs.map((p) => p[0]!)));
  keep('corpus.jsonl', new Set(pairs.map((p) => p[1]!)));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'encoder-graphql-'));
  smallScifact(join(work, 'datasets'), 48);
  const settings = encoderSettings({
    ENCODER_ADAPTER_DIR: join(work, 'adapters'),
    ENCODER_DOUBLE_TOWERS: JSON.stringify([
      { name: 'minilm-adapted', query: { model: 'all-minilm-l6-v2-q', adapter: 'scifact-small' }, document: { model: 'all-minilm-l6-v2-q' } },
    ]),
  });
  encoder = await buildEncoder(settings);
  const jobs = new TrainingJobs(encoder.embeddings, new BeirDatasetSource(join(work, 'datasets')), encoder.adapters);
  context = { embeddings: encoder.embeddings, jobs, adapters: encoder.adapters };
  const logger = pino({ level: 'silent' });
  server = createSubgraphServer<Context>({
    typeDefs: readSchemaFile(join(__dirname, '..', 'src')),
    resolvers,
    logger,
    metrics: createMetrics('encoder-test'),
    production: false,
  });
  await server.start();
});

afterAll(async () => {
  await server.stop();
  await encoder.close();
  rmSync(work, { recursive: true, force: true });
});

async function run<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) {
  const res = await server.executeOperation<T>({ query, variables }, { contextValue: context });
  if (res.body.kind !== 'single') throw new Error('incremental response');
  return res.body.singleResult;
}

test('embed returns unit vectors with token counts; the input type picks the tower', async () => {
  const r = await run<{ embed: { model: string; inputType: string; dimensions: number; embeddings: Array<{ index: number; vector: number[]; tokenCount: number; truncated: boolean }> } }>(
    `query($texts: [String!]!) { embed(texts: $texts, inputType: DOCUMENT) { model inputType dimensions embeddings { index vector tokenCount truncated } } }`,
    { texts: ['A man is eating food.', 'A man is riding a horse.'] },
  );
  expect(r.errors).toBeUndefined();
  const e = r.data!.embed;
  expect(e).toMatchObject({ model: 'all-minilm-l6-v2-q', inputType: 'DOCUMENT', dimensions: 384 });
  expect(e.embeddings.map((x) => [x.index, x.vector.length, x.tokenCount, x.truncated])).toEqual([
    [0, 384, 8, false],
    [1, 384, 9, false],
  ]);
  expect(Math.hypot(...e.embeddings[0]!.vector)).toBeCloseTo(1, 5);
});

test.each([
  ['an empty text', `{ embed(texts: ["ok", ""]) { dimensions } }`, 'BAD_USER_INPUT', 'texts.1'],
  ['no texts', `{ embed(texts: []) { dimensions } }`, 'BAD_USER_INPUT', 'texts'],
  ['an unknown model', `{ embed(texts: ["ok"], model: "nope") { dimensions } }`, 'NOT_FOUND', 'model'],
  ['an unknown job', `{ adapterTrainingJob(id: "nope") { id } }`, 'NOT_FOUND', 'id'],
  ['the test split', `mutation { trainQueryAdapter(input: { name: "x", split: "test" }) { id } }`, 'BAD_USER_INPUT', 'input.split'],
  ['an unknown data set', `mutation { trainQueryAdapter(input: { name: "x", dataset: "nope" }) { id } }`, 'NOT_FOUND', 'input.dataset'],
  ['a bad adapter name', `mutation { trainQueryAdapter(input: { name: "../x", dataset: "scifact-small" }) { id } }`, 'BAD_USER_INPUT', 'input.name'],
  // No held-out query: no epoch could beat epoch 0, the identity, so the "new" version would do nothing.
  ['no validation queries', `mutation { trainQueryAdapter(input: { name: "x", dataset: "scifact-small", validationFraction: 0 }) { id } }`, 'BAD_USER_INPUT', 'input.validationFraction'],
  ['too few queries to hold one out', `mutation { trainQueryAdapter(input: { name: "x", dataset: "scifact-small", validationFraction: 0.001 }) { id } }`, 'BAD_USER_INPUT', 'input.validationFraction'],
])('%s is a typed error naming the field', async (_, query, code, field) => {
  const r = await run(query);
  expect(r.errors).toHaveLength(1);
  expect(r.errors![0]!.extensions).toMatchObject({ code, field });
});

test('embeddingModels lists single and double towers; the entity resolves by name', async () => {
  const r = await run<{ embeddingModels: unknown[]; _entities: unknown[] }>(
    `{ embeddingModels { name dimensions pooling queryPrefix documentPrefix towers isDefault
         queryTower { baseModel pooling prefix maxTokens backend adapter { version } }
         documentTower { baseModel backend adapter { version } } }
       _entities(representations: [{ __typename: "EmbeddingModel", name: "minilm-adapted" }]) { ... on EmbeddingModel { name towers } } }`,
  );
  expect(r.errors).toBeUndefined();
  expect(r.data!.embeddingModels).toEqual([
    {
      name: 'all-minilm-l6-v2-q',
      dimensions: 384,
      pooling: 'MEAN',
      queryPrefix: '',
      documentPrefix: '',
      towers: 'SINGLE',
      isDefault: true,
      queryTower: { baseModel: 'all-minilm-l6-v2-q', pooling: 'MEAN', prefix: '', maxTokens: 256, backend: 'ONNX', adapter: null },
      documentTower: { baseModel: 'all-minilm-l6-v2-q', backend: 'ONNX', adapter: null },
    },
    expect.objectContaining({ name: 'minilm-adapted', towers: 'DOUBLE', isDefault: false }),
  ]);
  expect(r.data!._entities).toEqual([{ name: 'minilm-adapted', towers: 'DOUBLE' }]);
});

test('trainQueryAdapter runs as a job with progress, stores a versioned artifact and serves it', async () => {
  const fields = `id status phase progress message epoch epochs trainLoss error servedBy
    validation { loss mrrAt10 recallAt10 }
    adapter { name version baseModel dataset split trainPairs epochs selectedEpoch loss validationBefore { mrrAt10 } validationAfter { mrrAt10 } createdAt }`;
  const started = await run<{ trainQueryAdapter: { id: string; status: string } }>(
    `mutation { trainQueryAdapter(input: { name: "scifact-small", dataset: "scifact-small", epochs: 3, batchSize: 8, validationFraction: 0.25 }) { ${fields} } }`,
  );
  expect(started.errors).toBeUndefined();
  expect(started.data!.trainQueryAdapter.status).toBe('RUNNING');
  const id = started.data!.trainQueryAdapter.id;
  const busy = await run(`mutation { trainQueryAdapter(input: { name: "other", dataset: "scifact-small" }) { id } }`);
  expect(busy.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT' });

  const progress: number[] = [];
  let job: Record<string, unknown> = {};
  for (let i = 0; i < 600; i++) {
    const r = await run<{ adapterTrainingJob: Record<string, unknown> }>(`query($id: ID!) { adapterTrainingJob(id: $id) { ${fields} } }`, { id });
    job = r.data!.adapterTrainingJob;
    progress.push(job['progress'] as number);
    if (job['status'] !== 'RUNNING') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  expect(job).toMatchObject({ status: 'SUCCEEDED', phase: 'DONE', progress: 1, epoch: 3, epochs: 3, error: null, servedBy: ['minilm-adapted'] });
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
  expect(job['adapter']).toMatchObject({ name: 'scifact-small', version: 1, baseModel: 'all-minilm-l6-v2-q', dataset: 'scifact-small', split: 'train', trainPairs: 48, epochs: 3 });

  const manifest = JSON.parse(readFileSync(join(work, 'adapters', 'scifact-small', 'v1', 'manifest.json'), 'utf8'));
  expect(manifest).toMatchObject({ kind: 'linear-query-adapter', dimensions: 384, baseModel: 'all-minilm-l6-v2-q', data: { dataset: 'scifact-small', split: 'train' } });
  expect(manifest.training).toMatchObject({ epochs: 3, loss: 'multiple-negatives ranking (InfoNCE over in-batch negatives)', optimizer: 'adam' });
  expect(manifest.training.history).toHaveLength(3);
  expect(readFileSync(join(work, 'adapters', 'scifact-small', 'v1', 'weights.f32')).length).toBe(384 * 384 * 4);

  const listed = await run<{ queryAdapters: Array<{ name: string; version: number }> }>(`{ queryAdapters { name version } }`);
  expect(listed.data!.queryAdapters).toEqual([{ name: 'scifact-small', version: 1 }]);
  const towers = await run<{ embeddingModels: Array<{ name: string; queryTower: { adapter: { version: number } | null } }> }>(
    `{ embeddingModels { name queryTower { adapter { version } } } }`,
  );
  expect(towers.data!.embeddingModels.find((m) => m.name === 'minilm-adapted')!.queryTower.adapter).toEqual({ version: 1 });
  // The adapted query tower now answers through the adapter: a unit vector, moved off the base one.
  const q = await run<{ a: { embeddings: Array<{ vector: number[] }> }; b: { embeddings: Array<{ vector: number[] }> } }>(
    `{ a: embed(texts: ["cells divide"], model: "minilm-adapted") { embeddings { vector } } b: embed(texts: ["cells divide"]) { embeddings { vector } } }`,
  );
  const [va, vb] = [q.data!.a.embeddings[0]!.vector, q.data!.b.embeddings[0]!.vector];
  expect(Math.hypot(...va)).toBeCloseTo(1, 5);
  const cos = va.reduce((s, x, i) => s + x * vb[i]!, 0);
  expect(cos).toBeLessThan(0.99999);
  expect(cos).toBeGreaterThan(0.5);
}, 120_000);
