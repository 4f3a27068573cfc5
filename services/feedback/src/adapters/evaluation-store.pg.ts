import { randomUUID } from 'node:crypto';
import { withTransaction, type Pool } from '@llmops/platform';
import type { DatasetItem } from '../domain/dataset-items';
import type { EvaluationMetric, EvaluationRun, ItemResult, MetricScore, NewEvaluationRun, RunProgress, RunStatus } from '../domain/evaluation/model';
import type { EvaluationStore } from '../domain/evaluation/ports';
import { toDatasetItem, type DatasetItemRow } from './dataset-item-store.pg';
import { schema } from './migrations';

interface RunRow {
  id: string;
  dataset_id: string;
  prompt: EvaluationRun['prompt'];
  judge_prompt: EvaluationRun['judgePrompt'];
  judge_scale: EvaluationRun['judgeScale'];
  metrics: EvaluationMetric[];
  parameters: EvaluationRun['parameters'];
  status: RunStatus;
  total: number;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

interface ResultRow {
  run_id: string;
  item_id: string;
  output: string | null;
  generation_id: string | null;
  scores: MetricScore[];
  error: string | null;
  latency_ms: number;
  created_at: Date;
}

const toRun = (r: RunRow): EvaluationRun => ({
  id: r.id,
  datasetId: r.dataset_id,
  prompt: r.prompt,
  judgePrompt: r.judge_prompt,
  judgeScale: r.judge_scale,
  metrics: r.metrics,
  parameters: r.parameters,
  status: r.status,
  total: r.total,
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const toResult = (r: ResultRow): ItemResult => ({
  runId: r.run_id,
  itemId: r.item_id,
  output: r.output,
  generationId: r.generation_id,
  scores: r.scores,
  error: r.error,
  latencyMs: r.latency_ms,
  createdAt: r.created_at,
});

const finished: RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
/** Rows of results whose run is the project's (parameter `param` holds the project id). */
const ofProjectRun = (param: string) => `run_id IN (SELECT id FROM ${schema}.evaluation_runs WHERE project_id = ${param})`;

/** The projects that have runs a restarted service must pick up again. */
export async function projectsWithUnfinishedRuns(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ project_id: string }>(
    `SELECT DISTINCT project_id FROM ${schema}.evaluation_runs WHERE status IN ('PENDING', 'RUNNING') ORDER BY project_id`,
  );
  return rows.map((r) => r.project_id);
}
/** First key of the session advisory locks that mark the process working on a run. */
const runLockClass = 7_301;

/** One project's evaluation runs and results: every query is bounded to `projectId`. */
export class PgEvaluationStore implements EvaluationStore {
  constructor(
    private readonly pool: Pool,
    private readonly projectId: string,
  ) {}

  createRun(input: NewEvaluationRun): Promise<EvaluationRun> {
    return withTransaction(this.pool, async (client) => {
      const { rows: counts } = await client.query<{ total: string; last_position: string | null }>(
        `SELECT count(*) AS total, max(position) AS last_position FROM ${schema}.dataset_items WHERE dataset_id = $1`,
        [input.datasetId],
      );
      const { rows } = await client.query<RunRow>(
        `INSERT INTO ${schema}.evaluation_runs
           (id, dataset_id, prompt, judge_prompt, judge_scale, metrics, parameters, status, total, last_position, project_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING', $8, $9, $10) RETURNING *`,
        [
          randomUUID(),
          input.datasetId,
          JSON.stringify(input.prompt),
          input.judgePrompt ? JSON.stringify(input.judgePrompt) : null,
          JSON.stringify(input.judgeScale),
          input.metrics,
          JSON.stringify(input.parameters),
          Number(counts[0]!.total),
          counts[0]!.last_position ?? 0,
          this.projectId,
        ],
      );
      return toRun(rows[0]!);
    });
  }

  async getRun(id: string): Promise<EvaluationRun | null> {
    const { rows } = await this.pool.query<RunRow>(`SELECT * FROM ${schema}.evaluation_runs WHERE id = $1 AND project_id = $2`, [id, this.projectId]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  async listRuns(datasetId: string): Promise<EvaluationRun[]> {
    const { rows } = await this.pool.query<RunRow>(
      `SELECT * FROM ${schema}.evaluation_runs WHERE dataset_id = $1 AND project_id = $2 ORDER BY created_at DESC, id`,
      [datasetId, this.projectId],
    );
    return rows.map(toRun);
  }

  async claim(runId: string): Promise<(() => Promise<void>) | null> {
    // A session lock on a connection of its own: PostgreSQL drops it when the process dies.
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [runLockClass, runId]);
      if (!rows[0]!.locked) {
        client.release();
        return null;
      }
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    return async () => {
      try {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [runLockClass, runId]);
        client.release();
      } catch (err) {
        client.release(err as Error); // a broken connection is discarded, and its lock with it
      }
    };
  }

  async listUnfinishedRuns(): Promise<EvaluationRun[]> {
    const { rows } = await this.pool.query<RunRow>(
      `SELECT * FROM ${schema}.evaluation_runs WHERE project_id = $1 AND status IN ('PENDING', 'RUNNING') ORDER BY created_at`,
      [this.projectId],
    );
    return rows.map(toRun);
  }

  async transition(id: string, from: RunStatus[], to: RunStatus, error?: string | null): Promise<EvaluationRun | null> {
    const { rows } = await this.pool.query<RunRow>(
      `UPDATE ${schema}.evaluation_runs SET
         status = $3,
         error = CASE WHEN $4::boolean THEN $5 ELSE error END,
         started_at = CASE WHEN $3 = 'RUNNING' THEN coalesce(started_at, now()) ELSE started_at END,
         finished_at = CASE WHEN $3 = ANY($6::text[]) THEN now() ELSE NULL END
       WHERE id = $1 AND project_id = $7 AND status = ANY($2::text[]) RETURNING *`,
      [id, from, to, error !== undefined, error ?? null, finished, this.projectId],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async pendingItems(run: EvaluationRun): Promise<DatasetItem[]> {
    const { rows } = await this.pool.query<DatasetItemRow>(
      `SELECT i.* FROM ${schema}.dataset_items i, ${schema}.evaluation_runs r
       WHERE r.id = $1 AND r.project_id = $2 AND i.dataset_id = r.dataset_id AND i.position <= r.last_position
         AND NOT EXISTS (SELECT 1 FROM ${schema}.evaluation_results x WHERE x.run_id = r.id AND x.item_id = i.id)
       ORDER BY i.position`,
      [run.id, this.projectId],
    );
    return rows.map(toDatasetItem);
  }

  async saveResult(result: Omit<ItemResult, 'createdAt'>): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${schema}.evaluation_results (run_id, item_id, item_position, output, generation_id, scores, error, latency_ms)
       SELECT r.id, i.id, i.position, $3, $4, $5, $6, $7 FROM ${schema}.dataset_items i, ${schema}.evaluation_runs r
       WHERE i.id = $2 AND r.id = $1 AND r.project_id = $8 AND i.dataset_id = r.dataset_id
       ON CONFLICT (run_id, item_id) DO NOTHING`,
      [result.runId, result.itemId, result.output, result.generationId, JSON.stringify(result.scores), result.error, Math.round(result.latencyMs), this.projectId],
    );
    return (rowCount ?? 0) > 0;
  }

  async progress(runId: string): Promise<RunProgress> {
    const [counts, means, run] = await Promise.all([
      this.pool.query<{ processed: string; failed: string }>(
        `SELECT count(*) AS processed, count(*) FILTER (WHERE error IS NOT NULL) AS failed
         FROM ${schema}.evaluation_results WHERE run_id = $1 AND ${ofProjectRun('$2')}`,
        [runId, this.projectId],
      ),
      this.pool.query<{ metric: EvaluationMetric; mean: number | null; count: string }>(
        `SELECT s->>'metric' AS metric, avg((s->>'value')::float8) AS mean, count(s->>'value') AS count
         FROM ${schema}.evaluation_results r, jsonb_array_elements(r.scores) s
         WHERE r.run_id = $1 AND ${ofProjectRun('$2')} GROUP BY 1`,
        [runId, this.projectId],
      ),
      this.getRun(runId),
    ]);
    const byMetric = new Map(means.rows.map((m) => [m.metric, m]));
    return {
      processed: Number(counts.rows[0]!.processed),
      failed: Number(counts.rows[0]!.failed),
      means: (run?.metrics ?? []).map((metric) => {
        const m = byMetric.get(metric);
        return { metric, mean: m?.mean ?? null, count: Number(m?.count ?? 0) };
      }),
    };
  }

  async listResults(runId: string, first: number, after: string | null): Promise<{ items: ItemResult[]; hasNextPage: boolean }> {
    const { rows } = await this.pool.query<ResultRow>(
      `SELECT * FROM ${schema}.evaluation_results
       WHERE run_id = $1 AND ${ofProjectRun('$4')} AND item_position > coalesce(
         (SELECT item_position FROM ${schema}.evaluation_results WHERE run_id = $1 AND item_id::text = $2), 0)
       ORDER BY item_position LIMIT $3`,
      [runId, after ?? '', first + 1, this.projectId],
    );
    return { items: rows.slice(0, first).map(toResult), hasNextPage: rows.length > first };
  }

  async allResults(runId: string): Promise<ItemResult[]> {
    const { rows } = await this.pool.query<ResultRow>(
      `SELECT * FROM ${schema}.evaluation_results WHERE run_id = $1 AND ${ofProjectRun('$2')} ORDER BY item_position`,
      [runId, this.projectId],
    );
    return rows.map(toResult);
  }
}
