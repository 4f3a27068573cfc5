// Projects isolate retrieval end to end, through the stack's gateway with API keys of two projects
// (and gRPC with their signed identities): a collection name is per project, each project's
// ingestion (through Kafka) and searches see only its own documents, and another project's
// collection, ingestion job or document is NOT_FOUND.
import { randomUUID } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import { retrievalV1 as pb } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { graphql, waitFor, type GraphQLResponse } from '@llmops/testkit';
import { grpcOptions, integrationContext } from './context';
import { bearer, createKey, createProject } from './projects';

const ctx = integrationContext();
const retrieval = ctx.programs.find((p) => p.name === 'retrieval')!;

/** Through the gateway as the project of `key` (no key: the default project's admin). */
const gql = <T = Record<string, unknown>>(key: string | null, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> =>
  graphql<T>(ctx.gatewayUrl, query, variables, key ? bearer(key) : {});
const codes = (res: GraphQLResponse) => (res.errors ?? []).map((e) => e.extensions?.['code']);

let projectA: string;
let projectB: string;
let keyA: string;
let keyB: string;
const shared = `shared-${randomUUID().slice(0, 8)}`;
const privateToA = `private-${randomUUID().slice(0, 8)}`;
const cleanup: Array<[string, string]> = [];

beforeAll(async () => {
  projectA = await createProject('ret-a');
  projectB = await createProject('ret-b');
  keyA = await createKey(projectA, 'admin');
  keyB = await createKey(projectB, 'admin');
});

afterAll(async () => {
  for (const [key, name] of cleanup) await gql(key, `mutation($n: String!) { deleteCollection(name: $n) }`, { n: name });
});

async function createCollection(key: string, name: string) {
  const res = await gql<{ createCollection: { name: string } }>(key, `mutation($n: String!) { createCollection(input: { name: $n }) { name } }`, { n: name });
  expect(res.errors).toBeUndefined();
  cleanup.push([key, name]);
}

const JOB = `query($id: ID!) { ingestionJob(id: $id) { id status processed failed } }`;

/** Ingests as the key's project and waits until its job completed without failures; the job id. */
async function ingest(key: string, collection: string, documents: Array<{ id: string; text: string }>): Promise<string> {
  const res = await gql<{ ingestDocuments: { id: string } }>(
    key,
    `mutation($c: String!, $d: [DocumentInput!]!) { ingestDocuments(collection: $c, documents: $d) { id } }`,
    { c: collection, d: documents },
  );
  expect(res.errors).toBeUndefined();
  const id = res.data!.ingestDocuments.id;
  const job = await waitFor(
    async () => {
      const j = (await gql<{ ingestionJob: { status: string; processed: number; failed: number } }>(key, JOB, { id })).data?.ingestionJob;
      return j?.status === 'COMPLETED' && j;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: `ingestion job ${id} to complete` },
  );
  expect(job).toMatchObject({ processed: documents.length, failed: 0 });
  return id;
}

const SEARCH = `query($c: String!, $q: String!, $m: SearchMode!) { search(collection: $c, query: $q, mode: $m, k: 10) { hits { document { id text } } } }`;
const searchIds = async (key: string | null, collection: string, query: string, mode: string) => {
  const res = await gql<{ search: { hits: Array<{ document: { id: string; text: string } }> } }>(key, SEARCH, { c: collection, q: query, m: mode });
  expect(res.errors).toBeUndefined();
  return res.data!.search.hits.map((h) => h.document.id).sort();
};
const listed = async (key: string | null) =>
  (await gql<{ collections: Array<{ name: string; documentCount: number }> }>(key, `{ collections { name documentCount } }`)).data!.collections;

test('two projects each have a collection of the same name with their own documents, and search only their own', async () => {
  await createCollection(keyA, shared);
  await createCollection(keyB, shared);
  await ingest(keyA, shared, [
    { id: 'aardvark', text: 'the aardvark digs for ants at night' },
    { id: 'common', text: 'project alpha keeps this version of the common animal document' },
  ]);
  await ingest(keyB, shared, [
    { id: 'bison', text: 'the bison grazes on the prairie grass' },
    { id: 'common', text: 'project beta keeps another version of the common animal document' },
  ]);
  for (const mode of ['KEYWORD', 'VECTOR', 'HYBRID']) {
    expect([mode, await searchIds(keyA, shared, 'which animal digs, grazes or is common', mode)]).toEqual([mode, ['aardvark', 'common']]);
    expect([mode, await searchIds(keyB, shared, 'which animal digs, grazes or is common', mode)]).toEqual([mode, ['bison', 'common']]);
  }
  const DOC = `query($c: String!, $id: ID!) { document(collection: $c, id: $id) { text } }`;
  expect((await gql<{ document: { text: string } }>(keyA, DOC, { c: shared, id: 'common' })).data!.document.text).toContain('alpha');
  expect((await gql<{ document: { text: string } }>(keyB, DOC, { c: shared, id: 'common' })).data!.document.text).toContain('beta');
  expect((await listed(keyA)).filter((c) => c.name === shared)).toEqual([{ name: shared, documentCount: 2 }]);
  expect((await listed(keyB)).filter((c) => c.name === shared)).toEqual([{ name: shared, documentCount: 2 }]);
  // The default project has no collection of that name.
  expect((await listed(null)).map((c) => c.name)).not.toContain(shared);
  expect(codes(await gql(null, SEARCH, { c: shared, q: 'animal', m: 'KEYWORD' }))).toEqual(['NOT_FOUND']);
});

test("another project's collection, ingestion job and document are NOT_FOUND, and its list leaves them out", async () => {
  await createCollection(keyA, privateToA);
  const jobId = await ingest(keyA, privateToA, [{ id: 'secret', text: 'the launch code is hidden in the aardvark burrow' }]);

  expect((await listed(keyA)).map((c) => c.name)).toContain(privateToA);
  expect((await listed(keyB)).map((c) => c.name)).not.toContain(privateToA);
  expect((await gql(keyB, `query($n: String!) { collection(name: $n) { name } }`, { n: privateToA })).data).toEqual({ collection: null });
  expect(codes(await gql(keyB, SEARCH, { c: privateToA, q: 'launch code', m: 'HYBRID' }))).toEqual(['NOT_FOUND']);
  expect(codes(await gql(keyB, `query($c: String!) { document(collection: $c, id: "secret") { text } }`, { c: privateToA }))).toEqual(['NOT_FOUND']);
  expect(codes(await gql(keyB, JOB, { id: jobId }))).toEqual(['NOT_FOUND']);
  expect(codes(await gql(keyB, `mutation($c: String!) { ingestDocuments(collection: $c, documents: [{ id: "x", text: "planted" }]) { id } }`, { c: privateToA }))).toEqual([
    'NOT_FOUND',
  ]);
  expect((await gql(keyB, `mutation($n: String!) { deleteCollection(name: $n) }`, { n: privateToA })).data).toEqual({ deleteCollection: false });
  // Nothing B did reached A's collection.
  expect(await searchIds(keyA, privateToA, 'launch code', 'KEYWORD')).toEqual(['secret']);
  expect((await gql<{ ingestionJob: { id: string } }>(keyA, JOB, { id: jobId })).data!.ingestionJob.id).toBe(jobId);
});

test("a gRPC Retriever call signed as project B cannot search project A's collection", async () => {
  const as = (projectId: string) => {
    const client = new pb.RetrieverServiceClient(
      `127.0.0.1:${retrieval.grpcPort}`,
      credentials.createInsecure(),
      grpcOptions({ projectId, subject: 'it', role: 'reader', via: 'api-key' }),
    );
    return callUnary(
      client.search.bind(client),
      { collection: privateToA, query: 'launch code', mode: pb.SearchMode.SEARCH_MODE_KEYWORD, k: 5, filters: [], model: '' },
      { deadlineMs: 10_000 },
    ).finally(() => client.close());
  };
  await expect(as(projectB)).rejects.toMatchObject({ code: 5 });
  await expect(as('default')).rejects.toMatchObject({ code: 5 });
  expect((await as(projectA)).hits.map((h) => h.documentId)).toEqual(['secret']);
});
