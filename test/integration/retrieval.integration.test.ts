// Retrieval end to end through the gateway, over the real encoder (MiniLM), Kafka and
// Elasticsearch: collections bound to their model, the BEIR ingest CLI with its progress, the
// four search modes with filters and component scores, idempotent ingestion with dead letters,
// typed errors, gRPC Search, the evaluation command on a small BEIR folder, HYDE through the
// generation service, Elasticsearch unreachable, and an encoder outage during which documents wait
// instead of being lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { retrievalV1 as pb } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { graphql, waitFor } from '@llmops/testkit';
import { grpcOptions, integrationContext, subgraphHeaders } from './context';
import { KafkaProbe } from './kafka-probe';

const ctx = integrationContext();
const repoRoot = join(__dirname, '..', '..');
const fixture = join(repoRoot, 'services/retrieval/test/fixtures/scifact-mini');
const cli = (name: string) => join(repoRoot, 'services/retrieval/dist/cli', `${name}.js`);
const retrieval = ctx.programs.find((p) => p.name === 'retrieval')!;
const encoder = ctx.programs.find((p) => p.name === 'encoder')!;
const probe = new KafkaProbe(ctx.kafkaBrokers);
const children: ChildProcess[] = [];
const created: string[] = [];

beforeAll(() => probe.start(['documents.ingest.dlq.v1']));
afterAll(async () => {
  children.forEach((c) => c.kill('SIGKILL'));
  for (const name of created) await gql(`mutation($n: String!) { deleteCollection(name: $n) }`, { n: name });
  await probe.stop();
});

/** Through the gateway, or straight to a subgraph replica (which needs the signed identity the gateway would add). */
const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, url = ctx.gatewayUrl) =>
  graphql<T>(url, query, variables, url === ctx.gatewayUrl ? {} : subgraphHeaders());
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function createCollection(name: string, model?: string) {
  const res = await gql<{ createCollection: { name: string; encoder: { model: string; dimensions: number } } }>(
    `mutation($n: String!, $m: String) { createCollection(input: { name: $n, model: $m }) { name encoder { model dimensions } } }`,
    { n: name, m: model ?? null },
  );
  expect(res.errors).toBeUndefined();
  created.push(name);
  return res.data!.createCollection;
}

type Job = { id: string; status: string; submitted: number; processed: number; failed: number; failures: Array<{ documentId: string; reason: string }> };

async function ingest(collection: string, documents: unknown[], url = ctx.gatewayUrl): Promise<Job> {
  const res = await gql<{ ingestDocuments: Job }>(
    `mutation($c: String!, $d: [DocumentInput!]!) { ingestDocuments(collection: $c, documents: $d) { id status submitted processed failed } }`,
    { c: collection, d: documents },
    url,
  );
  expect(res.errors).toBeUndefined();
  return res.data!.ingestDocuments;
}

const job = async (id: string, url = ctx.gatewayUrl) =>
  (await gql<{ ingestionJob: Job }>(`query($id: ID!) { ingestionJob(id: $id) { id status submitted processed failed failures { documentId reason } } }`, { id }, url)).data!
    .ingestionJob;

const completed = (id: string, timeoutMs = 60_000) =>
  waitFor(
    async () => {
      const j = await job(id);
      return j.status === 'COMPLETED' && j;
    },
    { timeoutMs, what: `ingestion job ${id} to complete`, intervalMs: 500 },
  );

type Hit = { rank: number; score: number; keywordScore: number | null; keywordRank: number | null; vectorScore: number | null; vectorRank: number | null; document: { id: string; metadata: Record<string, unknown> } };
const SEARCH = `query($c: String!, $q: String!, $m: SearchMode!, $k: Int!, $f: [SearchFilter!], $model: String) {
  search(collection: $c, query: $q, mode: $m, k: $k, filters: $f, model: $model) {
    mode model hypotheticalDocuments hits { rank score keywordScore keywordRank vectorScore vectorRank document { id metadata } } } }`;
const search = (c: string, q: string, m: string, extra: { k?: number; f?: unknown[]; model?: string } = {}) =>
  gql<{ search: { mode: string; model: string; hypotheticalDocuments: string[]; hits: Hit[] } }>(SEARCH, { c, q, m, k: extra.k ?? 10, f: extra.f ?? null, model: extra.model ?? null });

