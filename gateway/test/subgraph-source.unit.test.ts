// The gateway's data source over real sockets: an unreachable subgraph or a 503 in front of it
// becomes a typed UNAVAILABLE error naming the subgraph; other HTTP failures stay what they are.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { anonymousIdentity, type Identity } from '@llmops/platform';
import type { GatewayContext } from '../src/context';
import { SubgraphSource } from '../src/subgraph-source';

async function listen(status: number): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end('nope');
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
    await expect(ask(new SubgraphSource('encoder', broken.url, noSignature))).rejects.toThrow(/500/);
  } finally {
    unavailable.server.close();
    broken.server.close();
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
