// Abusive documents against the real gateway (and one subgraph directly): deep, aliased,
// directive-heavy, wide (costly), token-heavy, oversized and batched requests are refused with
// typed errors naming the limit, before any subgraph is called. A second gateway started with
// NODE_ENV=production over the same subgraphs shows the production hardening: no introspection,
// no field suggestions, no stack traces.
import { defaultGraphQLLimits, defaultSubgraphLimits } from '@llmops/platform';
import { graphql } from '@llmops/testkit';
import { integrationContext, programUrl, subgraphHeaders } from './context';
import { startExtraGateway, type ExtraGateway } from './extra-gateway';

const ctx = integrationContext();
let production: ExtraGateway | undefined;

beforeAll(async () => {
  production = await startExtraGateway({ NODE_ENV: 'production' });
});

afterAll(() => production?.child.kill('SIGKILL'));

type Err = { message: string; extensions?: Record<string, unknown> };

const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `m${i}: embeddingModels { name }`).join(' ')} }`;
const directives = (n: number) => `{ embeddingModels { ${Array.from({ length: n }, () => 'name @include(if: true)').join(' ')} } }`;
/** prompt → versions → parent → parent … : depth 3 + n. */
const deep = (n: number) => `{ prompt(name: "x") { versions { ${'parent { '.repeat(n)}number${' }'.repeat(n)} } } }`;
/** One list of `first` prompts with every field of a node: the cost estimate multiplies by `first`. */
const wide = (first: number) =>
  `{ prompts(first: ${first}) { edges { node { id name description tags archived createdAt updatedAt versions { id number template author } } } } }`;
const tokens = (n: number) => `{ embeddingModels { ${Array.from({ length: n }, () => 'name').join(' ')} } }`;

/** The production gateway requires credentials: the default project's admin key. */
const admin = { authorization: `Bearer ${ctx.auth.adminApiKey}` };

describe.each([
  ['the gateway', () => ctx.gatewayUrl, {}],
  ['the production gateway', () => production!.url, admin],
])('%s refuses abusive documents with typed errors', (_label, url, auth: Record<string, string>) => {
  const limits = defaultGraphQLLimits;

  test.each([
    ['deep', deep(limits.maxDepth), deep(limits.maxDepth - 3 - 1), 'maxDepth', 'GRAPHQL_VALIDATION_FAILED'],
    ['aliased', aliases(limits.maxAliases + 1), aliases(limits.maxAliases), 'maxAliases', 'GRAPHQL_VALIDATION_FAILED'],
    ['directive-heavy', directives(limits.maxDirectives + 1), directives(limits.maxDirectives), 'maxDirectives', 'GRAPHQL_VALIDATION_FAILED'],
    ['wide', wide(500), wide(5), 'maxCost', 'GRAPHQL_VALIDATION_FAILED'],
    ['token-heavy', tokens(limits.maxTokens), tokens(100), 'maxTokens', 'GRAPHQL_PARSE_FAILED'],
  ])('%s', async (_what, abusive, acceptable, limit, code) => {
    const refused = await graphql(url(), abusive, {}, auth);
    expect(refused.status).toBe(400);
    expect(refused.data).toBeUndefined();
    const error = (refused.errors as Err[]).find((e) => e.extensions?.['limit'] === limit);
    expect(error?.extensions).toMatchObject({ code, limit, max: limits[limit as keyof typeof limits], setting: expect.stringMatching(/^GRAPHQL_MAX_/) });
    expect(error?.extensions?.['stacktrace']).toBeUndefined();
    // The same shape within the limit is answered normally (no limit error; maybe NOT_FOUND).
    const accepted = await graphql(url(), acceptable, {}, auth);
    expect(accepted.status).toBe(200);
    expect((accepted.errors ?? []).map((e) => e.extensions?.['code'])).not.toContain(code);
  });

  test('an oversized body gets 413 PAYLOAD_TOO_LARGE, a batch 400, a simple (CSRF-able) request 400', async () => {
    const big = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ query: '{ embeddingModels { name } }', variables: { pad: 'x'.repeat(1_100_000) } }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { errors: Err[] }).errors[0]!.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', limitBytes: 1_048_576 });

    const batch = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify([{ query: '{ embeddingModels { name } }' }, { query: '{ embeddingModels { name } }' }]),
    });
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as { errors: Err[] }).errors[0]!.extensions?.['code']).toBe('BAD_REQUEST');

    // A form post or a plain GET is what a foreign page can send without a preflight.
    const simplePost = await fetch(url(), { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: JSON.stringify({ query: '{ embeddingModels { name } }' }) });
    expect(simplePost.status).toBe(400);
    const simpleGet = await fetch(`${url()}?query=${encodeURIComponent('{ embeddingModels { name } }')}`, { headers: auth });
    expect(simpleGet.status).toBe(400);
    expect(await simpleGet.text()).toMatch(/CSRF|preflight/i);
  });
});

test('subgraphs, reachable by peers, enforce their own limits too', async () => {
  const url = `${programUrl('prompt-registry')}/graphql`;
  const res = await graphql(url, deep(defaultSubgraphLimits.maxDepth), {}, subgraphHeaders());
  expect(res.status).toBe(400);
  expect((res.errors as Err[]).find((e) => e.extensions?.['limit'] === 'maxDepth')?.extensions).toMatchObject({
    code: 'GRAPHQL_VALIDATION_FAILED',
    max: defaultSubgraphLimits.maxDepth,
  });
});

describe('production mode', () => {
  const INTROSPECTION = '{ __schema { queryType { name } types { name } } }';

  test('introspection is off in production (and on in development)', async () => {
    const dev = await graphql<{ __schema: { queryType: { name: string } } }>(ctx.gatewayUrl, INTROSPECTION);
    expect(dev.data?.__schema.queryType.name).toBe('Query');
    const prod = await graphql(production!.url, INTROSPECTION, {}, admin);
    expect(prod.status).toBe(400);
    expect(prod.data).toBeUndefined();
    expect(prod.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(prod.errors?.[0]?.message).toMatch(/introspection/i);
  });

  test('errors carry no field suggestions and no stack traces', async () => {
    const typo = '{ embeddingModel { name } }';
    const dev = await graphql(ctx.gatewayUrl, typo);
    expect(dev.errors?.[0]?.message).toMatch(/Did you mean/);
    const prod = await graphql(production!.url, typo, {}, admin);
    expect(prod.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(prod.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const notFound = await graphql(production!.url, '{ prompt(name: "no-such-prompt-anywhere") { name } }', {}, admin);
    expect(notFound.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    for (const e of [...(prod.errors ?? []), ...(notFound.errors ?? [])]) expect(e.extensions?.['stacktrace']).toBeUndefined();
  });
});
