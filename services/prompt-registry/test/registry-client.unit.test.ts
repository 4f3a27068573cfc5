// The prompts CLI's client against a GraphQL server with the registry's `prompts` field: an
// export lists every prompt, archived ones too, page after page; and against the registry's own
// subgraph: it reads every version of a prompt, page after page, within the gateway's cost limit.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql } from 'graphql';
import { RegistryClient, versionPageSize } from '../src/cli/registry-client';
import { textVersion } from './memory-store';
import { startSubgraph } from './subgraph';

const schema = buildSchema(`
  type Query { prompts(first: Int! = 20, after: String, tag: String, nameContains: String, includeArchived: Boolean! = false): PromptConnection! }
  type PromptConnection { edges: [PromptEdge!]! pageInfo: PageInfo! }
  type PromptEdge { cursor: String! node: Prompt! }
  type Prompt { name: String! archived: Boolean! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
`);

const prompts = Array.from({ length: 150 }, (_, i) => ({ name: `p${String(i).padStart(3, '0')}`, archived: i % 3 === 0 }));

const rootValue = {
  prompts: ({ first, after, includeArchived }: { first: number; after?: string | null; includeArchived: boolean }) => {
    const visible = prompts.filter((p) => includeArchived || !p.archived).filter((p) => !after || p.name > after);
    const page = visible.slice(0, first);
    return { edges: page.map((node) => ({ cursor: node.name, node })), pageInfo: { hasNextPage: visible.length > first, endCursor: page.at(-1)?.name ?? null } };
  },
};

/** A client of a GraphQL endpoint over HTTP whose answers `execute` gives. */
async function withServer(execute: (query: string, variables: Record<string, unknown>) => Promise<unknown>, use: (client: RegistryClient) => Promise<void>) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', async () => {
      const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, unknown> };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(await execute(query, variables)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await use(new RegistryClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`));
  } finally {
    server.close();
  }
}

test('listNames lists archived prompts too, across pages', async () => {
  await withServer(
    (source, variableValues) => graphql({ schema, source, variableValues, rootValue }),
    async (client) => expect(await client.listNames()).toEqual(prompts.map((p) => p.name)),
  );
});

test('read gets every version, page after page, each page within the cost limit', async () => {
  const subgraph = await startSubgraph();
  const count = 2 * versionPageSize + 5;
  let requests = 0;
  try {
    await subgraph.service.createPrompt({ name: 'long', description: null, tags: [] });
    for (let i = 1; i <= count; i++) await subgraph.service.createVersion(textVersion('long', `v${i}`, { commitMessage: `c${i}` }));
    await subgraph.service.setAlias('long', 'production', 7, null);
    await withServer(
      (query, variables) => {
        requests++;
        return subgraph.run(query, variables);
      },
      async (client) => {
        const file = await client.read('long');
        expect(file?.versions.map((v) => v.number)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
        expect(file?.versions.at(-1)).toMatchObject({ template: `v${count}`, commitMessage: `c${count}` });
        expect(file?.aliases).toEqual({ production: 7 });
        expect(await client.read('missing')).toBeNull();
      },
    );
    expect(requests).toBe(3 + 1); // pages of 40, 40 and 5 versions; the missing prompt
  } finally {
    await subgraph.stop();
  }
});
