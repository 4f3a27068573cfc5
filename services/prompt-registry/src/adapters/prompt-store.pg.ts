import { randomUUID } from 'node:crypto';
import { ConflictError, enqueueEvent, withTransaction, type Pool } from '@llmops/platform';
import type { NewPrompt, NewPromptVersion, Page, Prompt, PromptVersion, VersionSelector } from '../domain/model';
import type { PromptStore } from '../domain/ports';
import { schema } from './migrations';

interface PromptRow {
  id: string;
  name: string;
  description: string | null;
  tags: string[];
  created_at: Date;
  updated_at: Date;
}

interface VersionRow {
  id: string;
  prompt_id: string;
  prompt_name: string;
  number: number;
  template: string;
  commit_message: string;
  author: string | null;
  created_at: Date;
}

const versionColumns = `v.id, v.prompt_id, p.name AS prompt_name, v.number, v.template, v.commit_message, v.author, v.created_at`;

export class PgPromptStore implements PromptStore {
  /** `onEventsCommitted` runs after a transaction that wrote outbox events commits. */
  constructor(private readonly pool: Pool, private readonly onEventsCommitted: () => void) {}

  async createPrompt(input: NewPrompt): Promise<Prompt> {
    try {
      const { rows } = await this.pool.query<PromptRow>(
        `INSERT INTO ${schema}.prompts (id, name, description, tags) VALUES ($1, $2, $3, $4) RETURNING *`,
        [randomUUID(), input.name, input.description, input.tags],
      );
      return toPrompt(rows[0]!);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError(`a prompt named "${input.name}" already exists`, { field: 'name', name: input.name });
      }
      throw err;
    }
  }

  async createVersion(input: NewPromptVersion): Promise<PromptVersion | null> {
    const version = await withTransaction(this.pool, async (client) => {
      // Locking the prompt row serialises concurrent version creation: no duplicate or skipped numbers.
      const prompt = await client.query<{ id: string }>(`SELECT id FROM ${schema}.prompts WHERE name = $1 FOR UPDATE`, [input.promptName]);
      const promptId = prompt.rows[0]?.id;
      if (!promptId) return null;
      const { rows } = await client.query<VersionRow>(
        `WITH next AS (SELECT coalesce(max(number), 0) + 1 AS number FROM ${schema}.prompt_versions WHERE prompt_id = $2)
         INSERT INTO ${schema}.prompt_versions AS v (id, prompt_id, number, template, commit_message, author)
         SELECT $1, $2, next.number, $3, $4, $5 FROM next
         RETURNING v.id, v.prompt_id, $6::text AS prompt_name, v.number, v.template, v.commit_message, v.author, v.created_at`,
        [randomUUID(), promptId, input.template, input.commitMessage, input.author, input.promptName],
      );
      await client.query(`UPDATE ${schema}.prompts SET updated_at = now() WHERE id = $1`, [promptId]);
      const created = toVersion(rows[0]!);
      await enqueueEvent(client, schema, 'prompt.version.created.v1', {
        promptId,
        promptName: created.promptName,
        versionId: created.id,
        version: created.number,
        author: created.author,
        commitMessage: created.commitMessage,
      });
      return created;
    });
    if (version) this.onEventsCommitted();
    return version;
  }

  async findPromptByName(name: string): Promise<Prompt | null> {
    const { rows } = await this.pool.query<PromptRow>(`SELECT * FROM ${schema}.prompts WHERE name = $1`, [name]);
    return rows[0] ? toPrompt(rows[0]) : null;
  }

  async findPromptById(id: string): Promise<Prompt | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.pool.query<PromptRow>(`SELECT * FROM ${schema}.prompts WHERE id = $1`, [id]);
    return rows[0] ? toPrompt(rows[0]) : null;
  }

  async listPrompts(first: number, after: string | null): Promise<Page<Prompt>> {
    const { rows } = await this.pool.query<PromptRow>(
      `SELECT * FROM ${schema}.prompts WHERE $1::text IS NULL OR name > $1 ORDER BY name LIMIT $2`,
      [after, first + 1],
    );
    return { items: rows.slice(0, first).map(toPrompt), hasNextPage: rows.length > first };
  }

  async listVersions(promptId: string): Promise<PromptVersion[]> {
    const { rows } = await this.pool.query<VersionRow>(
      `SELECT ${versionColumns} FROM ${schema}.prompt_versions v JOIN ${schema}.prompts p ON p.id = v.prompt_id
       WHERE v.prompt_id = $1 ORDER BY v.number`,
      [promptId],
    );
    return rows.map(toVersion);
  }

  async findVersion(promptName: string, selector: VersionSelector): Promise<PromptVersion | null> {
    const byNumber = selector.kind === 'number';
    const { rows } = await this.pool.query<VersionRow>(
      `SELECT ${versionColumns} FROM ${schema}.prompt_versions v JOIN ${schema}.prompts p ON p.id = v.prompt_id
       WHERE p.name = $1 ${byNumber ? 'AND v.number = $2' : ''} ORDER BY v.number DESC LIMIT 1`,
      byNumber ? [promptName, selector.number] : [promptName],
    );
    return rows[0] ? toVersion(rows[0]) : null;
  }

  async findVersionById(id: string): Promise<PromptVersion | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.pool.query<VersionRow>(
      `SELECT ${versionColumns} FROM ${schema}.prompt_versions v JOIN ${schema}.prompts p ON p.id = v.prompt_id WHERE v.id = $1`,
      [id],
    );
    return rows[0] ? toVersion(rows[0]) : null;
  }
}

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

const toPrompt = (r: PromptRow): Prompt => ({
  id: r.id,
  name: r.name,
  description: r.description,
  tags: r.tags,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toVersion = (r: VersionRow): PromptVersion => ({
  id: r.id,
  promptId: r.prompt_id,
  promptName: r.prompt_name,
  number: r.number,
  template: r.template,
  commitMessage: r.commit_message,
  author: r.author,
  createdAt: r.created_at,
});
