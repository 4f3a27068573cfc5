// Projects (schema `feedback`): every dataset, evaluation run, generation fact, feedback entry and
// aggregate belongs to one project. Rows written before projects belong to the default project;
// dataset names and feedback ids are unique per project. Items and results belong to the project
// of their dataset and run.
import type { Migration } from '@llmops/platform';

const ownedBy = (table: string) => `
  ALTER TABLE ${table} ADD COLUMN project_id text NOT NULL DEFAULT 'default';
  ALTER TABLE ${table} ALTER COLUMN project_id DROP DEFAULT;`;

export const projectMigrations: Migration[] = [
  {
    id: 'projects_0001-project-ids',
    sql: `${ownedBy('datasets')}
      ALTER TABLE datasets DROP CONSTRAINT datasets_name_key;
      CREATE UNIQUE INDEX datasets_project_name ON datasets (project_id, name);
      ${ownedBy('evaluation_runs')}
      ${ownedBy('generation_facts')}
      ALTER TABLE generation_facts DROP CONSTRAINT generation_facts_pkey, ADD PRIMARY KEY (project_id, generation_id);
      DROP INDEX generation_facts_version_time;
      CREATE INDEX generation_facts_version_time ON generation_facts (project_id, prompt_version_id, created_at) WHERE prompt_version_id IS NOT NULL;
      ${ownedBy('feedback_entries')}
      ALTER TABLE feedback_entries DROP CONSTRAINT feedback_entries_pkey, ADD PRIMARY KEY (project_id, id);
      DROP INDEX feedback_entries_generation;
      CREATE INDEX feedback_entries_generation ON feedback_entries (project_id, generation_id, created_at DESC);
      ${ownedBy('feedback_version_minutes')}
      ALTER TABLE feedback_version_minutes DROP CONSTRAINT feedback_version_minutes_pkey, ADD PRIMARY KEY (project_id, prompt_version_id, minute);`,
  },
];
