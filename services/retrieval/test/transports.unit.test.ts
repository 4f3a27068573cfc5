// The transports over the domain with in-memory fakes: RetrieverService.Search on a real gRPC
// server on port 0 (filters, component scores, typed statuses with details), and the subgraph
// executed in-process (createCollection, ingestDocuments, search, typed errors).
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import pino from 'pino';
import type { ApolloServer } from '@apollo/server';
import { retrievalV1 as pb } from '@llmops/contracts';
import { anonymousIdentity, callUnary, createMetrics, createSubgraphServer, GrpcServer, Lifecycle, readSchemaFile, InternalAuth } from '@llmops/platform';
import { retrieverGrpc, retrieverServiceName } from '../src/grpc/retriever.grpc';
import { resolvers, type RequestContext } from '../src/graphql/resolvers';
import { createRetrievalMetrics } from '../src/metrics';
import { P, doc, setup } from './setup';

const logger = pino({ level: 'silent' });
let t: ReturnType<typeof setup>;
let lifecycle: Lifecycle;
let client: pb.RetrieverServiceClient;
let subgraph: ApolloServer<RequestContext>;
let context: RequestContext;

beforeAll(async () => {
  t = setup();
  await t.collections.create(P, { name: 'docs', description: null, model: null });
  await t.ingestion.ingest(P, 'docs', [
    doc('paris', 'paris is the capital of france', { year: 2021, kind: 'city' }, 'Paris'),
    doc('rome', 'rome is the capital of italy', { year: 2015, kind: 'city' }, 'Rome'),
    doc('cats', 'cats purr', { year: 2020, kind: 'animal' }),
  ]);
  await t.drain();
  const metrics = createMetrics('retrieval-test');
  const own = createRetrievalMetrics(metrics);
  lifecycle = new Lifecycle(logger);
  const server = new GrpcServer({ logger, metrics, lifecycle, auth: InternalAuth.open(), host: '127.0.0.1', port: 0 });
  server.addService(retrieverServiceName, pb.RetrieverServiceService, retrieverGrpc(server, t.search, own));
  const port = await server.start();
  client = new pb.RetrieverServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  context = { collections: t.collections, ingestion: t.ingestion, search: t.search, documents: t.documents, metrics: own, identity: anonymousIdentity };
  subgraph = createSubgraphServer<RequestContext>({ typeDefs: readSchemaFile(`${__dirname}/../src`), resolvers, logger, metrics, production: false });
  await subgraph.start();
});

afterAll(async () => {
  client.close();
  await subgraph.stop();
  await lifecycle.shutdown('test');
});

const search = (request: Partial<pb.SearchRequest>) =>
  callUnary(client.search.bind(client), { collection: 'docs', query: 'capital', mode: 0, k: 0, filters: [], model: '', ...request }, { deadlineMs: 5_000 });

test('Search answers hits with component scores; mode UNSPECIFIED is HYBRID and k 0 is 10', async () => {
  const res = await search({ query: 'capital of france' });
  expect(res.mode).toBe(pb.SearchMode.SEARCH_MODE_HYBRID);
  expect(res.model).toBe('minilm');
  expect(res.hits[0]).toMatchObject({ documentId: 'paris', title: 'Paris', rank: 1, keywordRank: 1, vectorRank: 1 });
  expect(JSON.parse(res.hits[0]!.metadataJson)).toEqual({ year: 2021, kind: 'city' });
  const keyword = await search({ mode: pb.SearchMode.SEARCH_MODE_KEYWORD, k: 1 });
  expect(keyword.hits).toHaveLength(1);
  expect(keyword.hits[0]!.vectorScore).toBeUndefined();
});

test('Search applies term and range filters', async () => {
  const res = await search({
    mode: pb.SearchMode.SEARCH_MODE_VECTOR,
    filters: [
      { field: 'kind', anyOf: [{ kind: { $case: 'stringValue', value: 'city' } }], range: undefined },
      { field: 'year', anyOf: [], range: { gt: undefined, gte: { kind: { $case: 'numberValue', value: 2020 } }, lt: undefined, lte: undefined } },
    ],
  });
  expect(res.hits.map((h) => h.documentId)).toEqual(['paris']);
});

