// One project's generations in PostgreSQL (schema `generation`), each written together with its
// generation.completed.v1 event in the outbox and the project's token usage of the day. Every
// read is bounded to the project: another project's generation is not found.
import { enqueueEvent, withTransaction, type Pool } from '@llmops/platform';
import { addTokenUsage } from './token-budget.pg';
import type { Generation, Page } from '../domain/model';
import type { GenerationStore } from '../domain/ports';
import { schema } from './migrations';

interface GenerationRow {
  id: string;
  status: Generation['status'];
  prompt_id: string | null;
  prompt_name: string | null;
  prompt_version_id: string | null;
  prompt_version: number | null;
  inline_prompt: Generation['inlinePrompt'];
  variables: Record<string, unknown>;
  rendered_messages: Generation['renderedMessages'];
  output: string | null;
  model: string | null;
  backend: string | null;
  fallback_from: Generation['fallbackFrom'];
  parameters: Generation['parameters'];
  prompt_tokens: number | null;
  completion_tokens: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  finish_reason: Generation['finishReason'];
  trace_id: string | null;
  retrieved_document_ids: string[];
  error: Generation['error'];
  session_id: string | null;
  pipeline_run_id: string | null;
  created_at: Date;
}

const columns = [
  'id',
  'status',
  'prompt_id',
  'prompt_name',
  'prompt_version_id',
  'prompt_version',
  'inline_prompt',
  'variables',
  'rendered_messages',
  'output',
  'model',
  'backend',
  'fallback_from',
  'parameters',
  'prompt_tokens',
  'completion_tokens',
  'latency_ms',
  'ttft_ms',
  'finish_reason',
  'trace_id',
  'retrieved_document_ids',
  'error',
  'session_id',
  'pipeline_run_id',
  'created_at',
] as const;

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

export class PgGenerationStore implements GenerationStore {
  constructor(
    private readonly pool: Pool,
    private readonly projectId: string,
    private readonly onEventsCommitted: () => void = () => {},
  ) {}

  async record(g: Generation): Promise<void> {
    await withTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO ${schema}.generations (project_id, ${columns.join(', ')})
         VALUES ($1, ${columns.map((_, i) => `$${i + 2}`).join(', ')})`,
        [
          this.projectId,
          g.id,
          g.status,
          g.promptId,
          g.promptName,
          g.promptVersionId,
          g.promptVersion,
          json(g.inlinePrompt),
          JSON.stringify(g.variables),
          json(g.renderedMessages),
          g.output,
          g.model,
          g.backend,
          json(g.fallbackFrom),
          json(g.parameters),
          g.promptTokens,
          g.completionTokens,
          g.latencyMs,
          g.timeToFirstTokenMs,
          g.finishReason,
          g.traceId,
          g.retrievedDocumentIds,
          json(g.error),
          g.sessionId,
          g.pipelineRunId,
          g.createdAt,
        ],
      );
      await addTokenUsage(client, this.projectId, g.createdAt, (g.promptTokens ?? 0) + (g.completionTokens ?? 0));
      await enqueueEvent(client, schema, 'generation.completed.v1', {
        projectId: this.projectId,
        generationId: g.id,
        status: g.status,
        promptId: g.promptId,
        promptName: g.promptName,
        promptVersionId: g.promptVersionId,
        promptVersion: g.promptVersion,
        model: g.model,
        backend: g.backend,
        finishReason: g.finishReason,
        promptTokens: g.promptTokens,
        completionTokens: g.completionTokens,
        latencyMs: g.latencyMs,
        timeToFirstTokenMs: g.timeToFirstTokenMs,
        errorCode: g.error?.code ?? null,
        sessionId: g.sessionId,
        pipelineRunId: g.pipelineRunId,
      });
    });
    this.onEventsCommitted();
  }

  async findById(id: string): Promise<Generation | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.pool.query<GenerationRow>(`SELECT * FROM ${schema}.generations WHERE id = $1 AND project_id = $2`, [id, this.projectId]);
    return rows[0] ? toGeneration(rows[0]) : null;
  }

  async listByPromptVersion(promptVersionId: string, first: number, after: string | null): Promise<Page<Generation>> {
    if (!isUuid(promptVersionId) || (after !== null && !isUuid(after))) return { items: [], hasNextPage: false };
    const { rows } = await this.pool.query<GenerationRow>(
      `SELECT * FROM ${schema}.generations g
       WHERE g.prompt_version_id = $1 AND g.project_id = $4
         AND ($3::uuid IS NULL OR (g.created_at, g.id) < (SELECT created_at, id FROM ${schema}.generations WHERE id = $3 AND project_id = $4))
       ORDER BY g.created_at DESC, g.id DESC LIMIT $2`,
      [promptVersionId, first + 1, after, this.projectId],
    );
    return { items: rows.slice(0, first).map(toGeneration), hasNextPage: rows.length > first };
  }
}

export const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

const toGeneration = (r: GenerationRow): Generation => ({
  id: r.id,
  status: r.status,
  promptId: r.prompt_id,
  promptName: r.prompt_name,
  promptVersionId: r.prompt_version_id,
  promptVersion: r.prompt_version,
  inlinePrompt: r.inline_prompt,
  variables: r.variables,
  renderedMessages: r.rendered_messages,
  output: r.output,
  model: r.model,
  backend: r.backend,
  fallbackFrom: r.fallback_from,
  parameters: r.parameters,
  promptTokens: r.prompt_tokens,
  completionTokens: r.completion_tokens,
  latencyMs: r.latency_ms,
  timeToFirstTokenMs: r.ttft_ms,
  finishReason: r.finish_reason,
  traceId: r.trace_id,
  retrievedDocumentIds: r.retrieved_document_ids,
  error: r.error,
  sessionId: r.session_id,
  pipelineRunId: r.pipeline_run_id,
  createdAt: r.created_at,
});
