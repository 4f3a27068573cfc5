// One project's feedback, generation facts and per-version aggregates in PostgreSQL: every query
// is bounded to the project (another project's generation or feedback is not there). A batch of feedback is
// applied by one statement: the rows whose id is new are inserted and exactly those are added to
// the minute aggregates, so a redelivered or resubmitted feedback changes nothing.
import { UnavailableError, isConnectionError, type Pool } from '@llmops/platform';
import type { QueryResultRow } from 'pg';
import type { AttributedFeedback, Feedback, GenerationFact, MetricsWindow, Thumbs, VersionMetrics } from '../domain/feedback/model';
import type { FeedbackStore } from '../domain/feedback/ports';
import { schema } from './migrations';

interface FeedbackRow {
  id: string;
  generation_id: string;
  score: number | null;
  thumbs: Thumbs | null;
  comment: string | null;
  labels: string[];
  user_name: string | null;
  created_at: Date;
}

interface FactRow {
  generation_id: string;
  status: GenerationFact['status'];
  prompt_version_id: string | null;
  prompt_name: string | null;
  model: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  created_at: Date;
}

const toFeedback = (r: FeedbackRow): Feedback => ({
  id: r.id,
  generationId: r.generation_id,
  score: r.score,
  thumbs: r.thumbs,
  comment: r.comment,
  labels: r.labels,
  user: r.user_name,
  createdAt: r.created_at,
});

const toFact = (r: FactRow): GenerationFact => ({
  generationId: r.generation_id,
  status: r.status,
  promptVersionId: r.prompt_version_id,
  promptName: r.prompt_name,
  model: r.model,
  latencyMs: r.latency_ms,
  timeToFirstTokenMs: r.ttft_ms,
  promptTokens: r.prompt_tokens,
  completionTokens: r.completion_tokens,
  createdAt: r.created_at,
});

