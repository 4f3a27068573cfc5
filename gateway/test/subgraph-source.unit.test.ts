// The gateway's data source over real sockets: an unreachable subgraph or a 503 in front of it
// becomes a typed UNAVAILABLE error naming the subgraph; other HTTP failures stay what they are.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { SubgraphSource } from '../src/subgraph-source';

async function listen(status: number): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end('nope');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

const ask = (source: SubgraphSource) =>
  source.process({ kind: 'health check', request: { query: '{ __typename }' }, context: {} } as unknown as GraphQLDataSourceProcessOptions);

test('a refused connection answers UNAVAILABLE naming the subgraph', async () => {
  const { server, url } = await listen(200);
  await new Promise((r) => server.close(r)); // nothing listens there any more
  const res = await ask(new SubgraphSource('retrieval', url));
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
    expect((await ask(new SubgraphSource('encoder', unavailable.url))).errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', subgraph: 'encoder' });
    await expect(ask(new SubgraphSource('encoder', broken.url))).rejects.toThrow(/500/);
  } finally {
    unavailable.server.close();
    broken.server.close();
  }
});
