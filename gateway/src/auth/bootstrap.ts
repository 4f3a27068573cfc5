// What a deployment starts with: the default project (where anonymous development requests land)
// and, when AUTH_BOOTSTRAP_API_KEY is set, that key as an admin of AUTH_BOOTSTRAP_PROJECT.
import { defaultProjectId } from '@llmops/platform';
import { hashSecret, parseApiKey } from './api-key';
import type { PgIdentityStore } from './identity-store.pg';

export async function bootstrapIdentity(store: PgIdentityStore, opts: { apiKey?: string; project: string }): Promise<void> {
  await store.ensureProject(defaultProjectId, 'Default project');
  if (!opts.apiKey) return;
  const parsed = parseApiKey(opts.apiKey);
  if (!parsed) throw new Error('AUTH_BOOTSTRAP_API_KEY: not an API key');
  await store.ensureProject(opts.project, opts.project);
  await store.importApiKey(parsed.id, opts.project, 'admin', 'bootstrap (AUTH_BOOTSTRAP_API_KEY)', hashSecret(parsed.secret));
}
