// The five subgraphs: their names in the supergraph and where their schema files live.
import { join } from 'node:path';

export const subgraphs = [
  { name: 'prompt-registry', defaultUrl: 'http://127.0.0.1:4001/graphql' },
  { name: 'generation', defaultUrl: 'http://127.0.0.1:4002/graphql' },
  { name: 'encoder', defaultUrl: 'http://127.0.0.1:4003/graphql' },
  { name: 'retrieval', defaultUrl: 'http://127.0.0.1:4004/graphql' },
  { name: 'feedback', defaultUrl: 'http://127.0.0.1:4005/graphql' },
] as const;

export type SubgraphName = (typeof subgraphs)[number]['name'];

export const repoRoot = join(__dirname, '..', '..');
export const schemaFileOf = (name: SubgraphName) => join(repoRoot, 'services', name, 'schema.graphql');
export const supergraphFile = join(repoRoot, 'gateway', 'supergraph.graphql');
