// Writes gateway/supergraph.graphql (committed). `npm run generate:supergraph`.
import { writeFileSync } from 'node:fs';
import { composeSupergraph } from '../src/compose';
import { supergraphFile } from '../src/subgraphs';

writeFileSync(supergraphFile, composeSupergraph());
process.stdout.write(`wrote ${supergraphFile}\n`);
