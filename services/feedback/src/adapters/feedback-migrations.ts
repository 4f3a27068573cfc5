// Tables of user feedback (schema `feedback`): the facts of every recorded generation (from
// generation.completed.v1), the feedback itself, and per prompt version and minute aggregates.
import type { Migration } from '@llmops/platform';

export const feedbackMigrations: Migration[] = [
  {
    id: 'feedback_0001-generation-facts',
    sql: `CREATE TABLE generation_facts (
      generation_id uuid PRIMARY KEY,
      status text NOT NULL,
      prompt_version_id uuid,
      prompt_name text,
      model text,
      latency_ms integer NOT NULL,
      ttft_ms integer,
      prompt_tokens integer,
      completion_tokens integer,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX generation_facts_version_time ON generation_facts (prompt_version_id, created_at) WHERE prompt_version_id IS NOT NULL;`,
  },
  {
    id: 'feedback_0002-feedback',
    sql: `CREATE TABLE feedback_entries (
      id uuid PRIMARY KEY,
      generation_id uuid NOT NULL,
      prompt_version_id uuid,
      prompt_name text,
      score double precision,
      thumbs text CHECK (thumbs IN ('UP', 'DOWN')),
      comment text,
      labels text[] NOT NULL DEFAULT '{}',
      user_name text,
      created_at timestamptz NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((score IS NULL) <> (thumbs IS NULL))
    );
    CREATE INDEX feedback_entries_generation ON feedback_entries (generation_id, created_at DESC);
    CREATE TABLE feedback_version_minutes (
      prompt_version_id uuid NOT NULL,
      minute timestamptz NOT NULL,
      feedback_count bigint NOT NULL,
      score_count bigint NOT NULL,
      score_sum double precision NOT NULL,
      thumbs_count bigint NOT NULL,
      thumbs_up_count bigint NOT NULL,
      PRIMARY KEY (prompt_version_id, minute)
    );`,
  },
];