function run(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [command, ...args], { env: { PATH: process.env.PATH!, ...env }, stdio: 'pipe' });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

const fixtureQueries = readFileSync(join(fixture, 'queries.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { _id: string; text: string });
const fixtureQrels = readFileSync(join(fixture, 'qrels', 'test.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t') as [string, string, string]);

describe('a BEIR folder ingested with the CLI', () => {
  const name = unique('it-scifact');

  beforeAll(async () => {
    expect(await createCollection(name)).toEqual({ name, encoder: { model: 'all-minilm-l6-v2-q', dimensions: 384 } });
    const ingestCli = run(cli('ingest-beir'), ['--folder', fixture, '--collection', name, '--endpoint', ctx.gatewayUrl]);
    expect(await ingestCli.exited).toBe(0);
    expect(ingestCli.stderr()).toContain(`ingesting into ${name}:`);
    expect(JSON.parse(ingestCli.stdout().trim().split('\n').at(-1)!)).toMatchObject({ collection: name, documents: 47, processed: 47, failed: 0, skipped: 0 });
  });

  test('the collection lists its documents and the model it is bound to', async () => {
    const res = await waitFor(
      async () => {
        const r = await gql<{ collection: { documentCount: number; encoder: { model: string } } }>(`query($n: String!) { collection(name: $n) { documentCount encoder { model } } }`, { n: name });
        return r.data!.collection.documentCount === 47 && r;
      },
      { timeoutMs: 10_000, what: 'the document count to reach 47' },
    );
    expect(res.data!.collection.encoder.model).toBe('all-minilm-l6-v2-q');
  });

  test('every mode ranks the judged abstracts in the top 10 for most claims; hits carry their component scores', async () => {
    for (const mode of ['KEYWORD', 'VECTOR', 'HYBRID']) {
      let found = 0;
      for (const q of fixtureQueries) {
        const relevant = new Set(fixtureQrels.filter(([qid]) => qid === q._id).map(([, did]) => did));
        const res = await search(name, q.text, mode);
        expect(res.errors).toBeUndefined();
        if (res.data!.search.hits.some((h) => relevant.has(h.document.id))) found++;
      }
      // Named in the failure message: which mode found how many of the 12.
      expect([mode, found >= 9 ? 'at least 9 of 12' : found]).toEqual([mode, 'at least 9 of 12']);
    }
    const hybrid = (await search(name, fixtureQueries[0]!.text, 'HYBRID')).data!.search;
    expect(hybrid.model).toBe('all-minilm-l6-v2-q');
    const both = hybrid.hits.find((h) => h.keywordScore !== null && h.vectorScore !== null)!;
    expect(both.keywordRank).toBeGreaterThan(0);
    expect(both.vectorScore).toBeGreaterThan(0);
    expect(both.vectorScore).toBeLessThanOrEqual(1);
    expect(both.score).toBeCloseTo(1 / (60 + both.keywordRank!) + 1 / (60 + both.vectorRank!), 6);
    const vector = (await search(name, fixtureQueries[0]!.text, 'VECTOR', { k: 3 })).data!.search.hits;
    expect(vector).toHaveLength(3);
    expect(vector.every((h) => h.keywordScore === null && h.score === h.vectorScore)).toBe(true);
  });

  test('RetrieverService.Search over gRPC, as the generation service calls it', async () => {
    const client = new pb.RetrieverServiceClient(`127.0.0.1:${retrieval.grpcPort}`, credentials.createInsecure(), grpcOptions());
    try {
      const res = await callUnary(
        client.search.bind(client),
        { collection: name, query: fixtureQueries[1]!.text, mode: pb.SearchMode.SEARCH_MODE_HYBRID, k: 5, filters: [], model: '' },
        { deadlineMs: 10_000, idempotent: true },
      );
      expect(res.hits).toHaveLength(5);
      expect(res.hits[0]!.title.length).toBeGreaterThan(0);
      expect(res.hits[0]!.rank).toBe(1);
      const err = (await callUnary(client.search.bind(client), { collection: 'no-such-collection', query: 'x', mode: 1, k: 5, filters: [], model: '' }, { deadlineMs: 10_000 }).catch(
        (e: unknown) => e,
      )) as ServiceError;
      expect(err.code).toBe(status.NOT_FOUND);
      expect(JSON.parse(String(err.metadata.get('error-details-json')[0]))).toMatchObject({ field: 'collection' });
    } finally {
      client.close();
    }
  });

  test('searching it with another model is an error, not silent garbage', async () => {
    const res = await search(name, 'anything', 'VECTOR', { model: 'e5-small-v2-q' });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'model', collectionModel: 'all-minilm-l6-v2-q' });
  });
});

