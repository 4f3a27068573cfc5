// Faults injected into the shared stack through the testkit's control server: a subgraph stopped
// (the gateway answers the other subgraphs' fields, with a typed UNAVAILABLE error for its own,
// and recovers when it returns), PostgreSQL restarted (services recover by themselves) and
// Elasticsearch restarted during an ingestion (the job finishes with nothing lost or duplicated).
// Every test puts the component back and waits until every program is ready again before it
// ends, so the files that run after this one find the stack as they expect.
import { randomUUID } from 'node:crypto';
import { controlPlatform, graphql, waitFor } from '@llmops/testkit';
import { integrationContext } from './context';
import { allReady as waitForAllReady } from './readiness';

const ctx = integrationContext();
// Restarting Elasticsearch on two cores and waiting for every program to notice takes minutes.
jest.setTimeout(600_000);
const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) => graphql<T>(ctx.gatewayUrl, query, variables);
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const created: string[] = [];

afterAll(async () => {
  await allReady();
  for (const name of created) await gql(`mutation($n: String!) { deleteCollection(name: $n) }`, { n: name });
});

/** Every program answers /readyz with 200 (a restarted dependency takes a while to be noticed). */
const allReady = (timeoutMs?: number) => waitForAllReady(ctx, timeoutMs);

/** Runs `fault`, then `body`; whatever happens, `repair` runs and the stack is ready again afterwards. */
async function withFault(fault: () => Promise<void>, repair: () => Promise<void>, body: () => Promise<void>): Promise<void> {
  let repaired = false;
  try {
    await fault();
    await body();
    await repair();
    repaired = true;
  } finally {
    if (!repaired) await repair().catch(() => undefined);
    await allReady();
  }
}

async function createCollection(name: string): Promise<void> {
  const res = await gql(`mutation($n: String!) { createCollection(input: { name: $n }) { name } }`, { n: name });
  expect(res.errors).toBeUndefined();
  created.push(name);
}

type Err = { message: string; extensions?: Record<string, unknown> };
const codes = (errors: Err[] | undefined) => (errors ?? []).map((e) => e.extensions?.['code']);

describe('a subgraph goes away', () => {
  const name = unique('it-fault-subgraph');
  const QUERY = `query($n: String!) { generationModels { name } collection(name: $n) { name } }`;

  beforeAll(() => createCollection(name));

  test('the gateway answers the other subgraphs, types the missing fields UNAVAILABLE, and recovers', async () => {
    await withFault(
      () => controlPlatform('programs', 'retrieval', 'stop'),
      () => controlPlatform('programs', 'retrieval', 'restart'),
      async () => {
        const down = await gql<{ generationModels: Array<{ name: string }>; collection: { name: string } | null }>(QUERY, { n: name });
        expect(down.status).toBe(200);
        expect(down.data?.generationModels.length).toBeGreaterThan(0);
        expect(down.data?.collection).toBeNull();
        expect(down.errors).toEqual([
          expect.objectContaining({
            message: expect.stringContaining('subgraph retrieval is unavailable'),
            extensions: expect.objectContaining({ code: 'UNAVAILABLE', subgraph: 'retrieval' }),
          }),
        ]);
        // A mutation routed to it gets the same typed error, never an internal one.
        const write = await gql(`mutation($n: String!) { createCollection(input: { name: $n }) { name } }`, { n: unique('it-never') });
        expect(write.status).toBeLessThan(500);
        expect(codes(write.errors)).toEqual(['UNAVAILABLE']);
      },
    );
    const up = await gql<{ generationModels: unknown[]; collection: { name: string } | null }>(QUERY, { n: name });
    expect(up.errors).toBeUndefined();
    expect(up.data?.collection).toEqual({ name });
  });
});

