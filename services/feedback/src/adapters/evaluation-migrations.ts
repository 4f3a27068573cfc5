// Tables of dataset items and evaluation runs (schema `feedback`), applied after the service's
// other migrations.
import type { Migration } from '@llmops/platform';

export const evaluationMigrations: Migration[] = [
  {
    id: 'evaluation_0001-dataset-items',
    sql: `CREATE TABLE dataset_items (
      id uuid PRIMARY KEY,
      dataset_id uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
      position bigint GENERATED ALWAYS AS IDENTITY,
      variables jsonb NOT NULL,
      expected_output text,
      expected_document_ids text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX dataset_items_dataset_position ON dataset_items (dataset_id, position);`,
  },
  {
    id: 'evaluation_0002-runs',
    sql: `CREATE TABLE evaluation_runs (
      id uuid PRIMARY KEY,
      dataset_id uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
      prompt jsonb NOT NULL,
      judge_prompt jsonb,
      judge_scale jsonb NOT NULL,
      metrics text[] NOT NULL,
      parameters jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
      total integer NOT NULL,
      -- The run covers the dataset's items up to this position (those present when it started).
      last_position bigint NOT NULL,
      error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    CREATE INDEX evaluation_runs_dataset ON evaluation_runs (dataset_id, created_at DESC);
    CREATE INDEX evaluation_runs_unfinished ON evaluation_runs (status) WHERE status IN ('PENDING', 'RUNNING');
    CREATE TABLE evaluation_results (
      run_id uuid NOT NULL REFERENCES evaluation_runs (id) ON DELETE CASCADE,
      item_id uuid NOT NULL REFERENCES dataset_items (id) ON DELETE CASCADE,
      item_position bigint NOT NULL,
      output text,
      generation_id text,
      scores jsonb NOT NULL,
      error text,
      latency_ms integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, item_id)
    );
    CREATE INDEX evaluation_results_order ON evaluation_results (run_id, item_position);`,
  },
];
