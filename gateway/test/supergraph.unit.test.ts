// The committed supergraph must be exactly what the subgraphs' schema files compose to.
import { readFileSync } from 'node:fs';
import { composeSupergraph } from '../src/compose';
import { supergraphFile } from '../src/subgraphs';

test('the five subgraphs compose without errors, into the committed gateway/supergraph.graphql', () => {
  const composed = composeSupergraph();
  expect(composed).toContain('PROMPT_REGISTRY');
  for (const graph of ['GENERATION', 'ENCODER', 'RETRIEVAL', 'FEEDBACK']) expect(composed).toContain(`${graph} @join__graph`);
  // Run `npm run generate:supergraph` after changing a schema.graphql.
  expect(readFileSync(supergraphFile, 'utf8')).toBe(composed);
});
