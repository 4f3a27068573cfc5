import type { Migration } from '@llmops/platform';

/** The gateway owns who may call: projects and their API keys. */
export const identitySchema = 'identity';

export const identityMigrations: Migration[] = [
  {
    id: '0001-projects-and-api-keys',
    sql: `CREATE TABLE projects (
      id text PRIMARY KEY,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE api_keys (
      id text PRIMARY KEY,
      project_id text NOT NULL REFERENCES projects (id),
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
      secret_hash bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );
    CREATE INDEX api_keys_project ON api_keys (project_id);`,
  },
];
