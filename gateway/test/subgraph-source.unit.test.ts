// The gateway's data source over real sockets: an unreachable subgraph or a 503 in front of it
// becomes a typed UNAVAILABLE error naming the subgraph; a typed 4xx passes on its own errors, and
// no other HTTP failure shows the client the subgraph's URL or body.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { anonymousIdentity, type Identity } from '@llmops/platform';
import type { GatewayContext } from '../src/context';
import { SubgraphSource } from '../src/subgraph-source';

async function listen(status: number, json?: unknown): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': json === undefined ? 'text/plain' : 'application/json' });
    res.end(json === undefined ? 'nope' : JSON.stringify(json));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

const ask = (source: SubgraphSource, identity?: Identity) =>
  source.process({ kind: 'health check', request: { query: '{ __typename }', http: { method: 'POST', url: '', headers: new Headers() } }, context: { identity } } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
const noSignature = () => ({});

test('a refused connection answers UNAVAILABLE naming the subgraph', async () => {
  const { server, url } = await listen(200);
  await new Promise((r) => server.close(r)); // nothing listens there any more
  const res = await ask(new SubgraphSource('retrieval', url, noSignature));
  expect(res.errors).toEqual([
    expect.objectContaining({
      message: 'subgraph retrieval is unavailable: ECONNREFUSED',
      extensions: { code: 'UNAVAILABLE', dependency: 'retrieval', subgraph: 'retrieval' },
    }),
  ]);
});

test('a 503 is UNAVAILABLE; a 500 is not turned into one', async () => {
  const unavailable = await listen(503);
  const broken = await listen(500);
  try {
    expect((await ask(new SubgraphSource('encoder', unavailable.url, noSignature))).errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', subgraph: 'encoder' });
    expect((await ask(new SubgraphSource('encoder', broken.url, noSignature))).errors).toEqual([
      { message: 'subgraph encoder answered HTTP 500', extensions: { code: 'INTERNAL_SERVER_ERROR', subgraph: 'encoder', status: 500 } },
    ]);
  } finally {
    unavailable.server.close();
    broken.server.close();
  }
});

test("a subgraph's typed 4xx errors reach the client with their codes (401/403 aside); its URL and body never do", async () => {
  const unauthenticated = await listen(401, { errors: [{ message: 'the identity header has expired', extensions: { code: 'UNAUTHENTICATED' } }] });
  const tooDeep = await listen(400, {
    errors: [{ message: 'Syntax Error: Query depth limit of 13 exceeded', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxDepth', max: 13, stacktrace: ['at x'] } }],
  });
  const forbidden = await listen(403); // not a GraphQL body
  const servers = [unauthenticated, tooDeep, forbidden];
  try {
    const [a, b, c] = await Promise.all(servers.map((s) => ask(new SubgraphSource('retrieval', s.url, noSignature))));
    // The subgraph refusing the gateway's own identity is the gateway's fault, not the client's.
    expect(a!.errors).toEqual([
      { message: "subgraph retrieval refused the gateway's signed identity (HTTP 401)", extensions: { code: 'INTERNAL_SERVER_ERROR', subgraph: 'retrieval', status: 401 } },
    ]);
    expect(b!.errors).toEqual([{ message: 'Syntax Error: Query depth limit of 13 exceeded', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxDepth', max: 13 } }]);
    expect(c!.errors).toEqual([
      { message: "subgraph retrieval refused the gateway's signed identity (HTTP 403)", extensions: { code: 'INTERNAL_SERVER_ERROR', subgraph: 'retrieval', status: 403 } },
    ]);
    for (const [i, res] of [a, b, c].entries()) {
      expect(JSON.stringify(res)).not.toContain('"response"');
      expect(JSON.stringify(res)).not.toContain(servers[i]!.url);
    }
  } finally {
    servers.forEach((s) => s.server.close());
  }
});

test("each subgraph request carries the signed identity of the request's caller", async () => {
  const seen: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    seen.push(req.headers['x-llmops-identity'] as string | undefined);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: { __typename: 'Query' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  try {
    const source = new SubgraphSource('encoder', url, (ctx) => ({ 'x-llmops-identity': `signed:${ctx.identity.projectId}:${ctx.identity.role}` }));
    await ask(source, { ...anonymousIdentity, projectId: 'acme', role: 'reader' });
    await ask(source);
    expect(seen).toEqual(['signed:acme:reader', undefined]);
  } finally {
    server.close();
  }
});

test('a read whose connection is reset is sent once more; a mutation is not', async () => {
  const seen: string[] = [];
  let resets = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push((JSON.parse(body) as { query: string }).query);
      if (resets++ % 2 === 0) return void req.socket.destroy(); // every other request dies unanswered
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { __typename: 'Query' } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const send = (query: string) =>
    new SubgraphSource('feedback', url, noSignature).process({
      kind: 'health check',
      request: { query, http: { method: 'POST', url: '', headers: new Headers() } },
      context: {},
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
  try {
    expect((await send('{ __typename }')).data).toEqual({ __typename: 'Query' });
    expect(seen).toEqual(['{ __typename }', '{ __typename }']);
    const write = await send('mutation { __typename }');
    expect(write.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', subgraph: 'feedback' });
    expect(seen).toHaveLength(3); // the mutation went out once
  } finally {
    server.close();
  }
});

test('a subgraph that does not answer within the timeout is UNAVAILABLE with reason TIMEOUT', async () => {
  const server = createServer(() => {}); // accepts, never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  try {
    const started = Date.now();
    const res = await ask(new SubgraphSource('generation', url, noSignature, 200));
    expect(res.errors?.[0]).toMatchObject({ message: 'subgraph generation is unavailable: TIMEOUT', extensions: { code: 'UNAVAILABLE', subgraph: 'generation' } });
    expect(Date.now() - started).toBeLessThan(5_000);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('pooled connections are closed by the gateway once idle, before the subgraph would close them; slow answers are not cut', async () => {
  const closedBy: string[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    // The second request answers after more than the idle time: it must still arrive.
    const delay = connections === 2 ? 800 : 0;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { __typename: 'Query' } }));
    }, delay);
  });
  server.keepAliveTimeout = 10_000; // the subgraph's own, far later
  server.on('connection', (socket) => {
    connections++;
    socket.on('end', () => closedBy.push('gateway'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  try {
    const source = new SubgraphSource('feedback', url, noSignature, 5_000, 300);
    expect((await ask(source)).errors).toBeUndefined();
    await new Promise((r) => setTimeout(r, 700));
    expect(closedBy).toEqual(['gateway']);
    expect((await ask(source)).errors).toBeUndefined(); // on a new connection, answered after 800 ms
    expect(connections).toBe(2);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