test("a collection records its model's towers; vector searches are CONFLICT once the encoder's query tower is another, and a collection bound before towers were recorded keeps working", async () => {
  const name = unique('it-towers');
  await createCollection(name);
  const es = (path: string, init?: RequestInit) => fetch(`${ctx.elasticsearchUrl}/${path}`, { headers: { 'content-type': 'application/json' }, ...init });
  const [{ index }] = (await (await es(`_cat/indices/*${name}?format=json&h=index`)).json()) as [{ index: string }];
  type Meta = { collection: { encoder: Record<string, unknown> } };
  const meta = ((await (await es(`${index}/_mapping`)).json()) as Record<string, { mappings: { _meta: Meta } }>)[index]!.mappings._meta;
  const minilm = { baseModel: 'all-minilm-l6-v2-q', prefix: '' };
  // The real encoder reports the towers over gRPC: MiniLM on both sides, without prefixes.
  expect(meta.collection.encoder).toMatchObject({ model: 'all-minilm-l6-v2-q', dimensions: 384, queryTower: minilm, documentTower: minilm });
  const putEncoder = async (encoder: Record<string, unknown>) => {
    const res = await es(`${index}/_mapping`, { method: 'PUT', body: JSON.stringify({ _meta: { collection: { ...meta.collection, encoder } } }) });
    expect(res.status).toBe(200);
    await sleep(1_100); // the replicas' collection cache
  };
  // As if the collection had been built while the model's query tower was e5's and an operator
  // then switched it to MiniLM under the same name (same dimensions, same document tower).
  await putEncoder({ ...meta.collection.encoder, queryTower: { baseModel: 'e5-small-v2-q', prefix: 'query: ' } });
  for (const mode of ['VECTOR', 'HYBRID']) {
    const res = await search(name, 'cells', mode);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', collection: name });
    expect(res.errors?.[0]?.message).toContain("built for queries embedded by e5-small-v2-q with the prefix \"query: \", but the encoder's query tower for all-minilm-l6-v2-q is now all-minilm-l6-v2-q without a prefix");
  }
  expect((await search(name, 'cells', 'KEYWORD')).errors).toBeUndefined();
  // A collection bound before the towers were recorded is checked by its document probe alone.
  const { queryTower: _q, documentTower: _d, ...legacy } = meta.collection.encoder;
  await putEncoder(legacy);
  expect((await search(name, 'cells', 'VECTOR')).errors).toBeUndefined();
});

test('the evaluation command ingests a BEIR folder into a fresh collection and prints the metrics last', async () => {
  const evaluation = run(cli('eval-retrieval'), ['--dataset', fixture, '--mode', 'hybrid', '--endpoint', ctx.gatewayUrl]);
  expect(await evaluation.exited).toBe(0);
  const last = JSON.parse(evaluation.stdout().trim().split('\n').at(-1)!) as Record<string, number | string>;
  expect(last).toMatchObject({ mode: 'hybrid', model: 'all-minilm-l6-v2-q', queries: 12 });
  expect(last['ndcg@10']).toBeGreaterThan(0.6);
  expect(last['recall@100']).toBe(1);
  expect(last['mrr@10']).toBeGreaterThan(0.5);
  expect(evaluation.stderr()).toMatch(/ingesting into eval-scifact-mini-[0-9a-f]{6}: 47\/47/);
  // The fresh collection is removed afterwards.
  const list = await gql<{ collections: Array<{ name: string }> }>(`{ collections { name } }`);
  expect(list.data!.collections.map((c) => c.name)).not.toContain(last['collection']);
});

