// The vertical slice: prompts and numbered versions written through the gateway into PostgreSQL,
// read back through the gateway, and announced on Kafka with the request's trace context.
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { graphql } from '@llmops/testkit';
import { integrationContext } from './context';
import { KafkaProbe } from './kafka-probe';

const ctx = integrationContext();
const probe = new KafkaProbe(ctx.kafkaBrokers);
const db = new Client({ connectionString: ctx.databaseUrl });

beforeAll(async () => {
  await db.connect();
  await probe.start(['prompt.version.created.v1']);
});
afterAll(async () => {
  await probe.stop();
  await db.end();
});

const CREATE_PROMPT = `mutation($input: CreatePromptInput!) { createPrompt(input: $input) { id name description tags createdAt } }`;
const CREATE_VERSION = `mutation($input: CreatePromptVersionInput!) {
  createPromptVersion(input: $input) { id number template commitMessage author prompt { name } } }`;

const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function rowCounts() {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM registry.prompts)::int AS prompts,
            (SELECT count(*) FROM registry.prompt_versions)::int AS versions,
            (SELECT count(*) FROM registry.outbox)::int AS outbox`,
  );
  return rows[0] as { prompts: number; versions: number; outbox: number };
}

test('a prompt and its versions round-trip through the gateway and PostgreSQL', async () => {
  const name = uniqueName('summarize');
  const created = await graphql<{ createPrompt: { id: string; name: string; tags: string[] } }>(ctx.gatewayUrl, CREATE_PROMPT, {
    input: { name, description: 'Summarise a document', tags: ['demo', 'demo', 'summaries'] },
  });
  expect(created.errors).toBeUndefined();
  expect(created.data!.createPrompt).toMatchObject({ name, tags: ['demo', 'summaries'] });

  for (const template of ['Summarise: {{text}}', 'Summarise in {{n}} bullet points: {{text}}']) {
    const v = await graphql(ctx.gatewayUrl, CREATE_VERSION, { input: { promptName: name, template, commitMessage: 'wording', author: 'ada' } });
    expect(v.errors).toBeUndefined();
  }

  const read = await graphql<{ prompt: { id: string; versions: Array<{ number: number; template: string }>; version: { number: number; template: string } } }>(
    ctx.gatewayUrl,
    `query($name: String!) { prompt(name: $name) { id versions { number template } version { number template } } }`,
    { name },
  );
  expect(read.errors).toBeUndefined();
  expect(read.data!.prompt.id).toBe(created.data!.createPrompt.id);
  expect(read.data!.prompt.versions.map((v) => v.number)).toEqual([1, 2]);
  expect(read.data!.prompt.version).toEqual({ number: 2, template: 'Summarise in {{n}} bullet points: {{text}}' });

  const { rows } = await db.query(
    `SELECT v.number, v.author FROM registry.prompt_versions v JOIN registry.prompts p ON p.id = v.prompt_id WHERE p.name = $1 ORDER BY v.number`,
    [name],
  );
  expect(rows).toEqual([
    { number: 1, author: 'ada' },
    { number: 2, author: 'ada' },
  ]);
});

test('prompt.version.created.v1 reaches Kafka keyed by prompt id, carrying the caller trace context', async () => {
  const name = uniqueName('traced');
  const created = await graphql<{ createPrompt: { id: string } }>(ctx.gatewayUrl, CREATE_PROMPT, { input: { name } });
  const traceId = randomBytes(16).toString('hex');
  const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
  const version = await graphql<{ createPromptVersion: { id: string } }>(
    ctx.gatewayUrl,
    CREATE_VERSION,
    { input: { promptName: name, template: 'Hello {{who}}', commitMessage: 'first' } },
    { traceparent },
  );
  expect(version.errors).toBeUndefined();

  const event = await probe.waitForMessage((m) => m.value['versionId'] === version.data!.createPromptVersion.id, 'the version event');
  expect(event.key).toBe(created.data!.createPrompt.id);
  expect(event.value).toMatchObject({ promptName: name, version: 1, commitMessage: 'first', promptId: created.data!.createPrompt.id });
  expect(event.value['eventId']).toMatch(/^[0-9a-f-]{36}$/);
  // The trace started by the caller went gateway -> prompt-registry -> outbox -> Kafka.
  expect(event.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
});

test('concurrent version creation yields 1..N without duplicates or gaps', async () => {
  const name = uniqueName('concurrent');
  await graphql(ctx.gatewayUrl, CREATE_PROMPT, { input: { name } });
  const n = 16;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      graphql<{ createPromptVersion: { number: number } }>(ctx.gatewayUrl, CREATE_VERSION, { input: { promptName: name, template: `v${i}` } }),
    ),
  );
  expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
  expect(results.map((r) => r.data!.createPromptVersion.number).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
});

test('invalid input is BAD_USER_INPUT naming the field, and nothing is written', async () => {
  const before = await rowCounts();
  const badName = await graphql(ctx.gatewayUrl, CREATE_PROMPT, { input: { name: 'has spaces!' } });
  expect(badName.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });

  const name = uniqueName('guarded');
  await graphql(ctx.gatewayUrl, CREATE_PROMPT, { input: { name } });
  const afterPrompt = await rowCounts();
  const empty = await graphql(ctx.gatewayUrl, CREATE_VERSION, { input: { promptName: name, template: '' } });
  expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'template' });
  const huge = await graphql(ctx.gatewayUrl, CREATE_VERSION, { input: { promptName: name, template: 'x'.repeat(100_001) } });
  expect(huge.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'template' });
  expect(huge.errors?.[0]?.message).toContain('100000');
  const wrongType = await graphql(ctx.gatewayUrl, CREATE_VERSION, { input: { promptName: name, template: 42 } });
  expect(wrongType.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');

  expect(await rowCounts()).toEqual({ ...afterPrompt });
  expect(afterPrompt.prompts).toBe(before.prompts + 1);
});

test('unknown prompts are NOT_FOUND and duplicate names are CONFLICT', async () => {
  const missing = uniqueName('missing');
  const notFound = await graphql(ctx.gatewayUrl, `query($n: String!) { prompt(name: $n) { id } }`, { n: missing });
  expect(notFound.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', ref: missing });
  const noVersion = await graphql(ctx.gatewayUrl, CREATE_VERSION, { input: { promptName: missing, template: 'x' } });
  expect(noVersion.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', ref: missing });

  const name = uniqueName('dup');
  await graphql(ctx.gatewayUrl, CREATE_PROMPT, { input: { name } });
  const dup = await graphql(ctx.gatewayUrl, CREATE_PROMPT, { input: { name } });
  expect(dup.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
});

test('prompts paginate by cursor', async () => {
  const prefix = uniqueName('page');
  for (const suffix of ['a', 'b', 'c']) await graphql(ctx.gatewayUrl, CREATE_PROMPT, { input: { name: `${prefix}-${suffix}` } });
  const seen: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i++) {
    const page: Awaited<ReturnType<typeof graphql<{ prompts: { edges: Array<{ node: { name: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>>> =
      await graphql(ctx.gatewayUrl, `query($after: String) { prompts(first: 2, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } }`, { after });
    expect(page.errors).toBeUndefined();
    seen.push(...page.data!.prompts.edges.map((e) => e.node.name));
    if (!page.data!.prompts.pageInfo.hasNextPage) break;
    after = page.data!.prompts.pageInfo.endCursor;
  }
  expect(seen.filter((n) => n.startsWith(prefix))).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
  expect([...seen].sort()).toEqual(seen);
});
