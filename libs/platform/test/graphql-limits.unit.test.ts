// Document limits on a real subgraph server over a real socket: each limit rejects with a typed
// error naming the limit and its setting; documents within the limits still run; production
// strips field suggestions.
import { ApolloServer } from '@apollo/server';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { buildSchema, Kind, parse, validate, type OperationDefinitionNode, type ValidationRule } from 'graphql';
import pino from 'pino';
import {
  commonEnv,
  costLimitPlugin,
  createErrorFormatter,
  createMetrics,
  createSubgraphServer,
  defaultGraphQLLimits,
  graphqlLimitsEnv,
  introspectionEnabled,
  Lifecycle,
  limitRules,
  limitsFromConfig,
  operationCost,
  parseConfig,
  startHttpServer,
  type GraphQLLimits, anonymousIdentity } from '../src';

const logger = pino({ level: 'silent' });
const limits: GraphQLLimits = { maxDepth: 4, maxAliases: 3, maxDirectives: 3, maxTokens: 200, maxCost: 60 };

interface Body {
  data?: unknown;
  errors?: Array<{ message: string; extensions: Record<string, unknown> }>;
}

async function start(production: boolean) {
  const lifecycle = new Lifecycle(logger);
  const metrics = createMetrics('test');
  type Node = { name: string; child: Node; children: Node[] };
  const node = (): Node => ({ name: 'n', get child() { return node(); }, get children() { return [node(), node()]; } });
  const server = createSubgraphServer({
    typeDefs: `type Query { root: Node! } type Node { name: String! child: Node! children(first: Int): [Node!]! }`,
    resolvers: { Query: { root: () => node() } },
    logger,
    metrics,
    production,
    limits,
  });
  const http = await startHttpServer({ logger, metrics, lifecycle, host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20, authenticate: async () => anonymousIdentity, graphql: { server, context: async () => ({}) } });
  const post = async (query: string) => {
    const res = await fetch(`${http.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    return { status: res.status, body: (await res.json()) as Body };
  };
  return { lifecycle, post };
}

const nested = (depth: number) => `{ root ${'{ child '.repeat(depth - 2)}{ name }${' }'.repeat(depth - 2)} }`;

test('each limit rejects with GRAPHQL_VALIDATION_FAILED or GRAPHQL_PARSE_FAILED naming it; documents within run', async () => {
  const { lifecycle, post } = await start(false);
  try {
    const within = await post(nested(4));
    expect(within.status).toBe(200);
    expect(within.body.errors).toBeUndefined();

    const cases: Array<[string, string, keyof GraphQLLimits, string]> = [
      ['depth', nested(6), 'maxDepth', 'GRAPHQL_VALIDATION_FAILED'],
      ['aliases', `{ a: root { name } b: root { name } c: root { name } d: root { name } }`, 'maxAliases', 'GRAPHQL_VALIDATION_FAILED'],
      ['directives', `{ root { name @include(if: true) @include(if: true) @skip(if: false) @skip(if: false) } }`, 'maxDirectives', 'GRAPHQL_VALIDATION_FAILED'],
      ['cost', `{ root { children(first: 50) { name } } }`, 'maxCost', 'GRAPHQL_VALIDATION_FAILED'],
      ['tokens', `{ root { ${'name '.repeat(300)} } }`, 'maxTokens', 'GRAPHQL_PARSE_FAILED'],
    ];
    for (const [what, query, limit, code] of cases) {
      const res = await post(query);
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
      const mine = res.body.errors?.find((e) => e.extensions['limit'] === limit);
      expect({ what, extensions: mine?.extensions }).toEqual({
        what,
        extensions: expect.objectContaining({ code, limit, max: limits[limit], setting: expect.stringMatching(/^GRAPHQL_MAX_/) }),
      });
      expect(mine!.message).toContain(`limit of ${limits[limit]}`);
      expect(res.body.data).toBeUndefined();
    }
  } finally {
    await lifecycle.shutdown('test');
  }
});

test('production mode: no introspection and no field suggestions', async () => {
  const dev = await start(false);
  const prod = await start(true);
  try {
    const typo = '{ root { nam } }';
    expect((await dev.post(typo)).body.errors?.[0]?.message).toContain('Did you mean');
    const hidden = await prod.post(typo);
    expect(hidden.body.errors?.[0]?.extensions['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(hidden.body.errors?.[0]?.message).not.toContain('Did you mean');
    expect((await dev.post('{ __schema { types { name } } }')).body.errors).toBeUndefined();
    const introspection = await prod.post('{ __schema { types { name } } }');
    expect(introspection.body.errors?.[0]?.extensions['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
  } finally {
    await dev.lifecycle.shutdown('test');
    await prod.lifecycle.shutdown('test');
  }
});

test('the limits and introspection come from GRAPHQL_* settings; a bad one is named', () => {
  const schema = commonEnv.extend(graphqlLimitsEnv.shape);
  const defaults = parseConfig(schema, {});
  expect(limitsFromConfig(defaults)).toEqual(defaultGraphQLLimits);
  expect(introspectionEnabled(defaults)).toBe(true);
  expect(introspectionEnabled(parseConfig(schema, { NODE_ENV: 'production' }))).toBe(false);
  expect(introspectionEnabled(parseConfig(schema, { NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }))).toBe(true);
  expect(introspectionEnabled(parseConfig(schema, { GRAPHQL_INTROSPECTION: '0' }))).toBe(false);
  expect(limitsFromConfig(parseConfig(schema, { GRAPHQL_MAX_DEPTH: '4', GRAPHQL_MAX_COST: '100' }))).toMatchObject({ maxDepth: 4, maxCost: 100 });
  expect(() => parseConfig(schema, { GRAPHQL_MAX_DEPTH: '0', GRAPHQL_MAX_TOKENS: 'many' })).toThrow(/GRAPHQL_MAX_DEPTH="0"[\s\S]*GRAPHQL_MAX_TOKENS="many"/);
});

describe('cost of lists sized by variables or schema defaults', () => {
  const sdl = `type Query { root: Node! } type Node { name: String! children(first: Int): [Node!]! page(first: Int! = 50): [Node!]! }`;
  const schema = buildSchema(sdl);
  const costOf = (query: string, variables?: Record<string, unknown>) => {
    const document = parse(query);
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    return operationCost(schema, document.definitions, operation, variables);
  };
  const nestedLists = (arg: string) => `{ root { children(${arg}) { children(${arg}) { children(${arg}) { name } } } } }`;

  const armorCostOf = (query: string) => {
    let n = NaN;
    validate(schema, parse(query), [costLimitRule({ maxCost: Infinity, onAccept: [(_ctx, { n: found }) => (n = found)] }) as unknown as ValidationRule]);
    return n;
  };

  test('a variable counts with its value, its default, or the schema default; literals as Armor counts them', () => {
    const literal = costOf(nestedLists('first: 100'));
    expect(literal).toBeGreaterThan(1_000_000);
    expect(literal).toBe(armorCostOf(nestedLists('first: 100')));
    const fragments = '{ root { ...A children(first: 3) { ... on Node { ...A } } } } fragment A on Node { name page(first: 2) { name } }';
    expect(costOf(fragments)).toBe(armorCostOf(fragments));
    const withVariable = nestedLists('first: $n').replace('{', 'query Q($n: Int) {');
    expect(armorCostOf(withVariable)).toBeLessThan(100); // what Armor alone let through
    expect(costOf(withVariable, { n: 100 })).toBe(literal);
    expect(costOf(withVariable.replace('$n: Int', '$n: Int = 100'))).toBe(literal);
    expect(costOf(withVariable.replace('$n: Int', '$n: Int = 100'), { n: 1 })).toBeLessThan(100);
    // Left out, `page` gets its schema default (50), also when its variable is left out.
    const defaults = costOf('{ root { page { page { name } } } }');
    expect(defaults).toBe(costOf('{ root { page(first: 50) { page(first: 50) { name } } } }'));
    expect(costOf('query Q($n: Int!) { root { page(first: $n) { page(first: $n) { name } } } }')).toBe(defaults);
    expect(costOf('{ root { children { name } } }')).toBe(costOf('{ root { children(first: 1) { name } } }'));
  });

  test('a gateway-like server refuses a costly list sized by variables, and still runs a cheap one', async () => {
    const lifecycle = new Lifecycle(logger);
    const metrics = createMetrics('test_cost');
    type Node = { name: string; children: Node[]; page: Node[] };
    const node = (): Node => ({ name: 'n', get children() { return [node()]; }, get page() { return [node()]; } });
    const server = new ApolloServer({
      schema,
      rootValue: { root: node() },
      validationRules: limitRules(limits),
      plugins: [costLimitPlugin(limits)],
      formatError: createErrorFormatter(logger),
    });
    const http = await startHttpServer({ logger, metrics, lifecycle, host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20, authenticate: async () => anonymousIdentity, graphql: { server, context: async () => ({}) } });
    const post = async (query: string, variables?: Record<string, unknown>) => {
      const res = await fetch(`${http.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      return { status: res.status, body: (await res.json()) as Body };
    };
    try {
      const query = 'query Q($n: Int) { root { children(first: $n) { children(first: $n) { name } } } }';
      expect(await post(query, { n: 1 })).toEqual({ status: 200, body: { data: { root: { children: [{ children: [{ name: 'n' }] }] } } } });
      for (const [what, res] of [
        ['variable', await post(query, { n: 1000 })],
        ['schema default', await post('{ root { page { page { name } } } }')],
      ] as const) {
        expect({ what, status: res.status }).toEqual({ what, status: 400 });
        expect(res.body.data).toBeUndefined();
        expect(res.body.errors?.[0]?.extensions).toEqual({
          code: 'GRAPHQL_VALIDATION_FAILED',
          limit: 'maxCost',
          setting: 'GRAPHQL_MAX_COST',
          max: limits.maxCost,
          found: expect.any(Number),
        });
        expect(res.body.errors?.[0]?.message).toContain(`limit of ${limits.maxCost}`);
      }
    } finally {
      await lifecycle.shutdown('test');
    }
  });
});
