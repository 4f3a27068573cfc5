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
];
