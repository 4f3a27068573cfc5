import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reads a program's `schema.graphql`, which sits at its package root beside `src/` and `dist/`. */
export function readSchemaFile(dirOfCaller: string): string {
  return readFileSync(join(dirOfCaller, '..', 'schema.graphql'), 'utf8');
}
