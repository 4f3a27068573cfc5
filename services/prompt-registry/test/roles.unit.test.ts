// Each subgraph declares a role for every root field of its schema (serving refuses to start otherwise).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorizeResolvers, type FieldRoles } from '@llmops/platform';

const services = ['prompt-registry', 'generation', 'encoder', 'retrieval', 'feedback'];

test.each(services)('%s: every Query and Mutation field has a role', async (service) => {
  const root = join(__dirname, '..', '..', service);
  const { roles } = (await import(join(root, 'src', 'graphql', 'roles'))) as { roles: FieldRoles };
  expect(() => authorizeResolvers(readFileSync(join(root, 'schema.graphql'), 'utf8'), {}, roles)).not.toThrow();
  // Writes never fall to readers.
  for (const role of Object.values(roles.Mutation ?? {})) expect(role).not.toBe('reader');
});
