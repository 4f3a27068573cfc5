// One project's pipelines and their runs in PostgreSQL (schema `generation`); a run's node
// records are one JSON array, written once when the run ends. Names are unique per project, and
// another project's pipeline or run is not found.
import type { Pool } from '@llmops/platform';
import type { NodeRun, Pipeline, PipelineRun } from '../domain/pipeline-model';
import type { PipelineStore } from '../domain/pipeline-service';
import { isUuid } from './generation-store.pg';
import { schema } from './migrations';

interface PipelineRow {
  id: string;
  name: string;
  description: string | null;
  definition: Pipeline['definition'];
  created_at: Date;
}

interface RunRow {
  id: string;
  pipeline_id: string;
  pipeline_name: string;
  status: PipelineRun['status'];
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | null;
  nodes: Array<Omit<NodeRun, 'startedAt' | 'finishedAt'> & { startedAt: string | null; finishedAt: string | null }>;
  session_id: string | null;
  trace_id: string | null;
  error: PipelineRun['error'];
  latency_ms: number;
  started_at: Date;
  finished_at: Date;
}

export class PgPipelineStore implements PipelineStore {
  constructor(
    private readonly pool: Pool,
    private readonly projectId: string,
  ) {}

  async create(p: Pipeline): Promise<Pipeline | null> {
    const { rows } = await this.pool.query<PipelineRow>(
      `INSERT INTO ${schema}.pipelines (id, name, description, definition, created_at, project_id) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (project_id, name) DO NOTHING RETURNING *`,
      [p.id, p.name, p.description, JSON.stringify(p.definition), p.createdAt, this.projectId],
    );
    return rows[0] ? toPipeline(rows[0]) : null;
  }

  async findByName(name: string): Promise<Pipeline | null> {
    const { rows } = await this.pool.query<PipelineRow>(`SELECT * FROM ${schema}.pipelines WHERE name = $1 AND project_id = $2`, [name, this.projectId]);
    return rows[0] ? toPipeline(rows[0]) : null;
  }

  async findById(id: string): Promise<Pipeline | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.pool.query<PipelineRow>(`SELECT * FROM ${schema}.pipelines WHERE id = $1 AND project_id = $2`, [id, this.projectId]);
    return rows[0] ? toPipeline(rows[0]) : null;
  }

  async list(): Promise<Pipeline[]> {
    const { rows } = await this.pool.query<PipelineRow>(`SELECT * FROM ${schema}.pipelines WHERE project_id = $1 ORDER BY name LIMIT 1000`, [this.projectId]);
    return rows.map(toPipeline);
  }

  async recordRun(r: PipelineRun): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${schema}.pipeline_runs (id, pipeline_id, status, inputs, outputs, nodes, session_id, trace_id, error, latency_ms, started_at, finished_at, project_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        r.id,
        r.pipelineId,
        r.status,
        JSON.stringify(r.inputs),
        r.outputs === null ? null : JSON.stringify(r.outputs),
        JSON.stringify(r.nodes),
        r.sessionId,
        r.traceId,
        r.error === null ? null : JSON.stringify(r.error),
        r.latencyMs,
        r.startedAt,
        r.finishedAt,
        this.projectId,
      ],
    );
  }

  async findRun(id: string): Promise<PipelineRun | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.pool.query<RunRow>(
      `SELECT r.*, p.name AS pipeline_name FROM ${schema}.pipeline_runs r JOIN ${schema}.pipelines p ON p.id = r.pipeline_id WHERE r.id = $1 AND r.project_id = $2`,
      [id, this.projectId],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async listRuns(pipelineId: string, first: number): Promise<PipelineRun[]> {
    if (!isUuid(pipelineId)) return [];
    const { rows } = await this.pool.query<RunRow>(
      `SELECT r.*, p.name AS pipeline_name FROM ${schema}.pipeline_runs r JOIN ${schema}.pipelines p ON p.id = r.pipeline_id
       WHERE r.pipeline_id = $1 AND r.project_id = $3 ORDER BY r.started_at DESC, r.id DESC LIMIT $2`,
      [pipelineId, first, this.projectId],
    );
    return rows.map(toRun);
  }
}

const toPipeline = (r: PipelineRow): Pipeline => ({ id: r.id, name: r.name, description: r.description, definition: r.definition, createdAt: r.created_at });

const date = (s: string | null) => (s === null ? null : new Date(s));

const toRun = (r: RunRow): PipelineRun => ({
  id: r.id,
  pipelineId: r.pipeline_id,
  pipelineName: r.pipeline_name,
  status: r.status,
  inputs: r.inputs,
  outputs: r.outputs,
  nodes: r.nodes.map((n) => ({ ...n, startedAt: date(n.startedAt), finishedAt: date(n.finishedAt) })),
  sessionId: r.session_id,
  traceId: r.trace_id,
  error: r.error,
  latencyMs: r.latency_ms,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});
