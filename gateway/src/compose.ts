// Build-time composition of the supergraph from the subgraphs' schema files.
import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { schemaFileOf, subgraphs } from './subgraphs';

export function composeSupergraph(): string {
  const result = composeServices(
    subgraphs.map((s) => ({ name: s.name, url: s.defaultUrl, typeDefs: parse(readFileSync(schemaFileOf(s.name), 'utf8')) })),
  );
  if (result.errors) {
    throw new Error(`supergraph composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}
