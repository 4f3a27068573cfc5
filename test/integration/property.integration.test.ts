// Property-based tests (fast-check) over the mutations' inputs, through the real gateway and
// services: whatever the input, the answer is never an HTTP 5xx nor INTERNAL_SERVER_ERROR, but a
// success or a typed error; and a refused mutation leaves nothing behind (no prompt, no version,
// no collection; an ingestion job only for a batch that was accepted whole).
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { graphql, type GraphQLResponse } from '@llmops/testkit';
import { integrationContext } from './context';

const ctx = integrationContext();
const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) => graphql<T>(ctx.gatewayUrl, query, variables);
const numRuns = Number(process.env.PROPERTY_RUNS ?? 50);
// Each run makes a few real round trips (a collection is an Elasticsearch index): allow for it.
jest.setTimeout(600_000);
const createdCollections: string[] = [];

afterAll(async () => {
  for (const n of createdCollections) await gql(`mutation($n: String!) { deleteCollection(name: $n) }`, { n });
});

/** Codes a caller can act on; anything else (INTERNAL_SERVER_ERROR, no code) is a bug. */
// UNAVAILABLE names a dependency that is slow or down (e.g. the encoder still busy after the fault
// tests): typed, and the mutation must still have written nothing.
const typedCodes = new Set(['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'UNAVAILABLE']);

/** The one invariant of every answer: a success, or only typed errors; never a 5xx. Returns whether it succeeded. */
function outcome(res: GraphQLResponse, field: string): 'ok' | 'refused' {
  expect(res.status).toBeLessThan(500);
  if (!res.errors?.length) {
    expect(res.data?.[field as keyof typeof res.data]).toBeTruthy();
    return 'ok';
  }
  for (const e of res.errors) {
    if (!typedCodes.has(String(e.extensions?.['code']))) throw new Error(`untyped error for ${field}: ${JSON.stringify(e)}`);
  }
  expect(res.data?.[field as keyof typeof res.data] ?? null).toBeNull();
  return 'refused';
}

// Strings that tend to break things: empty, blanks, control characters (NUL), lone surrogates,
// markup, SQL, template syntax, very long, plus arbitrary Unicode.
const nasty = fc.oneof(
  fc.constantFrom('', ' ', '\t\n', '\u0000', 'a\u0000b', '\ud800', '💥', "'; drop table prompts; --", '<script>x</script>', '{{', '}}', '{{ x }}', '{{#each}}', 'x'.repeat(5_000)),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.stringMatching(/^[a-z][a-z0-9_-]{0,30}$/),
);
const json = fc.jsonValue({ maxDepth: 3 });

describe('createPrompt', () => {
  test('any input: a prompt, or a typed error and no prompt', async () => {
    await fc.assert(
      fc.asyncProperty(nasty, fc.option(nasty), fc.option(fc.array(nasty, { maxLength: 5 })), async (name, description, tags) => {
        // Suffix keeps names from colliding across runs while the generated part is still tested.
        const full = name === '' ? name : `${name}-${randomUUID().slice(0, 6)}`;
        const res = await gql(`mutation($i: CreatePromptInput!) { createPrompt(input: $i) { name description tags } }`, {
          i: { name: full, description, tags },
        });
        const read = await gql<{ prompt: { name: string } | null }>(`query($n: String!) { prompt(name: $n) { name } }`, { n: full });
        if (outcome(res, 'createPrompt') === 'ok') {
          expect(read.data?.prompt?.name).toBe(full);
        } else {
          expect(read.data?.prompt ?? null).toBeNull();
        }
      }),
      { numRuns },
    );
  });
});

describe('createPromptVersion', () => {
  const promptName = `it-prop-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    expect((await gql(`mutation($n: String!) { createPrompt(input: { name: $n }) { name } }`, { n: promptName })).errors).toBeUndefined();
  });

  /** How many versions the prompt has: the newest one's number (numbers have no gaps), 0 before the first. */
  const versionsOf = async () => {
    const res = await gql<{ prompt: { version: { number: number } } }>(`query($n: String!) { prompt(name: $n) { version { number } } }`, { n: promptName });
    if (res.errors?.[0]?.extensions?.['code'] === 'NOT_FOUND') return 0;
    if (!res.data) throw new Error(`cannot read the versions of ${promptName}: ${JSON.stringify(res.errors)}`);
    return res.data.prompt.version.number;
  };

  const variable = fc.record(
    {
      name: nasty,
      type: fc.constantFrom('STRING', 'NUMBER', 'BOOLEAN', 'ENUM', 'JSON'),
      required: fc.boolean(),
      default: json,
      description: nasty,
      enumValues: fc.array(nasty, { maxLength: 3 }),
    },
    { requiredKeys: ['name'] },
  );
  const template = fc.oneof(nasty, fc.tuple(nasty, fc.stringMatching(/^[a-z]{1,8}$/), nasty).map(([a, v, b]) => `${a}{{${v}}}${b}`));
  const input = fc.record(
    {
      template,
      messages: fc.array(fc.record({ role: fc.constantFrom('SYSTEM', 'USER', 'ASSISTANT'), content: template }), { maxLength: 3 }),
      variables: fc.array(variable, { maxLength: 3 }),
      modelParameters: fc.record(
        {
          model: nasty,
          temperature: fc.double({ min: -5, max: 5, noNaN: true }),
          maxTokens: fc.integer({ min: -10, max: 1_000_000 }),
          topP: fc.double({ min: -1, max: 2, noNaN: true }),
          stop: fc.array(nasty, { maxLength: 3 }),
          seed: fc.integer(),
        },
        { requiredKeys: [] },
      ),
      metadata: json,
      commitMessage: nasty,
      author: nasty,
      parentVersion: fc.integer({ min: -2, max: 5 }),
    },
    { requiredKeys: [] },
  );

  test('any input: exactly one more version, or a typed error and none', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        const before = await versionsOf();
        const res = await gql(`mutation($i: CreatePromptVersionInput!) { createPromptVersion(input: $i) { number } }`, { i: { ...i, promptName } });
        const after = await versionsOf();
        expect(after).toBe(outcome(res, 'createPromptVersion') === 'ok' ? before + 1 : before);
      }),
      { numRuns },
    );
  });
});

describe('createCollection', () => {
  test('any input: a collection, or a typed error and no collection', async () => {
    await fc.assert(
      fc.asyncProperty(nasty, fc.option(nasty), fc.option(fc.oneof(nasty, fc.constant('all-minilm-l6-v2-q'))), async (name, description, model) => {
        const full = name === '' ? name : `${name}-${randomUUID().slice(0, 6)}`;
        const res = await gql(`mutation($i: CreateCollectionInput!) { createCollection(input: $i) { name } }`, { i: { name: full, description, model } });
        const ok = outcome(res, 'createCollection') === 'ok';
        if (ok) createdCollections.push(full);
        const read = await gql<{ collection: { name: string } | null }>(`query($n: String!) { collection(name: $n) { name } }`, { n: full });
        if (ok) expect(read.data?.collection?.name).toBe(full);
        else expect(read.data?.collection ?? null).toBeNull();
      }),
      // Each success creates an Elasticsearch index: fewer runs keep the file under a few minutes.
      { numRuns: Math.ceil(numRuns / 2) },
    );
  });
});

describe('ingestDocuments', () => {
  const collection = `it-prop-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    expect((await gql(`mutation($n: String!) { createCollection(input: { name: $n }) { name } }`, { n: collection })).errors).toBeUndefined();
    createdCollections.push(collection);
  });

  const document = fc.record(
    { id: nasty, title: fc.option(nasty), text: nasty, metadata: fc.option(fc.oneof(json, fc.dictionary(fc.string({ maxLength: 10 }), json, { maxKeys: 5 }))) },
    { requiredKeys: ['id', 'text'] },
  );

  test('any batch: a job for all of it, or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(document, { maxLength: 5 }), async (documents) => {
        const res = await gql<{ ingestDocuments: { id: string; submitted: number } }>(
          `mutation($c: String!, $d: [DocumentInput!]!) { ingestDocuments(collection: $c, documents: $d) { id submitted } }`,
          { c: collection, d: documents },
        );
        if (outcome(res, 'ingestDocuments') === 'ok') {
          const job = res.data!.ingestDocuments;
          expect(job.submitted).toBe(documents.length);
          const read = await gql<{ ingestionJob: { submitted: number } }>(`query($id: ID!) { ingestionJob(id: $id) { submitted } }`, { id: job.id });
          expect(read.data?.ingestionJob.submitted).toBe(documents.length);
        }
      }),
      { numRuns },
    );
  });
});
