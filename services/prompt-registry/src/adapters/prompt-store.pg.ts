import { randomUUID } from 'node:crypto';
import { ConflictError, enqueueEvent, withTransaction, type Pool, type PoolClient } from '@llmops/platform';
import type {
  AliasMove,
  AuditEntry,
  ChatMessage,
  NewPrompt,
  Page,
  Prompt,
  PromptAlias,
  PromptBody,
  PromptFilter,
  PromptVersion,
  ValidVersion,
  VersionSelector,
} from '../domain/model';
import type { ArchiveVersionResult, CreateVersionResult, PromptStore, SetAliasResult } from '../domain/ports';
import { schema } from './migrations';

interface PromptRow {
  id: string;
  name: string;
  description: string | null;
  tags: string[];
  archived: boolean;
  created_at: Date;
  updated_at: Date;
}

interface VersionRow {
  id: string;
  prompt_id: string;
  prompt_name: string;
  number: number;
  kind: 'TEXT' | 'CHAT';
  template: string | null;
  messages: ChatMessage[] | null;
  variables: PromptVersion['variables'];
  model_parameters: PromptVersion['modelParameters'];
  metadata: Record<string, unknown>;
  augmentation: PromptVersion['augmentation'];
  commit_message: string;
  author: string | null;
  parent_number: number | null;
  archived: boolean;
  created_at: Date;
}

const versionColumns = `v.id, v.prompt_id, p.name AS prompt_name, v.number, v.kind, v.template, v.messages, v.variables,
  v.model_parameters, v.metadata, v.augmentation, v.commit_message, v.author, v.parent_number, v.archived, v.created_at`;
const fromVersions = `FROM ${schema}.prompt_versions v JOIN ${schema}.prompts p ON p.id = v.prompt_id`;

/**
 * One project's prompts: every query is bounded to `projectId` (another project's prompt is not
 * found), and every change is written to the audit log as `actor`, in the change's transaction.
 */
export class PgPromptStore implements PromptStore {
  /** `onEventsCommitted` runs after a transaction that wrote outbox events commits. */
  constructor(
    private readonly pool: Pool,
    private readonly onEventsCommitted: () => void,
    private readonly projectId: string,
    private readonly actor: string,
  ) {}

  private audit(client: Pool | PoolClient, action: string, target: string, details: Record<string, unknown> = {}): Promise<unknown> {
    return client.query(`INSERT INTO ${schema}.audit_log (project_id, actor, action, target, details) VALUES ($1, $2, $3, $4, $5)`, [
      this.projectId,
      this.actor,
      action,
      target,
      JSON.stringify(details),
    ]);
  }

