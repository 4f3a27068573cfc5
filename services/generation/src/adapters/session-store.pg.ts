// One project's sessions and their messages in PostgreSQL (schema `generation`), ordered by an
// append sequence. Another project's session is not found, nor are its messages.
import type { Pool } from '@llmops/platform';
import type { StoredMessage } from '../domain/memory';
import type { Session, SessionMessage, SessionStore } from '../domain/session-service';
import { isUuid } from './generation-store.pg';
import { schema } from './migrations';

interface SessionRow {
  id: string;
  window_messages: number;
  token_budget: number;
  metadata: Record<string, unknown>;
  created_at: Date;
}

interface MessageRow {
  role: StoredMessage['role'];
  content: string;
  tokens: number;
  created_at: Date;
}

export class PgSessionStore implements SessionStore {
  constructor(
    private readonly pool: Pool,
    private readonly projectId: string,
  ) {}

  async create(s: Session): Promise<void> {
    await this.pool.query(`INSERT INTO ${schema}.sessions (id, window_messages, token_budget, metadata, created_at, project_id) VALUES ($1, $2, $3, $4, $5, $6)`, [
      s.id,
      s.windowMessages,
      s.tokenBudget,
      JSON.stringify(s.metadata),
      s.createdAt,
      this.projectId,
    ]);
  }

  async find(id: string): Promise<Session | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.pool.query<SessionRow>(`SELECT * FROM ${schema}.sessions WHERE id = $1 AND project_id = $2`, [id, this.projectId]);
    const r = rows[0];
    return r ? { id: r.id, windowMessages: r.window_messages, tokenBudget: r.token_budget, metadata: r.metadata, createdAt: r.created_at } : null;
  }

  /** The condition that the session of `session_id` ($1) is this project's (`param` holds the project). */
  private ownSession(param: string): string {
    return `EXISTS (SELECT 1 FROM ${schema}.sessions s WHERE s.id = $1 AND s.project_id = ${param})`;
  }

  async recent(sessionId: string, limit: number): Promise<StoredMessage[]> {
    const { rows } = await this.pool.query<MessageRow>(
      `SELECT role, content, tokens, created_at FROM ${schema}.session_messages WHERE session_id = $1 AND ${this.ownSession('$3')} ORDER BY seq DESC LIMIT $2`,
      [sessionId, limit, this.projectId],
    );
    return rows.reverse().map(({ role, content, tokens }) => ({ role, content, tokens }));
  }

  async all(sessionId: string): Promise<SessionMessage[]> {
    const { rows } = await this.pool.query<MessageRow>(
      `SELECT role, content, tokens, created_at FROM ${schema}.session_messages WHERE session_id = $1 AND ${this.ownSession('$2')} ORDER BY seq LIMIT 10000`,
      [sessionId, this.projectId],
    );
    return rows.map((r) => ({ role: r.role, content: r.content, tokens: r.tokens, createdAt: r.created_at }));
  }

  async append(sessionId: string, messages: StoredMessage[]): Promise<void> {
    if (messages.length === 0) return;
    // One statement: the messages of one exchange stay adjacent even when appends interleave.
    await this.pool.query(
      `INSERT INTO ${schema}.session_messages (session_id, role, content, tokens)
       SELECT $1, m.role, m.content, m.tokens FROM unnest($2::text[], $3::text[], $4::integer[]) WITH ORDINALITY AS m(role, content, tokens, ord)
       WHERE ${this.ownSession('$5')}
       ORDER BY m.ord`,
      [sessionId, messages.map((m) => m.role), messages.map((m) => m.content), messages.map((m) => m.tokens), this.projectId],
    );
  }
}