test('bad requests are INVALID_ARGUMENT / NOT_FOUND / UNAVAILABLE with the field in the details trailer', async () => {
  const fail = async (request: Partial<pb.SearchRequest>) => {
    const err = (await search(request).catch((e: unknown) => e)) as ServiceError;
    return { code: err.code, details: JSON.parse(String(err.metadata.get('error-details-json')[0])) as Record<string, unknown> };
  };
  expect(await fail({ query: '' })).toMatchObject({ code: status.INVALID_ARGUMENT, details: { field: 'query' } });
  expect(await fail({ k: 500 })).toMatchObject({ code: status.INVALID_ARGUMENT, details: { field: 'k' } });
  expect(await fail({ collection: 'nope' })).toMatchObject({ code: status.NOT_FOUND, details: { field: 'collection' } });
  expect(await fail({ model: 'other' })).toMatchObject({ code: status.INVALID_ARGUMENT, details: { field: 'model' } });
  expect(await fail({ filters: [{ field: 'colour', anyOf: [{ kind: { $case: 'boolValue', value: true } }], range: undefined }] })).toMatchObject({
    code: status.INVALID_ARGUMENT,
    details: { field: 'filters.0.field' },
  });
  expect(await fail({ filters: [{ field: 'year', anyOf: [], range: undefined }] })).toMatchObject({ details: { field: 'filters.0' } });
  // A double on the wire can be NaN or ±Infinity, which JSON (and so Elasticsearch) would read as an open bound.
  for (const value of [Number.POSITIVE_INFINITY, Number.NaN]) {
    const range = { gt: undefined, gte: { kind: { $case: 'numberValue' as const, value } }, lt: undefined, lte: undefined };
    expect(await fail({ filters: [{ field: 'year', anyOf: [], range }] })).toMatchObject({ code: status.INVALID_ARGUMENT, details: { field: 'filters.0.range.gte' } });
  }
  expect(await fail({ filters: [{ field: 'year', anyOf: [{ kind: { $case: 'numberValue', value: Number.NEGATIVE_INFINITY } }], range: undefined }] })).toMatchObject({
    code: status.INVALID_ARGUMENT,
    details: { field: 'filters.0.anyOf.0' },
  });
  expect(await fail({ mode: pb.SearchMode.SEARCH_MODE_HYDE })).toMatchObject({ code: status.UNAVAILABLE, details: { dependency: 'generation' } });
});

const exec = async <T>(query: string, variables: Record<string, unknown> = {}) => {
  const res = await subgraph.executeOperation<T>({ query, variables }, { contextValue: context });
  if (res.body.kind !== 'single') throw new Error('expected a single result');
  return res.body.singleResult;
};

test('the subgraph creates collections, ingests, reports jobs and searches with filters', async () => {
  const created = await exec<{ createCollection: { name: string; documentCount: number; encoder: { model: string; dimensions: number } } }>(
    `mutation { createCollection(input: { name: "gql", model: "other" }) { name documentCount encoder { model dimensions } } }`,
  );
  expect(created.data!.createCollection).toEqual({ name: 'gql', documentCount: 0, encoder: { model: 'other', dimensions: 16 } });
  const job = await exec<{ ingestDocuments: { id: string; status: string; submitted: number } }>(
    `mutation($d: [DocumentInput!]!) { ingestDocuments(collection: "gql", documents: $d) { id status submitted } }`,
    { d: [{ id: '1', text: 'one fish', metadata: { n: 1 } }, { id: '2', title: 'Two', text: 'two fish', metadata: { n: 2 } }] },
  );
  expect(job.data!.ingestDocuments).toMatchObject({ status: 'QUEUED', submitted: 2 });
  await t.drain();
  const status = await exec<{ ingestionJob: unknown }>(`query($id: ID!) { ingestionJob(id: $id) { status processed failed failures { documentId } } }`, {
    id: job.data!.ingestDocuments.id,
  });
  expect(status.data!.ingestionJob).toEqual({ status: 'COMPLETED', processed: 2, failed: 0, failures: [] });
  const found = await exec<{ search: { mode: string; hits: Array<{ document: { id: string; title: string }; keywordScore: number | null; vectorScore: number | null }> } }>(
    `{ search(collection: "gql", query: "fish", filters: [{ field: "n", range: { gte: 2 } }]) { mode hits { document { id title } keywordScore vectorScore } } }`,
  );
  expect(found.data!.search.mode).toBe('HYBRID');
  expect(found.data!.search.hits.map((h) => h.document)).toEqual([{ id: '2', title: 'Two' }]);
  expect(found.data!.search.hits[0]!.keywordScore).not.toBeNull();
  const one = await exec<{ document: unknown; collection: { documentCount: number } }>(`{ document(collection: "gql", id: "1") { id text metadata } collection(name: "gql") { documentCount } }`);
  expect(one.data).toEqual({ document: { id: '1', text: 'one fish', metadata: { n: 1 } }, collection: { documentCount: 2 } });
});

test('subgraph errors carry their code and field', async () => {
  const both = await exec(`{ search(collection: "docs", query: "x", filters: [{ field: "year", anyOf: [1], range: { gt: 1 } }]) { mode } }`);
  expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filters.0' });
  const empty = await exec(`mutation { ingestDocuments(collection: "docs", documents: [{ id: "a", text: " " }]) { id } }`);
  expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'documents.0.text' });
  const unknown = await exec(`mutation { ingestDocuments(collection: "nope", documents: [{ id: "a", text: "x" }]) { id } }`);
  expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'collection' });
  const model = await exec(`mutation { createCollection(input: { name: "m", model: "gpt-9" }) { name } }`);
  expect(model.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'model' });
  const entity = await exec<{ _entities: unknown[] }>(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Collection { name documentCount } ... on Document { id } } }`, {
    r: [{ __typename: 'Collection', name: 'docs' }, { __typename: 'Document', collection: 'docs', id: 'cats' }, { __typename: 'Document', collection: 'gone', id: 'x' }],
  });
  expect(entity.data!._entities).toEqual([{ name: 'docs', documentCount: 3 }, { id: 'cats' }, null]);
});
