// The prompts CLI's client against a GraphQL server with the registry's `prompts` field: an
// export lists every prompt, archived ones too, page after page.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql } from 'graphql';
import { RegistryClient } from '../src/cli/registry-client';

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

test('listNames lists archived prompts too, across pages', async () => {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', async () => {
      const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, unknown> };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(await graphql({ schema, source: query, variableValues: variables, rootValue })));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const client = new RegistryClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
    expect(await client.listNames()).toEqual(prompts.map((p) => p.name));
  } finally {
    server.close();
  }
});
