// Projects and API keys in PostgreSQL (schema `identity`).
import { ConflictError, InputError, NotFoundError, projectIdPattern, type Pool, type Role } from '@llmops/platform';
import { issueApiKey } from './api-key';

export interface Project {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  projectId: string;
  name: string;
  role: Role;
  secretHash: Buffer;
  createdAt: Date;
  revokedAt: Date | null;
}

interface KeyRow {
  id: string;
  project_id: string;
  name: string;
  role: Role;
  secret_hash: Buffer;
  created_at: Date;
  revoked_at: Date | null;
}

/** What importApiKey did: stored (or refreshed) the key, or left alone a revoked one or one of another project. */
export type ImportedApiKey = { outcome: 'imported' } | { outcome: 'revoked'; revokedAt: Date } | { outcome: 'other-project'; projectId: string };

const toKey = (r: KeyRow): ApiKeyRecord => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  role: r.role,
  secretHash: r.secret_hash,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export class PgIdentityStore {
  constructor(private readonly pool: Pool) {}

  async createProject(id: string, name: string): Promise<Project> {
    if (!projectIdPattern.test(id)) throw new InputError(`project id ${JSON.stringify(id)}: lower-case letters, digits and '-', at most 63`, 'id');
    const { rows } = await this.pool.query<{ id: string; name: string; created_at: Date }>(
      'INSERT INTO identity.projects (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id, name, created_at',
      [id, name],
    );
    if (!rows[0]) throw new ConflictError(`project ${id} already exists`, { id });
    return { id: rows[0].id, name: rows[0].name, createdAt: rows[0].created_at };
  }

  async ensureProject(id: string, name: string): Promise<void> {
    await this.pool.query('INSERT INTO identity.projects (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [id, name]);
  }

  async projectExists(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM identity.projects WHERE id = $1', [id]);
    return rowCount === 1;
  }

  async listProjects(): Promise<Project[]> {
    const { rows } = await this.pool.query<{ id: string; name: string; created_at: Date }>('SELECT id, name, created_at FROM identity.projects ORDER BY id');
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  /** A new key; the returned `key` is the only time the secret exists outside the caller's hands. */
  async createApiKey(projectId: string, role: Role, name: string): Promise<{ record: ApiKeyRecord; key: string }> {
    if (!(await this.projectExists(projectId))) throw new NotFoundError('project', projectId);
    const issued = issueApiKey();
    const { rows } = await this.pool.query<KeyRow>(
      `INSERT INTO identity.api_keys (id, project_id, name, role, secret_hash) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, project_id, name, role, secret_hash, created_at, revoked_at`,
      [issued.id, projectId, name, role, issued.secretHash],
    );
    return { record: toKey(rows[0]!), key: issued.key };
  }

  /**
   * Stores a key whose secret was chosen outside (the bootstrap key of a deployment); idempotent.
   * An existing key keeps its project and, once revoked, stays revoked: only an active key of the
   * same project is updated (role, secret). Otherwise the answer says why it was left alone.
   */
  async importApiKey(id: string, projectId: string, role: Role, name: string, secretHash: Buffer): Promise<ImportedApiKey> {
    const { rows } = await this.pool.query(
      `INSERT INTO identity.api_keys (id, project_id, name, role, secret_hash) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, secret_hash = EXCLUDED.secret_hash
         WHERE api_keys.project_id = EXCLUDED.project_id AND api_keys.revoked_at IS NULL
       RETURNING id`,
      [id, projectId, name, role, secretHash],
    );
    if (rows[0]) return { outcome: 'imported' };
    const existing = await this.findApiKey(id);
    if (!existing) throw new Error(`API key ${id} was neither stored nor found`);
    if (existing.projectId !== projectId) return { outcome: 'other-project', projectId: existing.projectId };
    return { outcome: 'revoked', revokedAt: existing.revokedAt! };
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<KeyRow>(
      'SELECT id, project_id, name, role, secret_hash, created_at, revoked_at FROM identity.api_keys WHERE id = $1',
      [id],
    );
    return rows[0] ? toKey(rows[0]) : null;
  }

  async listApiKeys(projectId: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<KeyRow>(
      'SELECT id, project_id, name, role, secret_hash, created_at, revoked_at FROM identity.api_keys WHERE project_id = $1 ORDER BY created_at',
      [projectId],
    );
    return rows.map(toKey);
  }

  async revokeApiKey(id: string): Promise<void> {
    const { rowCount } = await this.pool.query('UPDATE identity.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [id]);
    if (rowCount !== 1) throw new NotFoundError('API key', id);
  }
}