describe('PostgreSQL restarts', () => {
  const promptName = unique('it-fault-pg');
  const PROMPT = `query($n: String!) { prompt(name: $n) { name } }`;

  test('while it is down reads are typed UNAVAILABLE naming it; afterwards services recover by themselves', async () => {
    const created = await gql(`mutation($n: String!) { createPrompt(input: { name: $n }) { name } }`, { n: promptName });
    expect(created.errors).toBeUndefined();

    await withFault(
      () => controlPlatform('infra', 'postgres', 'stop'),
      () => controlPlatform('infra', 'postgres', 'restart'),
      async () => {
        const read = await waitFor(
          async () => {
            const res = await gql(PROMPT, { n: promptName });
            return res.errors?.length ? res : undefined;
          },
          { timeoutMs: 30_000, what: 'a read to fail while PostgreSQL is down', intervalMs: 250 },
        );
        expect(read.status).toBeLessThan(500);
        // Named as the server (a refused connection only knows its address) or as PostgreSQL.
        const { hostname, port } = new URL(ctx.databaseUrl);
        expect(read.errors?.[0]?.extensions?.['code']).toBe('UNAVAILABLE');
        expect(['postgresql', `${hostname}:${port}`]).toContain(read.errors?.[0]?.extensions?.['dependency']);
      },
    );

    // No service is restarted: their pools reconnect on their own.
    const read = await waitFor(
      async () => {
        const res = await gql<{ prompt: { name: string } }>(PROMPT, { n: promptName });
        return res.data?.prompt ? res : undefined;
      },
      { timeoutMs: 30_000, what: 'reads to succeed again after the restart', intervalMs: 250 },
    );
    expect(read.errors).toBeUndefined();
    expect(read.data?.prompt).toEqual({ name: promptName });
    const write = await gql(`mutation($n: String!) { createPromptVersion(input: { promptName: $n, template: "Hello {{who}}" }) { number } }`, { n: promptName });
    expect(write.errors).toBeUndefined();
    expect(write.data).toEqual({ createPromptVersion: { number: 1 } });
  });
});

describe('Elasticsearch restarts during an ingestion', () => {
  const name = unique('it-fault-es');
  const batches = 4;
  const perBatch = 250;
  const ids = Array.from({ length: batches * perBatch }, (_, i) => `doc-${String(i).padStart(4, '0')}`);
  const topics = ['retrieval', 'kafka', 'embedding', 'gateway', 'schema', 'prompt', 'vector', 'index'];

  type Job = { id: string; status: string; submitted: number; processed: number; failed: number };
  const JOB = `query($id: ID!) { ingestionJob(id: $id) { id status submitted processed failed } }`;

  beforeAll(() => createCollection(name));

  test('the job finishes: every document indexed exactly once, none failed', async () => {
    const jobs: string[] = [];
    for (let b = 0; b < batches; b++) {
      const documents = ids.slice(b * perBatch, (b + 1) * perBatch).map((id, i) => ({
        id,
        title: `Document ${id}`,
        text: `Document ${id} is about ${topics[i % topics.length]} and ${topics[(i * 3 + b) % topics.length]}, written for the fault test.`,
        metadata: { batch: b },
      }));
      const res = await gql<{ ingestDocuments: Job }>(
        `mutation($c: String!, $d: [DocumentInput!]!) { ingestDocuments(collection: $c, documents: $d) { id submitted } }`,
        { c: name, d: documents },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.ingestDocuments.submitted).toBe(perBatch);
      jobs.push(res.data!.ingestDocuments.id);
    }
    // Stop Elasticsearch once the ingestion is under way (some documents in, most still queued).
    const indexed = () =>
      fetch(`${ctx.elasticsearchUrl}/llmops-collection-${name}/_count`)
        .then((r) => r.json() as Promise<{ count?: number }>)
        .then((b) => b.count ?? 0);
    const before = await waitFor(async () => (await indexed()) || undefined, { timeoutMs: 120_000, what: 'the first documents to be indexed', intervalMs: 100 });
    process.stdout.write(`[faults] ${before} of ${ids.length} documents indexed when Elasticsearch was stopped\n`);

    await withFault(
      () => controlPlatform('infra', 'elasticsearch', 'stop'),
      () => controlPlatform('infra', 'elasticsearch', 'restart'),
      async () => undefined,
    );

    for (const id of jobs) {
      const done = await waitFor(
        async () => {
          const res = await gql<{ ingestionJob: Job }>(JOB, { id });
          return res.data?.ingestionJob.status === 'COMPLETED' && res.data.ingestionJob;
        },
        { timeoutMs: 240_000, what: `ingestion job ${id} to complete after the restart`, intervalMs: 1_000 },
      );
      expect(done).toMatchObject({ submitted: perBatch, processed: perBatch, failed: 0 });
    }
    await fetch(`${ctx.elasticsearchUrl}/llmops-collection-${name}/_refresh`, { method: 'POST' });
    const count = await fetch(`${ctx.elasticsearchUrl}/llmops-collection-${name}/_count`).then((r) => r.json() as Promise<{ count: number }>);
    expect(count.count).toBe(ids.length);
    const found = await fetch(`${ctx.elasticsearchUrl}/llmops-collection-${name}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: ids.length + 10, _source: false, query: { match_all: {} } }),
    }).then((r) => r.json() as Promise<{ hits: { hits: Array<{ _id: string }> } }>);
    expect(found.hits.hits.map((h) => h._id).sort()).toEqual(ids);
    const collection = await gql<{ collection: { documentCount: number } }>(`query($n: String!) { collection(name: $n) { documentCount } }`, { n: name });
    expect(collection.data?.collection.documentCount).toBe(ids.length);
  });
});
