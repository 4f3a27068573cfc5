// The shared HTTP surface on a real socket: body limits, no batching, readiness and metrics.
import pino from 'pino';
import { createMetrics, createSubgraphServer, Lifecycle, NotFoundError, startHttpServer, anonymousIdentity } from '../src';

const logger = pino({ level: 'silent' });

async function start() {
  const lifecycle = new Lifecycle(logger);
  const metrics = createMetrics('test');
  const server = createSubgraphServer({
    typeDefs: `type Query { hello(name: String!): String! }`,
    resolvers: {
      Query: {
        hello: (_: unknown, { name }: { name: string }) => {
          if (name === 'nobody') throw new NotFoundError('Person', name);
          if (name === 'crash') throw new Error('secret internals');
          return `hello ${name}`;
        },
      },
    },
    logger,
    metrics,
    production: true,
  });
  const http = await startHttpServer({ logger, metrics, lifecycle, host: '127.0.0.1', port: 0, maxBodyBytes: 1024, authenticate: async () => anonymousIdentity, graphql: { server, context: async () => ({}) } });
  return { lifecycle, url: http.url };
}

const post = (url: string, body: unknown) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('GraphQL errors carry typed codes and never internals', async () => {
  const { lifecycle, url } = await start();
  try {
    const ok = await (await post(url, { query: '{ hello(name: "ada") }' })).json();
    expect(ok).toEqual({ data: { hello: 'hello ada' } });
    const missing = (await (await post(url, { query: '{ hello(name: "nobody") }' })).json()) as { errors: Array<{ extensions: object }> };
    expect(missing.errors[0]!.extensions).toEqual({ code: 'NOT_FOUND', kind: 'Person', ref: 'nobody' });
    const crash = await (await post(url, { query: '{ hello(name: "crash") }' })).text();
    expect(crash).toContain('INTERNAL_SERVER_ERROR');
    expect(crash).not.toContain('secret internals');
    const introspection = (await (await post(url, { query: '{ __schema { types { name } } }' })).json()) as { errors: unknown[] };
    expect(introspection.errors).toHaveLength(1);
  } finally {
    await lifecycle.shutdown('test');
  }
});

test('oversized bodies get 413 and batches are refused', async () => {
  const { lifecycle, url } = await start();
  try {
    const big = await post(url, { query: `{ hello(name: "${'x'.repeat(2000)}") }` });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { errors: Array<{ extensions: object }> }).errors[0]!.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', limitBytes: 1024 });
    const batch = await post(url, [{ query: '{ hello(name: "a") }' }, { query: '{ hello(name: "b") }' }]);
    expect(batch.status).toBe(400);
    const csrf = await fetch(`${url}/graphql?query=${encodeURIComponent('{ hello(name: "a") }')}`);
    expect(csrf.status).toBe(400);
  } finally {
    await lifecycle.shutdown('test');
  }
});

test('GET requests get the same guard as POST bodies: NUL and lone surrogates in the query or variables are BAD_USER_INPUT', async () => {
  const { lifecycle, url } = await start();
  const get = (query: string, variables?: string) =>
    fetch(`${url}/graphql?query=${encodeURIComponent(query)}${variables === undefined ? '' : `&variables=${encodeURIComponent(variables)}`}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
  const refused = async (res: Response) => ({ status: res.status, extensions: ((await res.json()) as { errors: Array<{ extensions: object }> }).errors[0]!.extensions });
  try {
    const named = 'query($n: String!) { hello(name: $n) }';
    expect(await (await get(named, '{"n":"ada"}')).json()).toEqual({ data: { hello: 'hello ada' } });
    expect(await refused(await get(named, '{"n":"a\\u0000b"}'))).toEqual({ status: 400, extensions: { code: 'BAD_USER_INPUT', field: 'n' } });
    expect(await refused(await get(named, '{"n":"a\\ud800b"}'))).toEqual({ status: 400, extensions: { code: 'BAD_USER_INPUT', field: 'n' } });
    expect(await refused(await get('{ hello(name: "a\\u0000b") }'))).toEqual({ status: 400, extensions: { code: 'BAD_USER_INPUT', field: 'query' } });
    expect(await refused(await get('{ hello(name: "a\u0000b") }'))).toEqual({ status: 400, extensions: { code: 'BAD_USER_INPUT', field: 'query' } });
    // Variables that are not JSON are Apollo's to refuse, as before.
    expect((await get(named, '{not json')).status).toBe(400);
  } finally {
    await lifecycle.shutdown('test');
  }
});

test('readiness reports failing checks with 503, and metrics count requests by route', async () => {
  const { lifecycle, url } = await start();
  try {
    lifecycle.addReadinessCheck('kafka', () => 'unreachable after 2 attempt(s): ECONNREFUSED');
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, checks: { kafka: 'unreachable after 2 attempt(s): ECONNREFUSED' } });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/http_server_request_duration_seconds_count\{service="test",method="GET",route="\/readyz",status_code="503"\} 1/);
  } finally {
    await lifecycle.shutdown('test');
  }
});

test('idle keep-alive connections outlive the clients’ idle timeouts (65 s by default), so the client closes first', async () => {
  const { lifecycle, url } = await start();
  try {
    const res = await fetch(`${url}/healthz`);
    await res.text();
    expect(res.headers.get('keep-alive')).toBe('timeout=65');
  } finally {
    await lifecycle.shutdown('test');
  }
});
