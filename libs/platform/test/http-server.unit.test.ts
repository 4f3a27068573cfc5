// The shared HTTP surface on a real socket: body limits, no batching, readiness and metrics.
import { Agent, request as httpRequest } from 'node:http';
import pino from 'pino';
import { createMetrics, createSubgraphServer, Lifecycle, NotFoundError, startHttpServer, anonymousIdentity, type RawRoute } from '../src';

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

/** A server of raw routes only, stopped by `lifecycle`. */
const startRoutes = (lifecycle: Lifecycle, metricsPrefix: string, routes: Record<string, RawRoute>) =>
  startHttpServer({ logger, metrics: createMetrics(metricsPrefix), lifecycle, host: '127.0.0.1', port: 0, maxBodyBytes: 1024, authenticate: async () => anonymousIdentity, routes });

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

test('requests in flight run on through the shutdown for the grace less 5 s (a generation may take minutes), then are cut', async () => {
  // Grace 11.5 s: 6.5 s to drain. A 6 s answer finishes (a fixed 5 s cut it before), a 9 s one is cut.
  const lifecycle = new Lifecycle(logger, 11_500);
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const http = await startRoutes(lifecycle, 'test_drain_budget', {
    '/wait': async (req, res) => {
      const ms = Number(new URL(req.url!, 'http://x').searchParams.get('ms'));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started;');
      await Promise.race([wait(ms), new Promise((r) => res.once('close', r))]);
      if (!res.destroyed) res.end('done');
    },
  });
  const get = (ms: number) =>
    new Promise<string>((resolve) => {
      const req = httpRequest(`${http.url}/wait?ms=${ms}`, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
        res.on('error', () => resolve(`${body}cut`));
        res.on('aborted', () => resolve(`${body}cut`));
      });
      req.on('error', () => resolve('cut'));
      req.end();
    });
  try {
    const six = get(6_000);
    const nine = get(9_000);
    await wait(100);
    const started = Date.now();
    await lifecycle.shutdown('test');
    expect(await six).toBe('started;done');
    expect(await nine).toBe('started;cut');
    expect(Date.now() - started).toBeGreaterThan(6_000);
    expect(Date.now() - started).toBeLessThan(8_500);
  } finally {
    http.server.closeAllConnections();
  }
}, 20_000);

test('shutdown with keep-alive clients busy: answers say Connection: close, connections close once answered, close() resolves', async () => {
  const lifecycle = new Lifecycle(logger, 60_000);
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const http = await startRoutes(lifecycle, 'test_drain', {
    // Answers after a while (headers not sent yet when the shutdown starts).
    '/slow': async (_req, res) => {
      await wait(300);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('slow');
    },
    // Streams: headers are out before the shutdown starts.
    '/stream': async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a');
      await wait(300);
      res.end('b');
    },
  });
  const get = (agent: Agent, path: string) =>
    new Promise<{ status: number; connection: string | undefined; body: string; socketClosed: Promise<void> }>((resolve, reject) => {
      const req = httpRequest(`${http.url}${path}`, { agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        const socketClosed = new Promise<void>((r) => (res.socket.destroyed ? r() : res.socket.once('close', () => r())));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body, socketClosed }));
      });
      req.on('error', reject);
      req.end();
    });
  const agents = [new Agent({ keepAlive: true }), new Agent({ keepAlive: true })];
  try {
    // Both connections were used once already (kept alive), then are busy when the shutdown starts.
    for (const agent of agents) expect((await get(agent, '/healthz')).status).toBe(200);
    const slow = get(agents[0]!, '/slow');
    const stream = get(agents[1]!, '/stream');
    await wait(50);
    const stopped = lifecycle.shutdown('test').then(() => 'stopped');
    const answers = await Promise.all([slow, stream]);
    expect(answers.map(({ status, body }) => ({ status, body }))).toEqual([{ status: 200, body: 'slow' }, { status: 200, body: 'ab' }]);
    expect(answers[0]!.connection).toBe('close');
    const closed = await Promise.race([Promise.all(answers.map((a) => a.socketClosed)).then(() => 'closed'), wait(2_000).then(() => 'still open')]);
    expect(closed).toBe('closed');
    expect(await Promise.race([stopped, wait(2_000).then(() => 'still stopping')])).toBe('stopped');
  } finally {
    http.server.closeAllConnections();
    for (const agent of agents) agent.destroy();
    await lifecycle.shutdown('test');
  }
});