const applySql = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
    project_id text, id uuid, generation_id uuid, prompt_version_id uuid, prompt_name text, score double precision,
    thumbs text, comment text, labels text[], user_name text, created_at timestamptz)
), inserted AS (
  INSERT INTO ${schema}.feedback_entries (project_id, id, generation_id, prompt_version_id, prompt_name, score, thumbs, comment, labels, user_name, created_at)
  SELECT project_id, id, generation_id, prompt_version_id, prompt_name, score, thumbs, comment, coalesce(labels, '{}'), user_name, created_at FROM input
  ON CONFLICT (project_id, id) DO NOTHING
  RETURNING project_id, id, prompt_version_id, score, thumbs, created_at
), aggregated AS (
  INSERT INTO ${schema}.feedback_version_minutes AS t
    (project_id, prompt_version_id, minute, feedback_count, score_count, score_sum, thumbs_count, thumbs_up_count)
  SELECT project_id, prompt_version_id, date_trunc('minute', created_at), count(*), count(score), coalesce(sum(score), 0),
         count(thumbs), count(*) FILTER (WHERE thumbs = 'UP')
  FROM inserted WHERE prompt_version_id IS NOT NULL
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (project_id, prompt_version_id, minute) DO UPDATE SET
    feedback_count = t.feedback_count + EXCLUDED.feedback_count,
    score_count = t.score_count + EXCLUDED.score_count,
    score_sum = t.score_sum + EXCLUDED.score_sum,
    thumbs_count = t.thumbs_count + EXCLUDED.thumbs_count,
    thumbs_up_count = t.thumbs_up_count + EXCLUDED.thumbs_up_count
)
SELECT id FROM inserted`;

export class PgFeedbackStore implements FeedbackStore {
  constructor(
    private readonly pool: Pool,
    private readonly projectId: string,
  ) {}

  private async query<R extends QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (err) {
      if (isConnectionError(err)) throw new UnavailableError('postgresql', { cause: err });
      throw err;
    }
  }

  async recordGeneration(f: GenerationFact): Promise<void> {
    await this.query(
      `INSERT INTO ${schema}.generation_facts
         (project_id, generation_id, status, prompt_version_id, prompt_name, model, latency_ms, ttft_ms, prompt_tokens, completion_tokens, created_at)
       VALUES ($11, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (project_id, generation_id) DO NOTHING`,
      [f.generationId, f.status, f.promptVersionId, f.promptName, f.model, f.latencyMs, f.timeToFirstTokenMs, f.promptTokens, f.completionTokens, f.createdAt, this.projectId],
    );
  }

  async findGenerations(ids: string[]): Promise<Map<string, GenerationFact>> {
    if (!ids.length) return new Map();
    const rows = await this.query<FactRow>(`SELECT * FROM ${schema}.generation_facts WHERE project_id = $1 AND generation_id = ANY($2::uuid[])`, [
      this.projectId,
      ids,
    ]);
    return new Map(rows.map((r) => [r.generation_id, toFact(r)]));
  }

  async findFeedback(ids: string[]): Promise<Map<string, Feedback>> {
    if (!ids.length) return new Map();
    const rows = await this.query<FeedbackRow>(`SELECT * FROM ${schema}.feedback_entries WHERE project_id = $1 AND id = ANY($2::uuid[])`, [this.projectId, ids]);
    return new Map(rows.map((r) => [r.id, toFeedback(r)]));
  }

  async applyFeedback(entries: AttributedFeedback[]): Promise<AttributedFeedback[]> {
    if (!entries.length) return [];
    const json = entries.map((e) => ({
      project_id: this.projectId,
      id: e.id,
      generation_id: e.generationId,
      prompt_version_id: e.promptVersionId,
      prompt_name: e.promptName,
      score: e.score,
      thumbs: e.thumbs,
      comment: e.comment,
      labels: e.labels,
      user_name: e.user,
      created_at: e.createdAt.toISOString(),
    }));
    const inserted = new Set((await this.query<{ id: string }>(applySql, [JSON.stringify(json)])).map((r) => r.id));
    return entries.filter((e) => inserted.has(e.id));
  }

  async listForGeneration(generationId: string, first: number): Promise<Feedback[]> {
    const rows = await this.query<FeedbackRow>(
      `SELECT * FROM ${schema}.feedback_entries WHERE project_id = $3 AND generation_id = $1 ORDER BY created_at DESC, id LIMIT $2`,
      [generationId, first, this.projectId],
    );
    return rows.map(toFeedback);
  }

  async versionMetrics(promptVersionId: string, { since, until }: MetricsWindow): Promise<VersionMetrics> {
    const [g] = await this.query<{
      generations: number;
      failed: number;
      p50: number | null;
      p95: number | null;
      ttft50: number | null;
      prompt_tokens: number;
      completion_tokens: number;
    }>(
      `SELECT count(*)::float8 AS generations,
              count(*) FILTER (WHERE status <> 'SUCCEEDED')::float8 AS failed,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE status = 'SUCCEEDED') AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE status = 'SUCCEEDED') AS p95,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ttft_ms) FILTER (WHERE status = 'SUCCEEDED') AS ttft50,
              coalesce(sum(prompt_tokens), 0)::float8 AS prompt_tokens,
              coalesce(sum(completion_tokens), 0)::float8 AS completion_tokens
         FROM ${schema}.generation_facts
        WHERE project_id = $4 AND prompt_version_id = $1 AND created_at >= $2 AND created_at < $3`,
      [promptVersionId, since, until, this.projectId],
    );
    // Feedback is aggregated per minute: the minutes that begin in [since rounded down, until) count.
    const [f] = await this.query<{ feedback: number; scores: number; score_sum: number; thumbs: number; thumbs_up: number }>(
      `SELECT coalesce(sum(feedback_count), 0)::float8 AS feedback, coalesce(sum(score_count), 0)::float8 AS scores,
              coalesce(sum(score_sum), 0)::float8 AS score_sum, coalesce(sum(thumbs_count), 0)::float8 AS thumbs,
              coalesce(sum(thumbs_up_count), 0)::float8 AS thumbs_up
         FROM ${schema}.feedback_version_minutes
        WHERE project_id = $4 AND prompt_version_id = $1 AND minute >= date_trunc('minute', $2::timestamptz) AND minute < $3`,
      [promptVersionId, since, until, this.projectId],
    );
    return {
      since,
      until,
      generationCount: g!.generations,
      failedGenerationCount: g!.failed,
      latencyP50Ms: g!.p50,
      latencyP95Ms: g!.p95,
      timeToFirstTokenP50Ms: g!.ttft50,
      promptTokens: g!.prompt_tokens,
      completionTokens: g!.completion_tokens,
      feedbackCount: f!.feedback,
      scoreCount: f!.scores,
      averageScore: f!.scores > 0 ? f!.score_sum / f!.scores : null,
      thumbsCount: f!.thumbs,
      thumbsUpRate: f!.thumbs > 0 ? f!.thumbs_up / f!.thumbs : null,
    };
  }
}
