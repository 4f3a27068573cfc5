import type { Migration } from '@llmops/platform';
import { evaluationMigrations } from './evaluation-migrations';
import { feedbackMigrations } from './feedback-migrations';
import { projectMigrations } from './project-migrations';

export const schema = 'feedback';

export const migrations: Migration[] = [
  {
    id: '0001-datasets',
    sql: `CREATE TABLE datasets (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE,
      description text,
      created_at timestamptz NOT NULL DEFAULT now()
    );`,
  },
  ...evaluationMigrations,
  ...feedbackMigrations,
  ...projectMigrations,
];
