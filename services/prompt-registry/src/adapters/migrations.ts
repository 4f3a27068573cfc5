import { outboxMigration, type Migration } from '@llmops/platform';

export const schema = 'registry';

export const migrations: Migration[] = [
  outboxMigration,
  {
    id: '0001-prompts',
    sql: `
      CREATE TABLE prompts (
        id uuid PRIMARY KEY,
        name text NOT NULL UNIQUE,
        description text,
        tags text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE prompt_versions (
        id uuid PRIMARY KEY,
        prompt_id uuid NOT NULL REFERENCES prompts (id),
        number integer NOT NULL CHECK (number > 0),
        template text NOT NULL,
        commit_message text NOT NULL,
        author text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (prompt_id, number)
      );`,
  },
  {
    id: '0002-versions-aliases',
    sql: `
      ALTER TABLE prompts ADD COLUMN archived boolean NOT NULL DEFAULT false;
      CREATE INDEX prompts_tags ON prompts USING gin (tags);
      ALTER TABLE prompt_versions
        ALTER COLUMN template DROP NOT NULL,
        ADD COLUMN kind text NOT NULL DEFAULT 'TEXT' CHECK (kind IN ('TEXT', 'CHAT')),
        ADD COLUMN messages jsonb,
        ADD COLUMN variables jsonb NOT NULL DEFAULT '[]',
        ADD COLUMN model_parameters jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN augmentation jsonb NOT NULL DEFAULT '[]',
        ADD COLUMN parent_number integer,
        ADD COLUMN archived boolean NOT NULL DEFAULT false;
      -- Versions written before typed variables: each referenced variable was a required string.
      UPDATE prompt_versions SET variables = (
        SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('name', m[1], 'type', 'STRING', 'required', true)), '[]')
        FROM regexp_matches(template, '{{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*}}', 'g') AS m
      );
      CREATE TABLE prompt_aliases (
        prompt_id uuid NOT NULL REFERENCES prompts (id),
        alias text NOT NULL,
        version_id uuid NOT NULL REFERENCES prompt_versions (id),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (prompt_id, alias)
      );
      CREATE TABLE prompt_alias_history (
        seq bigserial PRIMARY KEY,
        prompt_id uuid NOT NULL REFERENCES prompts (id),
        alias text NOT NULL,
        from_version integer,
        to_version integer NOT NULL,
        moved_by text,
        moved_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX prompt_alias_history_by_alias ON prompt_alias_history (prompt_id, alias, seq);`,
  },
  {
    id: '0003-projects-audit-log',
    sql: `
      -- Prompts written before projects belong to the default project; names are unique per project.
      ALTER TABLE prompts ADD COLUMN project_id text NOT NULL DEFAULT 'default';
      ALTER TABLE prompts ALTER COLUMN project_id DROP DEFAULT;
      ALTER TABLE prompts DROP CONSTRAINT prompts_name_key;
      CREATE UNIQUE INDEX prompts_project_name ON prompts (project_id, name);
      -- Who changed what in the registry, written in the same transaction as the change.
      CREATE TABLE audit_log (
        seq bigserial PRIMARY KEY,
        project_id text NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX audit_log_by_project ON audit_log (project_id, seq);`,
  },
];
