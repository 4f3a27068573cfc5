import { outboxMigration, type Migration } from '@llmops/platform';

export const schema = 'generation';

export const migrations: Migration[] = [
  outboxMigration,
  {
    id: '0001-generations',
    sql: `
      CREATE TABLE generations (
        id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('SUCCEEDED', 'FAILED', 'CANCELLED')),
        prompt_id uuid,
        prompt_name text,
        prompt_version_id uuid,
        prompt_version integer,
        inline_prompt jsonb,
        variables jsonb NOT NULL,
        rendered_messages jsonb,
        output text,
        model text,
        backend text,
        fallback_from jsonb,
        parameters jsonb,
        prompt_tokens integer,
        completion_tokens integer,
        latency_ms integer NOT NULL,
        ttft_ms integer,
        finish_reason text,
        trace_id text,
        retrieved_document_ids text[] NOT NULL DEFAULT '{}',
        error jsonb,
        session_id uuid,
        pipeline_run_id uuid,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX generations_by_version ON generations (prompt_version_id, created_at DESC, id DESC) WHERE prompt_version_id IS NOT NULL;`,
  },
  {
    id: '0002-pipelines-sessions',
    sql: `
      CREATE TABLE pipelines (
        id uuid PRIMARY KEY,
        name text NOT NULL UNIQUE,
        description text,
        definition jsonb NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE pipeline_runs (
        id uuid PRIMARY KEY,
        pipeline_id uuid NOT NULL REFERENCES pipelines (id),
        status text NOT NULL CHECK (status IN ('SUCCEEDED', 'FAILED')),
        inputs jsonb NOT NULL,
        outputs jsonb,
        nodes jsonb NOT NULL,
        session_id uuid,
        trace_id text,
        error jsonb,
        latency_ms integer NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL
      );
      CREATE INDEX pipeline_runs_by_pipeline ON pipeline_runs (pipeline_id, started_at DESC);
      CREATE TABLE sessions (
        id uuid PRIMARY KEY,
        window_messages integer NOT NULL,
        token_budget integer NOT NULL,
        metadata jsonb NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE session_messages (
        session_id uuid NOT NULL REFERENCES sessions (id),
        seq bigserial,
        role text NOT NULL CHECK (role IN ('SYSTEM', 'USER', 'ASSISTANT')),
        content text NOT NULL,
        tokens integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (session_id, seq)
      );
      CREATE INDEX generations_by_session ON generations (session_id, created_at) WHERE session_id IS NOT NULL;`,
  },
  {
    // Projects (see @llmops/platform identity): every row belongs to one; rows from before
    // projects are the default project's. Pipeline names are unique per project. Token usage is
    // counted per project and UTC day, in the transaction that records each generation.
    id: '0003-projects-budgets',
    sql: `
      ALTER TABLE generations ADD COLUMN project_id text NOT NULL DEFAULT 'default';
      ALTER TABLE pipelines ADD COLUMN project_id text NOT NULL DEFAULT 'default';
      ALTER TABLE pipelines DROP CONSTRAINT pipelines_name_key;
      ALTER TABLE pipelines ADD CONSTRAINT pipelines_project_name_key UNIQUE (project_id, name);
      ALTER TABLE pipeline_runs ADD COLUMN project_id text NOT NULL DEFAULT 'default';
      ALTER TABLE sessions ADD COLUMN project_id text NOT NULL DEFAULT 'default';
      CREATE TABLE project_token_usage (
        project_id text NOT NULL,
        day date NOT NULL,
        tokens bigint NOT NULL,
        PRIMARY KEY (project_id, day)
      );
      CREATE TABLE project_token_budgets (
        project_id text PRIMARY KEY,
        tokens_per_day bigint NOT NULL CHECK (tokens_per_day > 0),
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );`,
  },
];
