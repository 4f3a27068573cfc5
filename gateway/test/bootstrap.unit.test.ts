// The bootstrap admin key on every start: created once, refreshed while active, and never
// un-revoked or moved to another project by a restart (a fake store with PostgreSQL's rules).
import { ConfigError } from '@llmops/platform';
import { hashSecret, issueApiKey } from '../src/auth/api-key';
import { bootstrapIdentity } from '../src/auth/bootstrap';
import type { ApiKeyRecord, ImportedApiKey } from '../src/auth/identity-store.pg';

function fakeStore() {
  const projects = new Set<string>();
  const keys = new Map<string, ApiKeyRecord>();
  return {
    projects,
    keys,
    ensureProject: async (id: string) => void projects.add(id),
    // INSERT … ON CONFLICT DO UPDATE … WHERE same project AND not revoked, as identity-store.pg.ts.
    importApiKey: async (id: string, projectId: string, role: ApiKeyRecord['role'], name: string, secretHash: Buffer): Promise<ImportedApiKey> => {
      const existing = keys.get(id);
      if (!existing) {
        keys.set(id, { id, projectId, name, role, secretHash, createdAt: new Date(), revokedAt: null });
        return { outcome: 'imported' };
      }
      if (existing.projectId !== projectId) return { outcome: 'other-project', projectId: existing.projectId };
      if (existing.revokedAt) return { outcome: 'revoked', revokedAt: existing.revokedAt };
      keys.set(id, { ...existing, role, secretHash });
      return { outcome: 'imported' };
    },
  };
}

const silent = () => ({ warnings: [] as Array<[object, string]>, warn(obj: object, msg: string) { this.warnings.push([obj, msg]); } });

test('the bootstrap key becomes an admin of its project; starting again keeps it active', async () => {
  const store = fakeStore();
  const { key, id } = issueApiKey();
  const logger = silent();
  await bootstrapIdentity(store, { apiKey: key, project: 'acme', logger });
  await bootstrapIdentity(store, { apiKey: key, project: 'acme', logger });
  expect([...store.projects].sort()).toEqual(['acme', 'default']);
  expect(store.keys.get(id)).toMatchObject({ projectId: 'acme', role: 'admin', revokedAt: null });
  expect(logger.warnings).toEqual([]);
});

test('a revoked bootstrap key stays revoked when the gateway starts again, with a warning', async () => {
  const store = fakeStore();
  const { key, id, secretHash } = issueApiKey();
  const revokedAt = new Date('2026-01-02T03:04:05Z');
  store.keys.set(id, { id, projectId: 'acme', name: 'bootstrap', role: 'admin', secretHash, createdAt: new Date(), revokedAt });
  const logger = silent();
  await bootstrapIdentity(store, { apiKey: key, project: 'acme', logger });
  expect(store.keys.get(id)?.revokedAt).toBe(revokedAt);
  expect(logger.warnings).toEqual([[{ keyId: id, project: 'acme', revokedAt: revokedAt.toISOString() }, expect.stringMatching(/revoked and stays revoked/)]]);
});

test("a bootstrap key of another project is a configuration error; the key is left as it is", async () => {
  const store = fakeStore();
  const { key, id } = issueApiKey();
  const before: ApiKeyRecord = { id, projectId: 'other', name: 'ci', role: 'reader', secretHash: hashSecret('x'), createdAt: new Date(), revokedAt: null };
  store.keys.set(id, before);
  const attempt = bootstrapIdentity(store, { apiKey: key, project: 'acme', logger: silent() });
  await expect(attempt).rejects.toBeInstanceOf(ConfigError);
  await expect(attempt).rejects.toThrow(/belongs to project other, not to AUTH_BOOTSTRAP_PROJECT acme/);
  expect(store.keys.get(id)).toBe(before);
});