test('term and range filters on metadata apply in every mode; an unknown field is named', async () => {
  const name = unique('it-filters');
  await createCollection(name);
  const docs = [
    { id: 'paris', title: 'Paris', text: 'Paris is the capital and largest city of France.', metadata: { kind: 'city', year: 2021, published: '2021-03-01', tags: ['europe'] } },
    { id: 'rome', title: 'Rome', text: 'Rome is the capital city of Italy.', metadata: { kind: 'city', year: 2015, published: '2015-07-12', tags: ['europe'] } },
    { id: 'lima', title: 'Lima', text: 'Lima is the capital of Peru.', metadata: { kind: 'city', year: 2019, published: '2019-01-30', tags: ['americas'] } },
    { id: 'cat', title: 'Cats', text: 'The cat is a small domesticated carnivorous mammal.', metadata: { kind: 'animal', year: 2022, published: '2022-05-05' } },
  ];
  expect((await completed((await ingest(name, docs)).id)).processed).toBe(4);
  const ids = (hits: Hit[]) => hits.map((h) => h.document.id).sort();
  for (const mode of ['KEYWORD', 'VECTOR', 'HYBRID']) {
    const term = await search(name, 'capital city', mode, { f: [{ field: 'tags', anyOf: ['europe'] }] });
    expect(ids(term.data!.search.hits)).toEqual(['paris', 'rome']);
    const range = await search(name, 'capital city', mode, { f: [{ field: 'year', range: { gte: 2016, lt: 2022 } }, { field: 'kind', anyOf: ['city'] }] });
    expect(ids(range.data!.search.hits)).toEqual(['lima', 'paris']);
    const dates = await search(name, 'capital city', mode, { f: [{ field: 'published', range: { lt: '2020-01-01' } }] });
    expect(ids(dates.data!.search.hits)).toEqual(['lima', 'rome']);
  }
  const unknown = await search(name, 'x', 'HYBRID', { f: [{ field: 'colour', anyOf: ['red'] }] });
  expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filters.0.field', known: ['kind', 'published', 'tags', 'year'] });
  const wrongType = await search(name, 'x', 'KEYWORD', { f: [{ field: 'year', anyOf: ['recent'] }] });
  expect(wrongType.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filters.0.anyOf.0' });
});

test('metadata numbers are doubles: a decimal after a whole number is filtered by its value, not a truncated one', async () => {
  const name = unique('it-numbers');
  await createCollection(name);
  // The first document decides the field's mapping: a whole number would have made it a long.
  expect((await completed((await ingest(name, [{ id: 'four', text: 'a good film', metadata: { rating: 4 } }])).id)).processed).toBe(1);
  expect((await completed((await ingest(name, [{ id: 'four-and-a-half', text: 'a better film', metadata: { rating: 4.5 } }])).id)).processed).toBe(1);
  const res = await search(name, 'film', 'KEYWORD', { f: [{ field: 'rating', range: { gte: 4.5 } }] });
  expect(res.errors).toBeUndefined();
  expect(res.data!.search.hits.map((h) => h.document.id)).toEqual(['four-and-a-half']);
});

test('ingestion is idempotent by id; a failing document is dead-lettered with its reason while the rest are indexed', async () => {
  const name = unique('it-ingest');
  await createCollection(name);
  expect((await completed((await ingest(name, [{ id: 'a', text: 'first version', metadata: { year: 2020 } }])).id)).processed).toBe(1);
  const second = await ingest(name, [
    { id: 'b', text: 'a year that is not a number', metadata: { year: 'last spring' } },
    { id: 'a', text: 'second version', metadata: { year: 2021 } },
    { id: 'c', text: 'another document' },
  ]);
  const done = await completed(second.id);
  expect(done).toMatchObject({ submitted: 3, processed: 2, failed: 1 });
  expect(done.failures).toEqual([{ documentId: 'b', reason: expect.stringContaining('metadata.year') }]);
  const dead = await probe.waitForMessage((m) => m.key === 'b' && m.value['jobId'] === second.id, 'the dead letter of document b');
  expect(dead.headers['x-dlq-error']).toContain('metadata.year');
  expect(dead.headers['x-dlq-original-topic']).toBe('documents.ingest.v1');
  const a = await gql<{ document: { text: string; metadata: unknown } }>(`query($c: String!) { document(collection: $c, id: "a") { text metadata } }`, { c: name });
  expect(a.data!.document).toEqual({ text: 'second version', metadata: { year: 2021 } });
  await waitFor(
    async () => (await gql<{ collection: { documentCount: number } }>(`query($n: String!) { collection(name: $n) { documentCount } }`, { n: name })).data!.collection.documentCount === 2,
    { timeoutMs: 10_000, what: 'two documents (a replaced, b failed, c added)' },
  );
});

test('a collection deleted during its ingestion does not come back as an index of its own: its documents fail naming it, and the name can be used again', async () => {
  const es = (path: string, init?: RequestInit) => fetch(`${ctx.elasticsearchUrl}/${path}`, { headers: { 'content-type': 'application/json' }, ...init });
  // The service excluded the collections' indices from Elasticsearch's automatic index creation.
  const settings = (await (await es('_cluster/settings?flat_settings=true')).json()) as { persistent: Record<string, string> };
  expect(settings.persistent['action.auto_create_index']).toMatch(/^-llmops-collection-\*,/);
  const gone = `llmops-collection-${unique('it-never-created')}`;
  const write = await es('_bulk', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `{"index":{"_index":"${gone}","_id":"1"}}\n{"title":"t","text":"x"}\n` });
  expect(((await write.json()) as { items: Array<{ index: { error?: { type: string } } }> }).items[0]!.index.error?.type).toBe('index_not_found_exception');
  expect((await es(gone, { method: 'HEAD' })).status).toBe(404);

  // End to end: the collection is deleted while a job of 120 documents is being indexed.
  const name = unique('it-deleted');
  await createCollection(name);
  const corpus = readFileSync(join(fixture, 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { _id: string; title: string; text: string });
  const documents = Array.from({ length: 120 }, (_, i) => ({ id: `d${i}`, title: corpus[i % corpus.length]!.title, text: corpus[i % corpus.length]!.text }));
  const submitted = await ingest(name, documents);
  await waitFor(async () => (await job(submitted.id)).processed > 0, { timeoutMs: 60_000, what: 'the first documents indexed', intervalMs: 100 });
  expect((await gql(`mutation($n: String!) { deleteCollection(name: $n) }`, { n: name })).errors).toBeUndefined();
  const done = await waitFor(
    async () => {
      const j = await job(submitted.id);
      return j.processed + j.failed === j.submitted && j;
    },
    { timeoutMs: 60_000, what: 'every document of the job accounted for', intervalMs: 500 },
  );
  expect(done.failed).toBeGreaterThan(0);
  expect(done.failures[0]!.reason).toMatch(new RegExp(`collection ${name} (does not exist|no longer exists)`));
  await sleep(1_000);
  expect((await es(`llmops-collection-${name}`, { method: 'HEAD' })).status).toBe(404);
  await createCollection(name);
});

test('a job reads COMPLETED as soon as its last document is written, and its documents are then searchable', async () => {
  // Scheduled refreshes off for the job outcomes and the collection: only the consumer, on
  // catching up with its partition, can make the outcomes count, and only the job's COMPLETED
  // can make the documents searchable.
  const name = unique('it-visible');
  await createCollection(name);
  const es = (path: string, init?: RequestInit) => fetch(`${ctx.elasticsearchUrl}/${path}`, { headers: { 'content-type': 'application/json' }, ...init });
  const [{ index }] = (await (await es(`_cat/indices/*${name}?format=json&h=index`)).json()) as [{ index: string }];
  const outcomes = 'llmops-ingestion-jobs-outcomes';
  const refreshEvery = async (target: string, interval: string | null) =>
    expect((await es(`${target}/_settings`, { method: 'PUT', body: JSON.stringify({ index: { refresh_interval: interval } }) })).status).toBe(200);
  await refreshEvery(index, '-1');
  await refreshEvery(outcomes, '-1');
  try {
    const submitted = await ingest(name, [
      { id: 'a', text: 'Mitochondria produce most of the cell\'s ATP.' },
      { id: 'b', text: 'Ribosomes translate messenger RNA into proteins.' },
    ]);
    expect(await completed(submitted.id, 60_000)).toMatchObject({ submitted: 2, processed: 2, failed: 0 });
    expect(((await (await es(`${index}/_count`)).json()) as { count: number }).count).toBe(2);
  } finally {
    await refreshEvery(outcomes, null);
  }
});

test('status reads after a job is recorded do not read the job from Elasticsearch again (a job never changes)', async () => {
  const name = unique('it-status');
  await createCollection(name);
  const jobGets = async () =>
    ((await (await fetch(`${ctx.elasticsearchUrl}/llmops-ingestion-jobs/_stats/get`)).json()) as { _all: { total: { get: { total: number } } } })._all.total.get.total;
  const submitted = await ingest(name, [{ id: 'a', text: 'Mitochondria produce most of the cell\'s ATP.' }]);
  const before = await jobGets();
  expect(await completed(submitted.id)).toMatchObject({ submitted: 1, processed: 1, failed: 0 });
  for (let i = 0; i < 3; i++) expect(await job(submitted.id)).toMatchObject({ id: submitted.id, status: 'COMPLETED', submitted: 1 });
  expect(await jobGets()).toBe(before);
});

test('a call too large for one produce request is queued whole, in several requests, and every document is indexed', async () => {
  // 140 documents of 5,000 characters: ~700 KiB of events, more than one request's 512 KiB.
  const name = unique('it-large');
  await createCollection(name);
  const words = ['protein', 'cell', 'membrane', 'signal', 'receptor', 'pathway', 'gene', 'expression'];
  const docs = Array.from({ length: 140 }, (_, i) => ({
    id: `large-${i}`,
    text: Array.from({ length: 600 }, (__, j) => words[(i * 7 + j) % words.length]).join(' ').slice(0, 5_000),
  }));
  const submitted = await ingest(name, docs);
  expect(submitted.submitted).toBe(140);
  expect(await completed(submitted.id, 120_000)).toMatchObject({ submitted: 140, processed: 140, failed: 0 });
});

test('bad input is a typed error naming the field, never a 500', async () => {
  const name = unique('it-bad');
  await createCollection(name);
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    [`mutation { ingestDocuments(collection: "${name}", documents: [{ id: "a", text: "  " }]) { id } }`, {}, { code: 'BAD_USER_INPUT', field: 'documents.0.text' }],
    [`mutation($t: String!) { ingestDocuments(collection: "${name}", documents: [{ id: "a", text: $t }]) { id } }`, { t: 'x'.repeat(100_001) }, { code: 'BAD_USER_INPUT', field: 'documents.0.text' }],
    [`mutation { ingestDocuments(collection: "no-such-collection", documents: [{ id: "a", text: "x" }]) { id } }`, {}, { code: 'NOT_FOUND', field: 'collection' }],
    [`mutation { createCollection(input: { name: "${unique('it-model')}", model: "no-such-model" }) { name } }`, {}, { code: 'NOT_FOUND', field: 'model' }],
    [`mutation { createCollection(input: { name: "${name}" }) { name } }`, {}, { code: 'CONFLICT', field: 'name' }],
    [`mutation { createCollection(input: { name: "Not Valid" }) { name } }`, {}, { code: 'BAD_USER_INPUT', field: 'name' }],
    [`{ search(collection: "no-such-collection", query: "x") { mode } }`, {}, { code: 'NOT_FOUND', field: 'collection' }],
    [`{ search(collection: "${name}", query: "") { mode } }`, {}, { code: 'BAD_USER_INPUT', field: 'query' }],
    [`{ search(collection: "${name}", query: "x", k: 1000) { mode } }`, {}, { code: 'BAD_USER_INPUT', field: 'k' }],
    [`{ search(collection: "${name}", query: "x", filters: [{ field: "nope", anyOf: ["y"] }]) { mode } }`, {}, { code: 'BAD_USER_INPUT', field: 'filters.0.field' }],
    [`{ ingestionJob(id: "00000000-0000-4000-8000-000000000000") { id } }`, {}, { code: 'NOT_FOUND', field: 'id' }],
  ];
  for (const [query, variables, extensions] of cases) {
    const res = await gql(query, variables);
    expect({ query, extensions: res.errors?.[0]?.extensions }).toEqual({ query, extensions: expect.objectContaining(extensions) });
    expect(res.status).toBeLessThan(500);
  }
});

