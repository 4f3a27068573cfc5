// A project's token usage per UTC day and its own budget, in PostgreSQL (schema `generation`).
// Usage is added in the transaction that records each generation (see generation-store.pg.ts).
import type { Pool, PoolClient } from '@llmops/platform';
import { utcDay, type TokenUsageStore } from '../domain/token-budget';
import { schema } from './migrations';

export async function addTokenUsage(client: PoolClient, projectId: string, at: Date, tokens: number): Promise<void> {
  if (tokens <= 0) return;
  await client.query(
    `INSERT INTO ${schema}.project_token_usage (project_id, day, tokens) VALUES ($1, $2, $3)
     ON CONFLICT (project_id, day) DO UPDATE SET tokens = project_token_usage.tokens + EXCLUDED.tokens`,
    [projectId, utcDay(at), tokens],
  );
}

export class PgTokenUsageStore implements TokenUsageStore {
  constructor(
    private readonly pool: Pool,
    private readonly projectId: string,
  ) {}

  async read(day: string): Promise<{ usedToday: number; ownTokensPerDay: number | null }> {
    const { rows } = await this.pool.query<{ used: string | null; own: string | null }>(
      `SELECT (SELECT tokens FROM ${schema}.project_token_usage WHERE project_id = $1 AND day = $2) AS used,
              (SELECT tokens_per_day FROM ${schema}.project_token_budgets WHERE project_id = $1) AS own`,
      [this.projectId, day],
    );
    const r = rows[0]!;
    return { usedToday: Number(r.used ?? 0), ownTokensPerDay: r.own === null ? null : Number(r.own) };
  }

  async setOwn(tokensPerDay: number | null, updatedBy: string): Promise<void> {
    if (tokensPerDay === null) {
      await this.pool.query(`DELETE FROM ${schema}.project_token_budgets WHERE project_id = $1`, [this.projectId]);
      return;
    }
    await this.pool.query(
      `INSERT INTO ${schema}.project_token_budgets (project_id, tokens_per_day, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (project_id) DO UPDATE SET tokens_per_day = EXCLUDED.tokens_per_day, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [this.projectId, tokensPerDay, updatedBy],
    );
  }
}