  async auditLog(first: number, before: number | null): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query<{ seq: string; actor: string; action: string; target: string; details: Record<string, unknown>; at: Date }>(
      `SELECT seq, actor, action, target, details, at FROM ${schema}.audit_log
       WHERE project_id = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3`,
      [this.projectId, before, first],
    );
    return rows.map((r) => ({ seq: Number(r.seq), actor: r.actor, action: r.action, target: r.target, details: r.details, at: r.at }));
  }

  async createPrompt(input: NewPrompt): Promise<Prompt> {
    try {
      return await withTransaction(this.pool, async (client) => {
        const { rows } = await client.query<PromptRow>(
          `INSERT INTO ${schema}.prompts (id, project_id, name, description, tags) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
          [randomUUID(), this.projectId, input.name, input.description, input.tags],
        );
        await this.audit(client, 'prompt.created', input.name, { promptId: rows[0]!.id });
        return toPrompt(rows[0]!);
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError(`a prompt named "${input.name}" already exists`, { field: 'name', name: input.name });
      }
      throw err;
    }
  }

  async createVersion(input: ValidVersion): Promise<CreateVersionResult> {
    const result = await withTransaction(this.pool, async (client): Promise<CreateVersionResult> => {
      // Locking the prompt row serialises concurrent version creation: no duplicate or skipped numbers.
      const prompt = await client.query<{ id: string; archived: boolean }>(
        `SELECT id, archived FROM ${schema}.prompts WHERE project_id = $1 AND name = $2 FOR UPDATE`,
        [this.projectId, input.promptName],
      );
      const row = prompt.rows[0];
      if (!row) return { ok: false, reason: 'PROMPT_NOT_FOUND' };
      if (row.archived) return { ok: false, reason: 'PROMPT_ARCHIVED' };
      const { rows: numbers } = await client.query<{ latest: number | null }>(
        `SELECT max(number) AS latest FROM ${schema}.prompt_versions WHERE prompt_id = $1`,
        [row.id],
      );
      const latest = numbers[0]?.latest ?? null;
      if (input.parentNumber !== null && (latest === null || input.parentNumber > latest)) return { ok: false, reason: 'PARENT_NOT_FOUND' };
      const number = (latest ?? 0) + 1;
      const body = input.body;
      const { rows } = await client.query<{ id: string; created_at: Date }>(
        `INSERT INTO ${schema}.prompt_versions
           (id, prompt_id, number, kind, template, messages, variables, model_parameters, metadata, augmentation, commit_message, author, parent_number)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id, created_at`,
        [
          randomUUID(),
          row.id,
          number,
          body.kind,
          body.kind === 'TEXT' ? body.template : null,
          body.kind === 'CHAT' ? JSON.stringify(body.messages) : null,
          JSON.stringify(input.variables),
          JSON.stringify(input.modelParameters),
          JSON.stringify(input.metadata),
          JSON.stringify(input.augmentation),
          input.commitMessage,
          input.author,
          input.parentNumber ?? latest,
        ],
      );
      await client.query(`UPDATE ${schema}.prompts SET updated_at = now() WHERE id = $1`, [row.id]);
      const version: PromptVersion = {
        id: rows[0]!.id,
        promptId: row.id,
        promptName: input.promptName,
        number,
        body: input.body,
        variables: input.variables,
        modelParameters: input.modelParameters,
        metadata: input.metadata,
        augmentation: input.augmentation,
        commitMessage: input.commitMessage,
        author: input.author,
        parentNumber: input.parentNumber ?? latest,
        archived: false,
        createdAt: rows[0]!.created_at,
      };
      await this.audit(client, 'prompt.version.created', `${input.promptName}@${number}`, { versionId: version.id, commitMessage: input.commitMessage });
      await enqueueEvent(client, schema, 'prompt.version.created.v1', {
        projectId: this.projectId,
        promptId: row.id,
        promptName: input.promptName,
        versionId: version.id,
        version: number,
        author: input.author,
        commitMessage: input.commitMessage,
      });
      return { ok: true, version };
    });
    if (result.ok) this.onEventsCommitted();
    return result;
  }

  async findPromptByName(name: string): Promise<Prompt | null> {
    const { rows } = await this.pool.query<PromptRow>(`SELECT * FROM ${schema}.prompts WHERE project_id = $1 AND name = $2`, [this.projectId, name]);
    return rows[0] ? toPrompt(rows[0]) : null;
  }

  async findPromptById(id: string): Promise<Prompt | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.pool.query<PromptRow>(`SELECT * FROM ${schema}.prompts WHERE project_id = $1 AND id = $2`, [this.projectId, id]);
    return rows[0] ? toPrompt(rows[0]) : null;
  }

  async listPrompts(first: number, after: string | null, filter: PromptFilter): Promise<Page<Prompt>> {
    const { rows } = await this.pool.query<PromptRow>(
      `SELECT * FROM ${schema}.prompts
       WHERE project_id = $6
         AND ($1::text IS NULL OR name > $1)
         AND ($3::text IS NULL OR $3 = ANY (tags))
         AND ($4::text IS NULL OR strpos(lower(name), lower($4)) > 0)
         AND ($5 OR NOT archived)
       ORDER BY name LIMIT $2`,
      [after, first + 1, filter.tag, filter.nameContains, filter.includeArchived, this.projectId],
    );
    return { items: rows.slice(0, first).map(toPrompt), hasNextPage: rows.length > first };
  }

  async listVersions(promptId: string, first: number, after: number | null): Promise<PromptVersion[]> {
    // A range scan of the (prompt_id, number) unique index.
    const { rows } = await this.pool.query<VersionRow>(
      `SELECT ${versionColumns} ${fromVersions}
       WHERE p.project_id = $2 AND v.prompt_id = $1 AND ($3::integer IS NULL OR v.number > $3)
       ORDER BY v.number LIMIT $4`,
      [promptId, this.projectId, after, first],
    );
    return rows.map(toVersion);
  }

  async findVersion(promptName: string, selector: VersionSelector): Promise<PromptVersion | null> {
    const query =
      selector.kind === 'number'
        ? { text: `SELECT ${versionColumns} ${fromVersions} WHERE p.project_id = $3 AND p.name = $1 AND v.number = $2`, values: [promptName, selector.number, this.projectId] }
        : selector.kind === 'latest'
          ? { text: `SELECT ${versionColumns} ${fromVersions} WHERE p.project_id = $2 AND p.name = $1 ORDER BY v.number DESC LIMIT 1`, values: [promptName, this.projectId] }
          : {
              text: `SELECT ${versionColumns} ${fromVersions} JOIN ${schema}.prompt_aliases a ON a.version_id = v.id
                     WHERE p.project_id = $3 AND p.name = $1 AND a.alias = $2`,
              values: [promptName, selector.alias, this.projectId],
            };
    const { rows } = await this.pool.query<VersionRow>(query);
    return rows[0] ? toVersion(rows[0]) : null;
  }

  async findVersionById(id: string): Promise<PromptVersion | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.pool.query<VersionRow>(`SELECT ${versionColumns} ${fromVersions} WHERE p.project_id = $2 AND v.id = $1`, [id, this.projectId]);
    return rows[0] ? toVersion(rows[0]) : null;
  }

  async setAlias(promptName: string, alias: string, versionNumber: number, movedBy: string | null): Promise<SetAliasResult> {
    const result = await withTransaction(this.pool, async (client): Promise<SetAliasResult> => {
      const prompt = await client.query<{ id: string }>(`SELECT id FROM ${schema}.prompts WHERE project_id = $1 AND name = $2 FOR UPDATE`, [
        this.projectId,
        promptName,
      ]);
      const promptId = prompt.rows[0]?.id;
      if (!promptId) return { ok: false, reason: 'PROMPT_NOT_FOUND' };
      const target = await client.query<{ id: string; archived: boolean }>(
        `SELECT id, archived FROM ${schema}.prompt_versions WHERE prompt_id = $1 AND number = $2`,
        [promptId, versionNumber],
      );
      const version = target.rows[0];
      if (!version) return { ok: false, reason: 'VERSION_NOT_FOUND' };
      if (version.archived) return { ok: false, reason: 'VERSION_ARCHIVED' };
      const previous = await client.query<{ number: number }>(
        `SELECT v.number FROM ${schema}.prompt_aliases a JOIN ${schema}.prompt_versions v ON v.id = a.version_id
         WHERE a.prompt_id = $1 AND a.alias = $2`,
        [promptId, alias],
      );
      const fromVersion = previous.rows[0]?.number ?? null;
      const { rows } = await client.query<{ updated_at: Date }>(
        `INSERT INTO ${schema}.prompt_aliases (prompt_id, alias, version_id) VALUES ($1, $2, $3)
         ON CONFLICT (prompt_id, alias) DO UPDATE SET version_id = EXCLUDED.version_id, updated_at = now()
         RETURNING updated_at`,
        [promptId, alias, version.id],
      );
      await client.query(
        `INSERT INTO ${schema}.prompt_alias_history (prompt_id, alias, from_version, to_version, moved_by) VALUES ($1, $2, $3, $4, $5)`,
        [promptId, alias, fromVersion, versionNumber, movedBy],
      );
      await this.audit(client, 'prompt.alias.moved', `${promptName}@${alias}`, { fromVersion, toVersion: versionNumber });
      await enqueueEvent(client, schema, 'prompt.alias.moved.v1', {
        projectId: this.projectId,
        promptId,
        promptName,
        alias,
        fromVersion,
        toVersion: versionNumber,
        toVersionId: version.id,
        movedBy,
      });
      return {
        ok: true,
        fromVersion,
        alias: { promptId, promptName, alias, versionNumber, versionId: version.id, updatedAt: rows[0]!.updated_at },
      };
    });
    if (result.ok) this.onEventsCommitted();
    return result;
  }

  async listAliases(promptId: string): Promise<PromptAlias[]> {
    const { rows } = await this.pool.query<{ prompt_id: string; prompt_name: string; alias: string; number: number; version_id: string; updated_at: Date }>(
      `SELECT a.prompt_id, p.name AS prompt_name, a.alias, v.number, a.version_id, a.updated_at
       FROM ${schema}.prompt_aliases a JOIN ${schema}.prompts p ON p.id = a.prompt_id JOIN ${schema}.prompt_versions v ON v.id = a.version_id
       WHERE p.project_id = $2 AND a.prompt_id = $1 ORDER BY a.alias`,
      [promptId, this.projectId],
    );
    return rows.map((r) => ({
      promptId: r.prompt_id,
      promptName: r.prompt_name,
      alias: r.alias,
      versionNumber: r.number,
      versionId: r.version_id,
      updatedAt: r.updated_at,
    }));
  }

  async aliasHistory(promptId: string, alias: string | null): Promise<AliasMove[]> {
    const { rows } = await this.pool.query<{ alias: string; from_version: number | null; to_version: number; moved_by: string | null; moved_at: Date }>(
      `SELECT alias, from_version, to_version, moved_by, moved_at FROM ${schema}.prompt_alias_history
       WHERE prompt_id = $1 AND ($2::text IS NULL OR alias = $2)
         AND prompt_id IN (SELECT id FROM ${schema}.prompts WHERE project_id = $3)
       ORDER BY seq DESC LIMIT 500`,
      [promptId, alias, this.projectId],
    );
    return rows.map((r) => ({ alias: r.alias, fromVersion: r.from_version, toVersion: r.to_version, movedBy: r.moved_by, movedAt: r.moved_at }));
  }

  async archivePrompt(name: string): Promise<Prompt | null> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<PromptRow>(
        `UPDATE ${schema}.prompts SET archived = true, updated_at = now() WHERE project_id = $1 AND name = $2 RETURNING *`,
        [this.projectId, name],
      );
      if (!rows[0]) return null;
      await this.audit(client, 'prompt.archived', name);
      return toPrompt(rows[0]);
    });
  }

  async archiveVersion(promptName: string, versionNumber: number): Promise<ArchiveVersionResult> {
    return withTransaction(this.pool, async (client: PoolClient): Promise<ArchiveVersionResult> => {
      // The prompt row lock orders this against alias moves, which take the same lock.
      const prompt = await client.query<{ id: string }>(`SELECT id FROM ${schema}.prompts WHERE project_id = $1 AND name = $2 FOR UPDATE`, [
        this.projectId,
        promptName,
      ]);
      const promptId = prompt.rows[0]?.id;
      if (!promptId) return { ok: false, reason: 'NOT_FOUND' };
      const aliases = await client.query<{ alias: string }>(
        `SELECT a.alias FROM ${schema}.prompt_aliases a JOIN ${schema}.prompt_versions v ON v.id = a.version_id
         WHERE v.prompt_id = $1 AND v.number = $2 ORDER BY a.alias`,
        [promptId, versionNumber],
      );
      if (aliases.rows.length) return { ok: false, reason: 'HAS_ALIASES', aliases: aliases.rows.map((r) => r.alias) };
      const updated = await client.query<{ id: string }>(
        `UPDATE ${schema}.prompt_versions SET archived = true WHERE prompt_id = $1 AND number = $2 RETURNING id`,
        [promptId, versionNumber],
      );
      if (!updated.rows[0]) return { ok: false, reason: 'NOT_FOUND' };
      await this.audit(client, 'prompt.version.archived', `${promptName}@${versionNumber}`);
      const { rows } = await client.query<VersionRow>(`SELECT ${versionColumns} ${fromVersions} WHERE v.id = $1`, [updated.rows[0].id]);
      return { ok: true, version: toVersion(rows[0]!) };
    });
  }
}

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

const toPrompt = (r: PromptRow): Prompt => ({
  id: r.id,
  name: r.name,
  description: r.description,
  tags: r.tags,
  archived: r.archived,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function toBody(r: VersionRow): PromptBody {
  return r.kind === 'CHAT' ? { kind: 'CHAT', messages: r.messages ?? [] } : { kind: 'TEXT', template: r.template ?? '' };
}

const toVersion = (r: VersionRow): PromptVersion => ({
  id: r.id,
  promptId: r.prompt_id,
  promptName: r.prompt_name,
  number: r.number,
  body: toBody(r),
  variables: r.variables,
  modelParameters: r.model_parameters,
  metadata: r.metadata,
  augmentation: r.augmentation,
  commitMessage: r.commit_message,
  author: r.author,
  parentNumber: r.parent_number,
  archived: r.archived,
  createdAt: r.created_at,
});