test('HYDE searches with hypothetical documents written by the generation service', async () => {
  const name = unique('it-hyde');
  await createCollection(name);
  const docs = [
    { id: 'vaccine', text: 'Vaccines train the immune system to recognise a pathogen by exposing it to an antigen.' },
    { id: 'volcano', text: 'A volcano is a rupture in the crust of a planet through which lava and gases escape.' },
    { id: 'bread', text: 'Bread is baked from a dough of flour and water, usually leavened with yeast.' },
  ];
  await completed((await ingest(name, docs)).id);
  const res = await search(name, 'How do vaccines protect people from disease?', 'HYDE', { k: 2 });
  expect(res.errors).toBeUndefined();
  expect(res.data!.search.hypotheticalDocuments.length).toBeGreaterThan(0);
  expect(res.data!.search.hits[0]!.document.id).toBe('vaccine');
  expect(res.data!.search.hits[0]!.vectorScore).not.toBeNull();
}, 240_000);

test('Elasticsearch down: searches and ingestion answer UNAVAILABLE naming it, and the replica is not ready', async () => {
  const httpPort = retrieval.grpcPort! + 71;
  const deadElasticsearch = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
  const replica = run(join(repoRoot, 'services/retrieval/dist/main.js'), [], {
    HTTP_PORT: String(httpPort),
    GRPC_PORT: '0',
    ELASTICSEARCH_URL: `http://127.0.0.1:${deadElasticsearch}`,
    KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
    ENCODER_ADDRESS: `127.0.0.1:${encoder.grpcPort}`,
    LOG_LEVEL: 'error',
    AUTH_REQUIRED: 'true',
    INTERNAL_AUTH_SECRET: ctx.auth.internalSecret,
  });
  const readiness = await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => null);
      return res?.status === 503 && ((await res.json()) as { checks: Record<string, string> });
    },
    { timeoutMs: 60_000, what: 'the replica to answer /readyz' },
  );
  expect(readiness.checks['elasticsearch']).not.toBe('ok');
  const url = `http://127.0.0.1:${httpPort}/graphql`;
  const searched = await gql(`{ search(collection: "anything", query: "x") { mode } }`, {}, url);
  expect(searched.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', dependency: 'elasticsearch' });
  const ingested = await gql(`mutation { ingestDocuments(collection: "anything", documents: [{ id: "a", text: "x" }]) { id } }`, {}, url);
  expect(ingested.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', dependency: 'elasticsearch' });
  replica.child.kill('SIGTERM');
  await replica.exited;
});

