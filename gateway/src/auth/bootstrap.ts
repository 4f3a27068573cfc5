// What a deployment starts with: the default project (where anonymous development requests land)
// and, when AUTH_BOOTSTRAP_API_KEY is set, that key as an admin of AUTH_BOOTSTRAP_PROJECT.
// Starting again never undoes what was done to the key since: a revoked bootstrap key stays
// revoked (a warning says so), and a key of another project is a configuration error.
import { ConfigError, defaultProjectId } from '@llmops/platform';
import { hashSecret, parseApiKey } from './api-key';
import type { PgIdentityStore } from './identity-store.pg';

export async function bootstrapIdentity(
  store: Pick<PgIdentityStore, 'ensureProject' | 'importApiKey'>,
  opts: { apiKey?: string; project: string; logger: { warn(obj: object, msg: string): void } },
): Promise<void> {
  await store.ensureProject(defaultProjectId, 'Default project');
  if (!opts.apiKey) return;
  const parsed = parseApiKey(opts.apiKey);
  if (!parsed) throw new ConfigError(['AUTH_BOOTSTRAP_API_KEY: not an API key']);
  await store.ensureProject(opts.project, opts.project);
  const result = await store.importApiKey(parsed.id, opts.project, 'admin', 'bootstrap (AUTH_BOOTSTRAP_API_KEY)', hashSecret(parsed.secret));
  switch (result.outcome) {
    case 'imported':
      return;
    case 'revoked':
      opts.logger.warn(
        { keyId: parsed.id, project: opts.project, revokedAt: result.revokedAt.toISOString() },
        'AUTH_BOOTSTRAP_API_KEY has been revoked and stays revoked; configure a new key or remove the setting',
      );
      return;
    case 'other-project':
      throw new ConfigError([
        `AUTH_BOOTSTRAP_API_KEY: the key ${parsed.id} belongs to project ${result.projectId}, not to AUTH_BOOTSTRAP_PROJECT ${opts.project}; set AUTH_BOOTSTRAP_PROJECT=${result.projectId} or configure a new key`,
      ]);
  }
}