describe('an encoder outage', () => {
  // A second retrieval replica in the same consumer group reaches the encoder through a proxy that
  // the test turns off and on: the partitions it owns stall while the encoder is away, its
  // searches answer UNAVAILABLE, and once the encoder is back every document is indexed.
  let proxy: Server | null = null;
  const sockets = new Set<Socket>();
  let proxyPort = 0;

  const startProxy = () =>
    new Promise<void>((resolve) => {
      proxy = createServer((client) => {
        const upstream = connect(encoder.grpcPort!, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      proxy.listen(proxyPort, '127.0.0.1', () => {
        proxyPort = (proxy!.address() as { port: number }).port;
        resolve();
      });
    });
  const stopProxy = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!proxy) return resolve();
      proxy.close(() => resolve());
      proxy = null;
    });
  afterAll(stopProxy);

  test('documents wait for the encoder and none is lost; searches are UNAVAILABLE naming it', async () => {
    const name = unique('it-outage');
    await createCollection(name);
    await startProxy();
    await stopProxy();
    const httpPort = retrieval.grpcPort! + 70;
    const replica = run(join(repoRoot, 'services/retrieval/dist/main.js'), [], {
      HTTP_PORT: String(httpPort),
      GRPC_PORT: '0',
      ELASTICSEARCH_URL: ctx.elasticsearchUrl,
      KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
      ENCODER_ADDRESS: `127.0.0.1:${proxyPort}`,
      LOG_LEVEL: 'warn',
      AUTH_REQUIRED: 'true',
      INTERNAL_AUTH_SECRET: ctx.auth.internalSecret,
    });
    const replicaUrl = `http://127.0.0.1:${httpPort}/graphql`;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => null))?.status === 200, { timeoutMs: 60_000, what: 'the replica to be ready' });

    const down = await gql(`query($c: String!) { search(collection: $c, query: "x", mode: VECTOR) { mode } }`, { c: name }, replicaUrl);
    expect(down.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', dependency: 'encoder' });

    // Wait until the replica owns partitions of documents.ingest.v1, then queue enough documents
    // that some land on them.
    await new Promise((r) => setTimeout(r, 15_000));
    const docs = Array.from({ length: 30 }, (_, i) => ({ id: `doc-${i}`, text: `outage document number ${i}` }));
    const queued = await ingest(name, docs);
    await new Promise((r) => setTimeout(r, 8_000));
    const during = await job(queued.id);
    expect(during.failed).toBe(0);
    expect(during.processed).toBeLessThan(30);

    await startProxy();
    const after = await completed(queued.id, 90_000);
    expect(after).toMatchObject({ processed: 30, failed: 0 });
    replica.child.kill('SIGTERM');
    await replica.exited;
  }, 240_000);
});
